// The softmax program: commander wiring, error reporting and exit statuses. Each command lives in
// its own module and only parses flags, calls the library and formats what it returns.
import { Command, CommanderError, Option } from "commander";
import { InterruptedError, SoftmaxError, UsageError, VERSION } from "../index.js";
import { registerCompare } from "./compare.js";
import { registerCompletion } from "./completion.js";
import { registerDatasets } from "./datasets.js";
import { registerDownload } from "./download.js";
import { registerEvaluate } from "./evaluate.js";
import { ExitCode } from "./exit-code.js";
import { registerGradcheck } from "./gradcheck.js";
import type { CliContext } from "./options.js";
import { errorLine, oneLine, stdoutClosed } from "./output.js";
import { registerPredict } from "./predict.js";
import { registerShow } from "./show.js";
import { registerTrain } from "./train.js";

/** A fresh program, so that tests can parse argv arrays without exiting the process. */
export function createProgram(context: CliContext = {}): Command {
  const program = new Command("softmax")
    .description("Softmax regression on Fashion-MNIST: download, train, evaluate, predict, show.")
    .version(VERSION, "-V, --version", "output the version number (also -v)")
    // -v as well as -V, as many tools have it; hidden, so the help lists the version flag once.
    .addOption(new Option("-v").hideHelp())
    .on("option:v", () => {
      process.stdout.write(`${VERSION}\n`);
      throw new CommanderError(ExitCode.Success, "commander.version", VERSION);
    })
    .exitOverride()
    .showSuggestionAfterError()
    // Inherited by every command: descriptions wrap to the terminal (or $COLUMNS), down to a
    // 24-column description beside the flags (commander's default gives up below 40).
    .configureHelp({ helpWidth: helpWidth(), minWidthToWrap: 24 })
    .addHelpText(
      "after",
      `
Examples:
  softmax download                     # fetch and verify Fashion-MNIST
  softmax train --epochs 10 --lr 0.1   # saves model.safetensors
  softmax evaluate model.safetensors   # accuracy, per class, confusion table
  softmax predict -n 6 -o predictions.png
  softmax show -n 18 -o samples.png
  softmax compare --loss cross-entropy,mse --plot losses.png
  softmax gradcheck                    # gradients vs finite differences

Exit status: 0 success, 1 runtime failure, 2 usage error, 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM).`,
    );
  registerDownload(program);
  registerDatasets(program);
  registerTrain(program, context);
  registerEvaluate(program, context);
  registerPredict(program);
  registerShow(program);
  registerCompare(program, context);
  registerGradcheck(program);
  // Last: the completion script describes the commands registered before it.
  registerCompletion(program);
  for (const command of [program, ...program.commands]) {
    const usage = command === program ? "softmax --help" : `softmax ${command.name()} --help`;
    command.configureOutput({ outputError: (text, write) => write(`softmax: ${usageLine(text, usage)}\n`) });
  }
  return program;
}

/**
 * commander's error text as one line pointing at the command's help: "error: unknown option
 * '--epoch'\n(Did you mean --epochs?)" → "unknown option '--epoch' (did you mean --epochs?); see
 * 'softmax train --help'".
 */
function usageLine(text: string, usage: string): string {
  const message = text
    .trim()
    .replace(/^error: /, "")
    .replace(/\s*\n\(Did you mean/, " (did you mean");
  return `${oneLine(message).replace(/\.$/, "")}; see '${usage}'`;
}

/** Help's width: $COLUMNS when set (as shells export it), else the terminal's, else 80. */
function helpWidth(env: NodeJS.ProcessEnv = process.env): number {
  const columns = Number(env.COLUMNS);
  if (Number.isInteger(columns) && columns > 0) return columns;
  return process.stdout.isTTY ? process.stdout.columns : 80;
}

/** The `softmax CMD --help` a usage error points at: the command named in argv, if any. */
function helpFor(program: Command, argv: readonly string[]): string {
  const name = argv.find((word) => !word.startsWith("-"));
  const command = program.commands.find((c) => c.name() === name);
  return command === undefined ? "softmax --help" : `softmax ${command.name()} --help`;
}

/**
 * Runs the CLI on `argv` (without node and script) and returns the exit status. `context` holds
 * what bin/softmax.js started before loading the CLI (a kernel thread not taken by the command is
 * released here).
 */
export async function main(argv: readonly string[], context: CliContext = {}): Promise<number> {
  handleClosedPipes();
  const program = createProgram(context);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.Success;
  } catch (error) {
    return reportError(error, process.stderr, helpFor(program, argv));
  } finally {
    await context.kernelThread?.release();
  }
}

/**
 * Prints one line for `error` on stderr (the stack only when DEBUG is set) and picks the exit status.
 * A usage error points at `usage`, the help of the command at fault.
 */
export function reportError(
  error: unknown,
  stderr: NodeJS.WritableStream = process.stderr,
  usage = "softmax --help",
): number {
  if (error instanceof CommanderError) {
    // commander has already printed its message through outputError.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return ExitCode.Success;
    return ExitCode.Usage;
  }
  const debug = process.env.DEBUG !== undefined && process.env.DEBUG !== "";
  if (error instanceof SoftmaxError) {
    const see = error instanceof UsageError ? `; see '${usage}'` : "";
    stderr.write(`${errorLine(error)}${see}\n`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    stderr.write(`softmax: unexpected error: ${oneLine(message)} (set DEBUG=1 for the stack trace)\n`);
  }
  if (debug && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  if (error instanceof UsageError) return ExitCode.Usage;
  if (error instanceof InterruptedError) {
    return error.signal === "SIGTERM" ? ExitCode.Terminated : ExitCode.Interrupted;
  }
  return ExitCode.Failure;
}

/**
 * When stdout's reader goes away (`softmax predict --n 10000 | head -1`), a command whose output is
 * the product stops at once with status 0; `train` goes on (its product is the model file; see
 * Output's outlivesStdout). When stderr's reader goes away there is nobody left to tell anything:
 * the command carries on silently rather than dying from an uncaught EPIPE.
 */
function handleClosedPipes(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    if (!stdoutClosed()) process.exit(ExitCode.Success);
  });
  process.stderr.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}
