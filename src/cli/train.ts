// `softmax train`: parses and validates the flags, loads the data, runs the training loop on the
// chosen backend, prints one line (or NDJSON event) per epoch, and saves the model atomically.
// Ctrl-C stops after the current step and saves; divergence saves nothing. No maths here.
import { type Command, InvalidArgumentError, Option } from "commander";
import { createBackend } from "../backend.js";
import { InterruptedError } from "../errors.js";
import { checkWritable, loadModel, renderTrainingCurves, saveModel } from "../index.js";
import { initParams } from "../model/softmax-regression.js";
import { type EpochReport, SCHEDULE_NAMES, type ScheduleName, train } from "../train/loop.js";
import { readTrainingRecord, trainingMetadata } from "../train/metadata.js";
import type { LossName, Params } from "../types.js";
import { loadDataForCommand } from "./load-data.js";
import {
  addBackendOptions,
  addDataOptions,
  type BackendFlags,
  type DataOptions,
  finiteNumber,
  integerAtLeast,
  oneOf,
} from "./options.js";
import { Output, type Progress } from "./output.js";
import { picturePath, writePicture } from "./pictures.js";

/** Epochs of tail averaging by default: one epoch of averaging turns the noisy last iterate of constant-rate SGD into a better model (README, "Training and evaluating"). */
export const DEFAULT_AVERAGE = 1;

interface TrainFlags extends DataOptions, BackendFlags {
  epochs: number;
  lr: number;
  batchSize: number;
  seed: number;
  weightDecay: number;
  labelSmoothing: number;
  loss: LossName;
  schedule: ScheduleName;
  average: number;
  out: string;
  resume?: string;
  plot?: string;
  json?: boolean;
  quiet?: boolean;
}

/** Seeds are integers 0..2^53−1 (the PRNG mixes both 32-bit halves). */
function seedValue(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isSafeInteger(n) || n < 0) {
    throw new InvalidArgumentError("expected an integer >= 0 and < 2^53.");
  }
  return n;
}

export function registerTrain(program: Command): void {
  const command = program
    .command("train")
    .description("Train softmax regression on Fashion-MNIST with minibatch SGD and save the model (safetensors).")
    .option("--epochs <n>", "epochs to train (with --resume: further epochs)", integerAtLeast(1), 10)
    .option("--lr <rate>", "learning rate, > 0", finiteNumber({ above: 0 }), 0.1)
    .option("--batch-size <n>", "examples per minibatch; the last partial batch is used", integerAtLeast(1), 256)
    .option("--seed <n>", "seed of the initial weights and of every epoch's shuffle", seedValue, 0)
    .option("--weight-decay <lambda>", "L2 penalty on the weight (not the bias), >= 0", finiteNumber({ min: 0 }), 0)
    .option(
      "--label-smoothing <epsilon>",
      "targets (1-epsilon)*onehot + epsilon/10, 0 <= epsilon < 1",
      finiteNumber({ min: 0, below: 1 }),
      0,
    )
    .addOption(
      new Option("--loss <name>", "cross-entropy, or mse: squared error of the softmax outputs")
        .choices(["cross-entropy", "mse"])
        .default("cross-entropy")
        .argParser(oneOf<LossName>(["cross-entropy", "mse"])),
    )
    .addOption(
      new Option("--schedule <name>", "learning rate per epoch: constant, or cosine decay from --lr towards 0")
        .choices(SCHEDULE_NAMES)
        .default("constant")
        .argParser(oneOf<ScheduleName>(SCHEDULE_NAMES)),
    )
    .option(
      "--average <epochs>",
      "save the mean of the weights over every step of the last N epochs (tail averaging; 0: the last weights)",
      integerAtLeast(0),
      DEFAULT_AVERAGE,
    )
    .option("--out <file>", "where to save the model (written atomically)", "model.safetensors")
    .option("--resume <file>", "continue training a saved model; flags not given default to the values recorded in it")
    .option(
      "--plot <file>",
      "draw train loss, train acc and test acc per epoch to this PNG, rewritten after every epoch",
      picturePath,
    )
    .option("--json", "print NDJSON events (epoch, then done) instead of lines")
    .option("--quiet", "no progress bar or log lines on stderr");
  addBackendOptions(command, "what runs the training steps and the evaluation");
  addDataOptions(command);
  command.addHelpText(
    "after",
    `
Examples:
  softmax train                                   10 epochs, lr 0.1, batch 256, seed 0 -> model.safetensors
  softmax train --epochs 30 --schedule cosine --out best.safetensors
  softmax train --epochs 5 --resume model.safetensors --out model.safetensors   5 more epochs
  softmax train --loss mse --json | jq .test_acc
  softmax train --epochs 20 --plot curves.png      d2l's Animator, as a PNG

Output: one line per epoch on stdout (loss and train acc accumulated during the epoch, test acc after it).
Ctrl-C stops after the current step, saves the model trained so far and exits 130.`,
  );
  command.action(async (flags: TrainFlags, cmd: Command) => {
    await runTrain(flags, cmd);
  });
}

/** The flags that --resume can take from the model file when they are not given on the command line. */
const RESUMABLE = {
  lr: "lr",
  batchSize: "batchSize",
  seed: "seed",
  weightDecay: "weightDecay",
  labelSmoothing: "labelSmoothing",
  loss: "loss",
  schedule: "schedule",
  average: "average",
} as const;

async function runTrain(flags: TrainFlags, cmd: Command): Promise<void> {
  const output = new Output({ json: flags.json, quiet: flags.quiet });
  const config = { ...flags };
  await checkWritable(config.out);
  if (config.plot !== undefined) await checkWritable(config.plot, "the training curves", "--plot");
  let params: Params;
  let startEpoch = 0;
  if (flags.resume !== undefined) {
    const saved = await loadModel(flags.resume);
    const record = readTrainingRecord(saved.metadata, flags.resume);
    for (const key of Object.keys(RESUMABLE) as (keyof typeof RESUMABLE)[]) {
      const value = record[key];
      if (cmd.getOptionValueSource(key) !== "cli" && value !== undefined) Object.assign(config, { [key]: value });
    }
    params = saved.params;
    startEpoch = record.epochs;
  } else {
    params = initParams(config.seed);
  }

  const data = await loadDataForCommand(flags, output);
  const backend = await createBackend(config.backend, { threads: config.threads });
  const interrupt = interruptFlag();
  const started = performance.now();
  let bar: Progress | null = null;
  const curves = curvesWriter(config.plot, startEpoch + config.epochs, output);
  try {
    const result = await train(
      backend,
      data,
      params,
      {
        epochs: config.epochs,
        batchSize: config.batchSize,
        lr: config.lr,
        weightDecay: config.weightDecay,
        labelSmoothing: config.labelSmoothing,
        loss: config.loss,
        seed: config.seed,
        schedule: config.schedule,
        average: config.average,
        startEpoch,
      },
      {
        onStep: (epoch, step) => {
          if (step.step === 1)
            bar = output.progress(`epoch ${epoch}/${startEpoch + config.epochs}`, step.steps, " steps");
          bar?.update(step.step);
        },
        onEpoch: (report) => {
          bar?.stop();
          bar = null;
          printEpoch(output, report);
          curves.add(report);
        },
        shouldStop: () => interrupt.requested,
      },
    );
    const metadata = trainingMetadata(
      {
        epochs: result.epochsDone,
        lr: config.lr,
        batchSize: config.batchSize,
        seed: config.seed,
        weightDecay: config.weightDecay,
        labelSmoothing: config.labelSmoothing,
        loss: config.loss,
        schedule: config.schedule,
        average: config.average,
        testAccuracy: result.testAccuracy,
      },
      data.classes,
    );
    await curves.flush();
    await saveModel(config.out, params, metadata);
    const last = result.history.at(-1);
    const seconds = (performance.now() - started) / 1000;
    output.event("done", {
      epochs: result.epochsDone,
      train_loss: last === undefined ? null : round(last.trainLoss, 4),
      train_acc: last === undefined ? null : round(last.trainAcc, 4),
      test_acc: result.testAccuracy,
      seconds: round(seconds, 2),
      interrupted: result.stopped,
      model: config.out,
    });
    output.line(`saved ${config.out}`);
    if (result.stopped) {
      throw new InterruptedError(
        `interrupted after ${result.epochsDone} complete epoch${result.epochsDone === 1 ? "" : "s"}; saved the model trained so far to ${config.out}`,
        {
          hint: `continue with --resume ${config.out}`,
        },
      );
    }
  } finally {
    (bar as Progress | null)?.stop();
    interrupt.dispose();
    await backend.close();
  }
}

function printEpoch(output: Output, report: EpochReport): void {
  const width = String(report.epochs).length;
  const partial = report.complete ? "" : "  (interrupted)";
  output.line(
    `epoch ${String(report.epoch).padStart(width)}/${report.epochs}  loss ${report.trainLoss.toFixed(4)}  ` +
      `train acc ${report.trainAcc.toFixed(3)}  test acc ${report.testAcc.toFixed(3)}  ${report.seconds.toFixed(2)}s${partial}`,
  );
  output.event("epoch", {
    epoch: report.epoch,
    epochs: report.epochs,
    train_loss: round(report.trainLoss, 4),
    train_acc: round(report.trainAcc, 4),
    test_acc: report.testAcc,
    lr: report.lr,
    averaged: report.averaged,
    seconds: round(report.seconds, 2),
    ...(report.complete ? {} : { interrupted: true }),
  });
}

/**
 * `--plot`: d2l's Animator as a PNG. The picture is redrawn after every epoch so that it can be
 * watched during a long run; the writes are chained so they land in epoch order.
 */
function curvesWriter(
  path: string | undefined,
  epochs: number,
  output: Output,
): { add(report: EpochReport): void; flush(): Promise<void> } {
  const history: EpochReport[] = [];
  let written: Promise<void> = Promise.resolve();
  let failure: unknown;
  let report: () => void = () => {};
  return {
    add(epoch) {
      if (path === undefined || !epoch.complete) return;
      history.push(epoch);
      const png = renderTrainingCurves(history, { epochs });
      written = written
        .then(async () => {
          if (failure === undefined)
            report = await writePicture(path, png, "curves", output, (p) => output.info(`wrote ${p}`));
        })
        .catch((error: unknown) => {
          failure ??= error;
        });
    },
    async flush() {
      await written;
      if (failure !== undefined) throw failure;
      report();
    },
  };
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

/**
 * Ctrl-C during training: the first SIGINT asks the loop to stop after the current step (the
 * model is then saved); a second one exits at once, leaving any existing model file untouched.
 */
function interruptFlag(): { readonly requested: boolean; dispose(): void } {
  const state = { requested: false };
  const onSignal = () => {
    if (state.requested) process.exit(130);
    state.requested = true;
  };
  process.on("SIGINT", onSignal);
  return {
    get requested() {
      return state.requested;
    },
    dispose: () => {
      process.off("SIGINT", onSignal);
    },
  };
}
