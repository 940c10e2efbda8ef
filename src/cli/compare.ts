// `softmax compare`: trains several runs side by side (the cross product of comma lists given to
// the hyperparameter flags) and prints one row per run, the best one marked; or with --json the
// epoch events of every run and one `summary` event. --out-dir saves each run's model, --plot draws
// the runs' curves overlaid. The grid, the runs and the choice of the best are the library's
// (src/train/compare.ts); this file parses the flags and formats. No maths here.
import { access, constants, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  type Comparison,
  type ComparisonRun,
  checkOutputPath,
  compare,
  comparisonRuns,
  type EpochReport,
  type Grid,
  HYPERPARAMETER_NAMES,
  type HyperparameterName,
  type Hyperparameters,
  hyperparameter,
  InterruptedError,
  type KernelChoice,
  type RunOutcome,
  renderComparisonCurves,
  runFigures,
  SoftmaxError,
  saveTrainedModel,
  UsageError,
  type ValueKind,
} from "../index.js";
import { loadDataForCommand } from "./load-data.js";
import {
  addBackendOptions,
  addDataOptions,
  addQuietOption,
  type BackendFlags,
  backendFor,
  type CliContext,
  type DataOptions,
  flagParser,
  integerAtLeast,
} from "./options.js";
import { Output } from "./output.js";
import { picturePath, writePicture, writesToStdout } from "./pictures.js";
import type { Progress } from "./progress-bar.js";
import { formatDuration } from "./progress-line.js";
import { epochFields, interruptFlag, round } from "./train.js";

/**
 * Hyperparameters that take one value for every run rather than a list. The validation split:
 * validation accuracies measured on different held-out images cannot be compared.
 */
// One dataset for every run (the data is loaded once), recorded in each run's model; one kernel
// for every run (the backend is created once), so each run's bits are those `train --kernel` gives.
const SHARED: readonly HyperparameterName[] = ["validation", "dataset", "kernel"];

type CompareFlags = DataOptions &
  BackendFlags & { [K in HyperparameterName]?: readonly Hyperparameters[K][] } & {
    validation: number;
    dataset: string;
    kernel: KernelChoice;
    epochs: number;
    plot?: string;
    outDir?: string;
    json?: boolean;
    quiet?: boolean;
  };

/** A commander parser of a comma list, each value checked by `kind` (as train's flag checks one). */
function listParser<T>(kind: ValueKind<T>): (value: string) => T[] {
  return (value) =>
    value.split(",").map((part) => {
      const parsed = kind.parse(part.trim());
      if (parsed === undefined) throw new InvalidArgumentError(`${JSON.stringify(part)} is not ${kind.expected}.`);
      return parsed;
    });
}

/** One option per entry of the hyperparameter table: a comma list, or one value for SHARED ones. */
function addGridOptions(command: Command): void {
  for (const name of HYPERPARAMETER_NAMES) {
    const { flag, placeholder, help, default: value, kind } = hyperparameter(name);
    if (SHARED.includes(name)) {
      command.addOption(new Option(`${flag} ${placeholder}`, help).default(value).argParser(flagParser<unknown>(kind)));
    } else {
      const option = new Option(
        `${flag} ${placeholder.replace(">", ",...>")}`,
        `${help}; a comma list compares each (default: ${value})`,
      );
      command.addOption(option.argParser(listParser<unknown>(kind)));
    }
  }
}

export function registerCompare(program: Command, context: CliContext = {}): void {
  const command = program
    .command("compare")
    .description(
      "Train several runs side by side (the cross product of comma lists of hyperparameters) and compare them.",
    )
    .option("--epochs <n>", "epochs to train each run", integerAtLeast(1), 10);
  addGridOptions(command);
  command
    .option(
      "--plot <file>",
      "draw the runs' train loss and held-out accuracy per epoch overlaid, to this PNG",
      picturePath,
    )
    .option(
      "--out-dir <dir>",
      "save each run's model in this directory, as LABEL.safetensors (spaces in the label as _)",
    )
    .option("--json", "print NDJSON: every run's epoch events (with its label and settings), then one summary");
  addQuietOption(command);
  addBackendOptions(command, "what runs the training steps and the evaluation");
  addDataOptions(command, { dataset: false });
  command.addHelpText(
    "after",
    `
Examples:
  softmax compare --loss cross-entropy,mse,hinge --plot losses.png
  softmax compare --lr 0.03,0.1,0.3 --validation 10000   # on held-out images
  softmax compare --weight-decay 0,0.0001 --seed 0,1 --json |
    jq 'select(.event=="summary")'

Runs of the same seed start from the same weights and see the same batches;
each run gives the same figures (and, saved, the same model file) as
\`softmax train\` with its settings. At most 64 runs. The best run is the one
with the highest final validation accuracy (with --validation), else test
accuracy, which then means the test set chose it.`,
  );
  command.action(async (flags: CompareFlags) => {
    await runCompare(flags, context);
  });
}

async function runCompare(flags: CompareFlags, context: CliContext): Promise<void> {
  // The models and the summary outlive stdout: `softmax compare | head -3` goes on and saves.
  const output = new Output({
    json: flags.json,
    quiet: flags.quiet,
    outlivesStdout: true,
    pictureOnStdout: writesToStdout(flags.plot),
  });
  const grid = Object.fromEntries([
    ...HYPERPARAMETER_NAMES.filter((name) => !SHARED.includes(name) && flags[name] !== undefined).map((name) => [
      name,
      flags[name],
    ]),
  ]) as Grid;
  const runs = comparisonRuns(grid, { validation: flags.validation, dataset: flags.dataset, kernel: flags.kernel });
  if (flags.plot !== undefined)
    await checkOutputPath(flags.plot, { what: "the comparison curves", flag: "--plot", fileName: "curves.png" });
  if (flags.outDir !== undefined) await prepareOutDir(flags.outDir);

  // The backend first: the data is read into its memory (Backend.allocate) while its worker starts.
  const backend = await backendFor(flags, context, flags.kernel);
  const curves = new Map<string, EpochReport[]>(runs.map((run) => [run.label, []]));
  let comparison: Comparison;
  let interrupt: ReturnType<typeof interruptFlag>;
  try {
    const data = await loadDataForCommand(flags, output, backend);
    interrupt = interruptFlag();
    const started = performance.now();
    const progress = comparisonProgress(output, runs.length, flags.epochs, started);
    try {
      comparison = await compare(backend, data, runs, flags.epochs, {
        onRunStart: (run, index) => progress.runStart(run, index),
        onStep: (_run, epoch, step) => progress.step(epoch, step.step, step.steps),
        onEpoch: (run, report) => {
          progress.epochDone();
          curves.get(run.label)?.push(report);
          output.event("epoch", { run: run.label, ...settingsJson(run.hyperparameters), ...epochFields(report) });
        },
        onRunEnd: async (outcome) => {
          progress.runEnd(outcome);
          if (outcome.diverged !== undefined) output.warn(`run ${outcome.run.label}: ${outcome.diverged.message}`);
          else if (flags.outDir !== undefined && outcome.result !== undefined) {
            const path = join(flags.outDir, modelFileName(outcome.run));
            await interrupt.whileSaving(() =>
              saveTrainedModel(path, outcome.params, outcome.result!.record, data.classes),
            );
            output.info(`saved ${path}`);
          }
        },
        shouldStop: () => interrupt.signal !== null,
      });
    } finally {
      progress.stop();
    }
  } finally {
    await backend.close();
  }
  if (flags.plot !== undefined) {
    const png = renderComparisonCurves(
      runs.map((run) => ({ label: run.label, epochs: curves.get(run.label) ?? [] })),
      { epochs: flags.epochs },
    );
    const report = await writePicture(flags.plot, png, "curves", output, (p) => output.info(`wrote ${p}`));
    report();
  }
  if (output.json) output.event("summary", summaryJson(comparison));
  else output.write(formatTable(comparison));
  if (comparison.stopped) {
    throw new InterruptedError(
      `interrupted: ${comparison.outcomes.length} of ${runs.length} runs trained (the last one in part)`,
      {
        signal: interrupt.signal ?? "SIGINT",
        ...(flags.outDir === undefined ? {} : { hint: `the models trained are in ${flags.outDir}` }),
      },
    );
  }
  if (comparison.best === null) {
    const first = comparison.outcomes.find((outcome) => outcome.diverged !== undefined)?.diverged;
    throw first ?? new SoftmaxError("no run finished");
  }
}

/** --out-dir: created if absent; it must be a writable directory before any training. */
async function prepareOutDir(dir: string): Promise<void> {
  if (dir.trim() === "") throw new UsageError("--out-dir is empty", { hint: "give the directory for the models" });
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (error) {
    throw new UsageError(`--out-dir ${dir} is not a writable directory`, {
      hint: "name a directory you can write to (it is created if absent)",
      cause: error,
    });
  }
}

/** `loss=mse lr=0.1` → `loss=mse_lr=0.1.safetensors`. */
export function modelFileName(run: ComparisonRun): string {
  return `${run.label.replaceAll(" ", "_")}.safetensors`;
}

/** Every hyperparameter of a run under its metadata key (`batch_size`, ...), as the model file records it. */
function settingsJson(hyperparameters: Hyperparameters): Record<string, unknown> {
  return Object.fromEntries(
    HYPERPARAMETER_NAMES.map((name) => [hyperparameter(name).metadataKey, hyperparameters[name]]),
  );
}

function summaryJson(comparison: Comparison): Record<string, unknown> {
  return {
    runs: comparison.outcomes.map((outcome) => {
      const figures = runFigures(outcome);
      return {
        run: outcome.run.label,
        ...settingsJson(outcome.run.hyperparameters),
        train_loss: figures === null ? null : round(figures.trainLoss, 4),
        train_acc: figures === null ? null : round(figures.trainAcc, 4),
        ...(comparison.chosenBy === "validation" ? { val_acc: figures?.valAcc ?? null } : {}),
        test_acc: figures?.testAcc ?? null,
        grad_norm: figures === null ? null : round(figures.gradNorm, 4),
        seconds: round(outcome.seconds, 2),
        ...(outcome.diverged === undefined ? {} : { diverged: outcome.diverged.message }),
        ...(outcome.result?.stopped === true ? { interrupted: true } : {}),
      };
    }),
    best: comparison.best?.run.label ?? null,
    chosen_by: comparison.chosenBy,
  };
}

/** The table: one row per run, its settings then its final figures, the best run marked. */
export function formatTable(comparison: Comparison): string {
  const settingNames = Object.keys(comparison.outcomes[0]?.run.settings ?? {}) as HyperparameterName[];
  const header = [
    ...settingNames.map((name) => hyperparameter(name).flag.slice(2)),
    "train loss",
    "train acc",
    ...(comparison.chosenBy === "validation" ? ["val acc"] : []),
    "test acc",
    "grad norm",
    "seconds",
    "",
  ];
  const rows = comparison.outcomes.map((outcome) => {
    const figures = runFigures(outcome);
    const cells = settingNames.map((name) => String(outcome.run.settings[name]));
    if (figures === null)
      return [
        ...cells,
        ...header.slice(cells.length, -2).map(() => "-"),
        round(outcome.seconds, 2).toFixed(2),
        "diverged",
      ];
    return [
      ...cells,
      figures.trainLoss.toFixed(4),
      figures.trainAcc.toFixed(3),
      ...(comparison.chosenBy === "validation" ? [figures.valAcc?.toFixed(3) ?? "-"] : []),
      figures.testAcc.toFixed(3),
      figures.gradNorm.toFixed(4),
      outcome.seconds.toFixed(2),
      outcome === comparison.best ? "best" : "",
    ];
  });
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < settingNames.length ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  let text = `${[line(header), ...rows.map(line)].join("\n")}\n`;
  if (comparison.best !== null && comparison.chosenBy === "test") {
    text +=
      "best: chosen by test accuracy, so the test set chose it; --validation N chooses on held-out training images\n";
  }
  return text;
}

/**
 * Progress on stderr: a bar per epoch naming the run, the epoch and the time left for the whole
 * comparison (when stderr is a terminal), and a line per finished run.
 */
function comparisonProgress(output: Output, runCount: number, epochs: number, started: number) {
  let bar: Progress | null = null;
  let label = "";
  let runIndex = 0;
  let epochsDone = 0;
  const remaining = (): string => timeLeft((performance.now() - started) / 1000, epochsDone, runCount * epochs);
  return {
    runStart(run: ComparisonRun, index: number) {
      runIndex = index;
      label = run.label;
    },
    step(epoch: number, step: number, steps: number) {
      if (step === 1) {
        bar?.stop();
        bar = output.progress(
          `run ${runIndex + 1}/${runCount} ${label}: epoch ${epoch}/${epochs}${remaining()}`,
          steps,
          "steps",
        );
      }
      bar?.update(step);
    },
    epochDone() {
      epochsDone++;
    },
    runEnd(outcome: RunOutcome) {
      bar?.stop();
      bar = null;
      epochsDone = (runIndex + 1) * epochs; // a diverged run's epochs are done too
      const how = outcome.diverged === undefined ? `in ${outcome.seconds.toFixed(1)}s` : "diverged";
      output.info(`run ${runIndex + 1}/${runCount} ${label}: done ${how}${runIndex + 1 < runCount ? remaining() : ""}`);
    },
    stop() {
      bar?.stop();
    },
  };
}

/**
 * ", about 1:05 left": the comparison's time left at its mean time per epoch so far, in the format
 * of train's ETA; nothing before the first epoch is done.
 */
export function timeLeft(elapsedSeconds: number, epochsDone: number, totalEpochs: number): string {
  if (epochsDone === 0) return "";
  return `, about ${formatDuration((elapsedSeconds / epochsDone) * (totalEpochs - epochsDone))} left`;
}
