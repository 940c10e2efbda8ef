// The softmax program: commander wiring, error reporting and exit statuses. Each command lives in
// its own module and only parses flags, calls the library and formats what it returns.
import { Command, CommanderError } from "commander";
import { InterruptedError, SoftmaxError, UsageError, VERSION } from "../index.js";
import { registerCompare } from "./compare.js";
import { registerCompletion } from "./completion.js";
import { registerDatasets } from "./datasets.js";
import { registerDownload } from "./download.js";
import { registerEvaluate } from "./evaluate.js";
import { ExitCode } from "./exit-code.js";
import { registerGradcheck } from "./gradcheck.js";
import { stdoutClosed } from "./output.js";
import { registerPredict } from "./predict.js";
import { registerShow } from "./show.js";
import { registerTrain } from "./train.js";

/** A fresh program, so that tests can parse argv arrays without exiting the process. */
export function createProgram(): Command {
  const program = new Command("softmax")
    .description("Softmax regression on Fashion-MNIST: download, train, evaluate, predict, show.")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({
      outputError: (text, write) => write(`softmax: ${text.replace(/^error: /, "")}`),
    })
    .addHelpText(
      "after",
      `
Examples:
  softmax download                      fetch and verify Fashion-MNIST into ./data
  softmax train --epochs 10 --lr 0.1    train, print one line per epoch, save model.safetensors
  softmax evaluate --model model.safetensors
  softmax predict --n 6 --out predictions.png
  softmax show --n 18 --out samples.png
  softmax compare --loss cross-entropy,mse --plot losses.png
  softmax gradcheck                     check each loss's gradient against finite differences

Exit status: 0 success, 1 runtime failure, 2 usage error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).`,
    );
  registerDownload(program);
  registerDatasets(program);
  registerTrain(program);
  registerEvaluate(program);
  registerPredict(program);
  registerShow(program);
  registerCompare(program);
  registerGradcheck(program);
  // Last: the completion script describes the commands registered before it.
  registerCompletion(program);
  return program;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  handleClosedPipes();
  try {
    await createProgram().parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : ExitCode.Success;
  } catch (error) {
    return reportError(error);
  }
}

/** Prints one line for `error` on stderr (the stack only when DEBUG is set) and picks the exit status. */
export function reportError(error: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (error instanceof CommanderError) {
    // commander has already printed its message through outputError.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return ExitCode.Success;
    return ExitCode.Usage;
  }
  const debug = process.env.DEBUG !== undefined && process.env.DEBUG !== "";
  if (error instanceof SoftmaxError) {
    const hint = error.hint ? ` (${error.hint})` : "";
    stderr.write(`softmax: ${oneLine(error.message)}${oneLine(hint)}\n`);
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

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, "; ");
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
