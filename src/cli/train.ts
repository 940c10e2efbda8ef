// `softmax train`: parses and validates the flags, loads the data, runs the training loop on the
// chosen backend, prints one line (or NDJSON event) per epoch, and saves the model atomically.
// Ctrl-C stops after the current step and saves; divergence saves nothing. No maths here. The
// hyperparameter flags come from the library's table (src/train/hyperparameters.ts).
import { type Command, Option } from "commander";
import {
  checkOutputPath,
  type EpochReport,
  HYPERPARAMETER_NAMES,
  type Hyperparameters,
  hyperparameter,
  InterruptedError,
  type InterruptSignal,
  initParams,
  type Params,
  renderTrainingCurves,
  resolveHyperparameters,
  resumeTraining,
  saveTrainedModel,
  train,
} from "../index.js";
import { ExitCode } from "./exit-code.js";
import { loadDataForCommand } from "./load-data.js";
import {
  addBackendOptions,
  addDataOptions,
  addQuietOption,
  type BackendFlags,
  backendFor,
  type CliContext,
  type DataOptions,
  DEFAULT_MODEL_FILE,
  flagParser,
  integerAtLeast,
} from "./options.js";
import { Output } from "./output.js";
import { picturePath, writePicture, writesToStdout } from "./pictures.js";
import type { TrainingProgressLine } from "./progress-line.js";

type TrainFlags = DataOptions &
  BackendFlags &
  Hyperparameters & {
    epochs: number;
    out: string;
    resume?: string;
    plot?: string;
    json?: boolean;
    quiet?: boolean;
  };

/** One option per entry of the hyperparameter table, with its help, default and parser. */
function addHyperparameterOptions(command: Command): void {
  for (const name of HYPERPARAMETER_NAMES) {
    const { flag, placeholder, help, default: value, kind } = hyperparameter(name);
    const option = new Option(`${flag} ${placeholder}`, help).default(value);
    // choices() first: it shows the words in --help; the parser then words the error as every flag does.
    if (kind.choices !== undefined) option.choices(kind.choices as readonly string[]);
    command.addOption(option.argParser(flagParser<unknown>(kind)));
  }
}

export function registerTrain(program: Command, context: CliContext = {}): void {
  const command = program
    .command("train")
    .description("Train softmax regression with minibatch SGD (on Fashion-MNIST unless --dataset) and save the model.")
    .option("--epochs <n>", "epochs to train (with --resume: further epochs)", integerAtLeast(1), 10);
  addHyperparameterOptions(command);
  command
    .option("-o, --out <file>", "where to save the model (written atomically)", DEFAULT_MODEL_FILE)
    .option("--resume <file>", "continue training a saved model; flags not given default to the values recorded in it")
    .option(
      "--plot <file>",
      "draw train loss, train acc and test acc per epoch to this PNG, rewritten after every epoch",
      picturePath,
    )
    .option("--json", "print NDJSON events (epoch, then done) instead of lines");
  addQuietOption(command);
  addBackendOptions(command, "what runs the training steps and the evaluation");
  addDataOptions(command, { dataset: false });
  command.addHelpText(
    "after",
    `
Examples:
  softmax train                  # 10 epochs, lr 0.1 -> model.safetensors
  softmax train --epochs 30 --schedule cosine -o best.safetensors
  softmax train --epochs 5 --resume model.safetensors   # 5 more epochs
  softmax train --loss mse --json | jq 'select(.event == "done") | .test_acc'
  softmax train --epochs 20 --plot curves.png   # d2l's Animator, as a PNG

Output: one line per epoch on stdout (loss and train acc accumulated during the
epoch, test acc after it), then "saved FILE" on stderr. In a terminal, a live
line on stderr shows the step, the running loss and accuracy and an ETA.
Ctrl-C (or SIGTERM) stops after the current step, saves the model trained so far
and exits 130 (143). If stdout is closed (| head), training goes on and saves.`,
  );
  command.action(async (flags: TrainFlags, cmd: Command) => {
    await runTrain(flags, cmd, context);
  });
}

async function runTrain(flags: TrainFlags, cmd: Command, context: CliContext): Promise<void> {
  // The model outlives stdout: `softmax train | head -1` goes on training and saves.
  const output = new Output({
    json: flags.json,
    quiet: flags.quiet,
    outlivesStdout: true,
    pictureOnStdout: writesToStdout(flags.plot),
  });
  await checkOutputPath(flags.out, { what: "the model", flag: "--out", fileName: DEFAULT_MODEL_FILE });
  if (flags.plot !== undefined)
    await checkOutputPath(flags.plot, { what: "the training curves", flag: "--plot", fileName: "curves.png" });
  // With --resume, only the flags typed on the command line override the file's record.
  const given = Object.fromEntries(
    HYPERPARAMETER_NAMES.filter((name) => cmd.getOptionValueSource(name) === "cli").map((name) => [name, flags[name]]),
  ) as Partial<Hyperparameters>;
  let params: Params;
  let startEpoch = 0;
  let hyperparameters: Hyperparameters;
  if (flags.resume !== undefined) {
    ({ params, startEpoch, hyperparameters } = await resumeTraining(flags.resume, given));
  } else {
    hyperparameters = resolveHyperparameters(given);
    params = initParams(hyperparameters.seed);
  }

  // The backend first: its worker thread starts while the data loads, into the backend's memory.
  const backend = await backendFor(flags, context, hyperparameters.kernel);
  let live: TrainingProgressLine | null = null;
  try {
    const data = await loadDataForCommand({ ...flags, dataset: hyperparameters.dataset }, output, backend);
    const interrupt = interruptFlag();
    const started = performance.now();
    live = output.trainingProgress(startEpoch, startEpoch + flags.epochs);
    let best = Number.NEGATIVE_INFINITY;
    const curves = curvesWriter(flags.plot, startEpoch + flags.epochs, output);
    const result = await train(
      backend,
      data,
      params,
      { ...hyperparameters, epochs: flags.epochs, startEpoch },
      {
        onStep: (epoch, step) => live?.step(epoch, step),
        onEpoch: (report) => {
          live?.clear();
          // The best held-out accuracy so far: validation with a split, else test.
          const heldOut = report.valAcc ?? report.testAcc ?? Number.NEGATIVE_INFINITY;
          printEpoch(output, report, heldOut > best);
          best = Math.max(best, heldOut);
          curves.add(report);
        },
        shouldStop: () => interrupt.signal !== null,
      },
    );
    // The model first: a picture that cannot be written must not cost the training.
    await interrupt.whileSaving(() => saveTrainedModel(flags.out, params, result.record, data.classes));
    await curves.flush();
    const last = result.history.at(-1);
    const seconds = (performance.now() - started) / 1000;
    output.event("done", {
      epochs: result.epochsDone,
      train_loss: last === undefined ? null : round(last.trainLoss, 4),
      train_acc: last === undefined ? null : round(last.trainAcc, 4),
      test_acc: result.testAccuracy,
      seconds: round(seconds, 2),
      interrupted: result.stopped,
      model: flags.out,
    });
    if (hyperparameters.validation > 0)
      output.line(`test acc ${result.testAccuracy.toFixed(3)}  (scored once, after training)`);
    output.notice(`saved ${flags.out}`);
    if (interrupt.signal !== null) {
      throw new InterruptedError(
        `interrupted after ${result.epochsDone} complete epoch${result.epochsDone === 1 ? "" : "s"}; saved the model trained so far to ${flags.out}`,
        { hint: `continue with --resume ${flags.out}`, signal: interrupt.signal },
      );
    }
  } finally {
    // An error line must not land on the end of the live line.
    live?.clear();
    await backend.close();
  }
}

/** One result line per epoch; `best` marks the best held-out accuracy of the run so far (in colour, where shown). */
function printEpoch(output: Output, report: EpochReport, best: boolean): void {
  output.line(epochLine(report, best ? (text) => output.emphasis(text) : undefined));
  output.event("epoch", epochFields(report));
}

/**
 * The human line of an epoch: `epoch  1/10  loss 0.7853  train acc 0.749  test acc 0.791  0.06s`
 * (val acc with a split). `mark` sets off the held-out accuracy (colour) without moving the columns.
 */
export function epochLine(report: EpochReport, mark: (text: string) => string = (text) => text): string {
  const width = String(report.epochs).length;
  const heldOut =
    report.valAcc === undefined
      ? `test acc ${mark(report.testAcc?.toFixed(3) ?? "-")}`
      : `val acc ${mark(report.valAcc.toFixed(3))}`;
  const partial = report.complete ? "" : "  (interrupted)";
  return (
    `epoch ${String(report.epoch).padStart(width)}/${report.epochs}  loss ${report.trainLoss.toFixed(4)}  ` +
    `train acc ${report.trainAcc.toFixed(3)}  ${heldOut}  ${report.seconds.toFixed(2)}s${partial}`
  );
}

/** The fields of an `epoch` event (the test accuracy, or with a split the validation accuracy). */
export function epochFields(report: EpochReport): Record<string, unknown> {
  return {
    epoch: report.epoch,
    epochs: report.epochs,
    train_loss: round(report.trainLoss, 4),
    train_acc: round(report.trainAcc, 4),
    ...(report.valAcc === undefined ? { test_acc: report.testAcc } : { val_acc: report.valAcc }),
    lr: report.lr,
    grad_norm: round(report.gradNorm, 4),
    averaged: report.averaged,
    seconds: round(report.seconds, 2),
    ...(report.complete ? {} : { interrupted: true }),
  };
}

/**
 * `--plot`: d2l's Animator as a PNG. The picture is redrawn after every epoch so that it can be
 * watched during a long run; the writes are chained so they land in epoch order. Sent to stdout
 * (`--plot -`) it is drawn once, at the end: stdout then carries one PNG. A write that fails is a
 * warning (once) and ends the drawing; it never stops training or the save.
 */
function curvesWriter(
  path: string | undefined,
  epochs: number,
  output: Output,
): { add(report: EpochReport): void; flush(): Promise<void> } {
  const history: EpochReport[] = [];
  const once = writesToStdout(path);
  let written: Promise<void> = Promise.resolve();
  let failed = false;
  let report: () => void = () => {};
  const draw = (target: string) => {
    const png = renderTrainingCurves(history, { epochs });
    written = written.then(async () => {
      if (failed) return;
      try {
        report = await writePicture(target, png, "curves", output, (p) => output.notice(`wrote ${p}`));
      } catch (error) {
        failed = true;
        report = () => {};
        output.warn(`${error instanceof Error ? error.message : String(error)}; no more training curves are drawn`);
      }
    });
  };
  return {
    add(epoch) {
      if (path === undefined || !epoch.complete || failed) return;
      history.push(epoch);
      if (!once) draw(path);
    },
    async flush() {
      if (once && path !== undefined && history.length > 0) draw(path);
      await written;
      report();
    },
  };
}

export function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

/**
 * Ctrl-C (SIGINT) or SIGTERM (`docker stop`, `timeout`, CI runners) during training: the first
 * asks the loop to stop after the current step, and the model is then saved. A second one exits
 * at once, leaving any existing model file untouched, except during the save itself: that takes
 * milliseconds and is let finish, so no half-written temporary file is left behind. The handlers
 * stay until the process ends, so that a signal after the save also ends it with 130 or 143.
 */
export function interruptFlag(): {
  readonly signal: InterruptSignal | null;
  whileSaving<T>(save: () => Promise<T>): Promise<T>;
} {
  let signal: InterruptSignal | null = null;
  let saving = false;
  const onSignal = (received: InterruptSignal) => {
    if (signal !== null && !saving) process.exit(received === "SIGTERM" ? ExitCode.Terminated : ExitCode.Interrupted);
    signal ??= received;
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    get signal() {
      return signal;
    },
    async whileSaving(save) {
      saving = true;
      try {
        return await save();
      } finally {
        saving = false;
      }
    },
  };
}
