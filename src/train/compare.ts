// Training runs side by side (`softmax compare`): the grid of settings to compare (the cross
// product of the values given for some hyperparameters of the table), each run's label, running the
// runs one after another on one backend, and choosing the best run. Runs of the same seed start
// from the same weights (initParams(seed)) and see the same batches (epochOrder(seed, epoch)), so
// they differ only by the settings compared; each run is exactly the train() call that `softmax
// train` makes with those settings. Saving and printing belong to the caller; no I/O here.
//
// Why one run at a time on the backend's two threads rather than two runs at once on one thread
// each: measured on the 2-core machine, one at a time was faster (docs/experiments.md, "Speed").
import { DivergenceError, UsageError } from "../errors.js";
import { initParams } from "../model/softmax-regression.js";
import type { Backend, FashionMnist, Params, StepReport } from "../types.js";
import {
  HYPERPARAMETER_NAMES,
  type HyperparameterName,
  type Hyperparameters,
  hyperparameter,
  resolveHyperparameters,
} from "./hyperparameters.js";
import { type EpochReport, type TrainResult, train } from "./loop.js";

/** Most runs one comparison may ask for: a typo such as `--lr 0.1,0.2,...` ten times over should not start hours of training. */
export const MAX_RUNS = 64;

/** The values to compare, for some hyperparameters (the others take their defaults in every run). */
export type Grid = { readonly [K in HyperparameterName]?: readonly Hyperparameters[K][] };

export interface ComparisonRun {
  /** The settings that tell this run from the others, e.g. "loss=mse lr=0.1" (flag names without --). */
  readonly label: string;
  /** The settings the label names, in table order. */
  readonly settings: Partial<Hyperparameters>;
  readonly hyperparameters: Hyperparameters;
}

/**
 * The runs of `grid`: its cross product, the first hyperparameter of the table outermost, each with
 * the `fixed` settings too (such as the validation split, which must be the same for every run).
 * Each label names the hyperparameters given more than one value (or, when none is, those given;
 * with none given, the loss). Throws UsageError for an empty list, a value listed twice, or more
 * than MAX_RUNS runs.
 */
export function comparisonRuns(grid: Grid, fixed: Partial<Hyperparameters> = {}): ComparisonRun[] {
  const names = HYPERPARAMETER_NAMES.filter((name) => grid[name] !== undefined);
  for (const name of names) {
    const values = grid[name] as readonly unknown[];
    const { flag } = hyperparameter(name);
    if (values.length === 0)
      throw new UsageError(`${flag} lists no value`, { hint: `give ${flag} one value or several, comma-separated` });
    const twice = values.find((value, i) => values.indexOf(value) !== i);
    if (twice !== undefined)
      throw new UsageError(`${flag} lists ${twice} twice`, { hint: "each run must differ from the others" });
  }
  const count = names.reduce((product, name) => product * (grid[name] as readonly unknown[]).length, 1);
  if (count > MAX_RUNS) {
    const sizes = names.map((name) => `${(grid[name] as readonly unknown[]).length} ${hyperparameter(name).flag}`);
    throw new UsageError(`${sizes.join(" × ")} make ${count} runs, more than ${MAX_RUNS}`, {
      hint: "compare fewer values at once",
    });
  }
  const varied = names.filter((name) => (grid[name] as readonly unknown[]).length > 1);
  const labelled = varied.length > 0 ? varied : names.length > 0 ? names : (["loss"] as const);
  let settings: Partial<Record<HyperparameterName, unknown>>[] = [{}];
  for (const name of names) {
    settings = settings.flatMap((given) =>
      (grid[name] as readonly unknown[]).map((value) => ({ ...given, [name]: value })),
    );
  }
  return settings.map((given) => {
    const hyperparameters = resolveHyperparameters({ ...fixed, ...(given as Partial<Hyperparameters>) });
    const label = labelled.map((name) => `${hyperparameter(name).flag.slice(2)}=${hyperparameters[name]}`).join(" ");
    const settings = Object.fromEntries(labelled.map((name) => [name, hyperparameters[name]]));
    return { label, settings, hyperparameters };
  });
}

/** How one run ended. */
export interface RunOutcome {
  readonly run: ComparisonRun;
  /** 0-based position in the comparison. */
  readonly index: number;
  readonly history: readonly EpochReport[];
  /** What train() returned; absent when the run diverged. */
  readonly result?: TrainResult;
  /** Why the run ended early, when its loss became NaN or Infinity. */
  readonly diverged?: DivergenceError;
  /** The parameters trained (averaged ones when averaging ran), as `softmax train` saves them. */
  readonly params: Params;
  readonly seconds: number;
}

export interface Comparison {
  readonly outcomes: readonly RunOutcome[];
  /** The run with the highest final validation accuracy (with a validation split), else test accuracy; null when no run finished. */
  readonly best: RunOutcome | null;
  /** What chose `best`: the held-out validation images, or (without a split) the test set. */
  readonly chosenBy: "validation" | "test";
  /** True when shouldStop ended the comparison early (Ctrl-C); later runs did not start. */
  readonly stopped: boolean;
}

export interface CompareCallbacks {
  onRunStart?(run: ComparisonRun, index: number): void;
  onStep?(run: ComparisonRun, epoch: number, report: StepReport): void;
  onEpoch?(run: ComparisonRun, report: EpochReport): void;
  /** After each run (e.g. to save its model); awaited before the next run starts. */
  onRunEnd?(outcome: RunOutcome): void | Promise<void>;
  /** Checked after every step; true stops the current run after that step, and the comparison. */
  shouldStop?(): boolean;
}

/**
 * Trains every run of `runs` for `epochs` epochs on `backend`, one after another, each from
 * initParams(its seed), as train() does for `softmax train`. A run that diverges is reported as
 * such and the comparison goes on.
 */
export async function compare(
  backend: Backend,
  data: FashionMnist,
  runs: readonly ComparisonRun[],
  epochs: number,
  callbacks: CompareCallbacks = {},
): Promise<Comparison> {
  const outcomes: RunOutcome[] = [];
  let stopped = false;
  for (const [index, run] of runs.entries()) {
    if (stopped) break;
    callbacks.onRunStart?.(run, index);
    const params = initParams(run.hyperparameters.seed);
    const history: EpochReport[] = [];
    const started = performance.now();
    let outcome: RunOutcome;
    try {
      const result = await train(
        backend,
        data,
        params,
        { ...run.hyperparameters, epochs },
        {
          onStep: (epoch, report) => callbacks.onStep?.(run, epoch, report),
          onEpoch: (report) => {
            history.push(report);
            callbacks.onEpoch?.(run, report);
          },
          shouldStop: callbacks.shouldStop,
        },
      );
      stopped = result.stopped;
      outcome = { run, index, history, result, params, seconds: (performance.now() - started) / 1000 };
    } catch (error) {
      if (!(error instanceof DivergenceError)) throw error;
      outcome = { run, index, history, diverged: error, params, seconds: (performance.now() - started) / 1000 };
    }
    outcomes.push(outcome);
    await callbacks.onRunEnd?.(outcome);
  }
  const chosenBy = runs.some((run) => run.hyperparameters.validation > 0) ? "validation" : "test";
  return { outcomes, best: bestRun(outcomes, chosenBy), chosenBy, stopped };
}

/** The final figures of a run: those of its last epoch, and the test accuracy of its parameters. */
export interface RunFigures {
  readonly trainLoss: number;
  readonly trainAcc: number;
  readonly valAcc?: number;
  readonly testAcc: number;
  /** Mean norm of the weight gradient over the last epoch's steps. */
  readonly gradNorm: number;
}

/** The figures of a run that finished (not diverged) and trained at least one epoch, else null. */
export function runFigures(outcome: RunOutcome): RunFigures | null {
  const last = outcome.history.at(-1);
  if (outcome.result === undefined || last === undefined) return null;
  return {
    trainLoss: last.trainLoss,
    trainAcc: last.trainAcc,
    valAcc: last.valAcc,
    testAcc: outcome.result.testAccuracy,
    gradNorm: last.gradNorm,
  };
}

/** The finished run with the highest final validation (or test) accuracy; the first of equals. */
export function bestRun(outcomes: readonly RunOutcome[], chosenBy: "validation" | "test"): RunOutcome | null {
  let best: RunOutcome | null = null;
  let bestScore = -Infinity;
  for (const outcome of outcomes) {
    const figures = runFigures(outcome);
    if (figures === null) continue;
    const score = chosenBy === "validation" ? (figures.valAcc ?? -Infinity) : figures.testAcc;
    if (score > bestScore) {
      best = outcome;
      bestScore = score;
    }
  }
  return best;
}
