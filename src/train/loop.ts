// The training loop (d2l §3.6.6 train_epoch_ch3 / train_ch3): reshuffle, one SGD pass through a
// backend, accumulate loss and accuracy during the pass, evaluate on the test set, report.
// It takes a typed options object and callbacks; printing, saving and signals belong to the CLI.
// The shuffle is made here from the seeded PRNG, so every backend sees the same order.
import { DivergenceError } from "../errors.js";
import { Rng } from "../model/rng.js";
import type {
  Backend,
  EpochHooks,
  EpochSums,
  FashionMnist,
  ImageSet,
  LossName,
  Params,
  StepOptions,
  StepReport,
} from "../types.js";
import { Accumulator } from "./accumulator.js";
import { referenceAccuracy } from "./evaluate.js";

export type ScheduleName = "constant" | "cosine";
export const SCHEDULE_NAMES: readonly ScheduleName[] = ["constant", "cosine"];

export interface TrainOptions {
  /** Epochs to run in this call (after `startEpoch` already done). */
  readonly epochs: number;
  readonly batchSize: number;
  /** Base learning rate (the schedule scales it per epoch). */
  readonly lr: number;
  readonly weightDecay: number;
  readonly labelSmoothing: number;
  readonly loss: LossName;
  readonly seed: number;
  readonly schedule: ScheduleName;
  /** Epochs already trained (from a resumed model file); numbering and shuffles continue from here. */
  readonly startEpoch?: number;
  /**
   * Tail averaging (Polyak & Juditsky 1992): the result is the mean of the parameters after every
   * step of the last `average` epochs of this call (0: off, keep the last iterate). Averaging
   * cancels most of the SGD noise that a constant learning rate leaves in the last iterate.
   */
  readonly average?: number;
}

export interface EpochReport {
  /** 1-based epoch number, counting resumed epochs. */
  readonly epoch: number;
  /** startEpoch + epochs. */
  readonly epochs: number;
  /** Mean loss over the epoch's examples, accumulated during the epoch (before each update). */
  readonly trainLoss: number;
  readonly trainAcc: number;
  /** Test accuracy of the parameters that would be saved now (the running average inside the averaging window). */
  readonly testAcc: number;
  readonly lr: number;
  /** True when testAcc is that of averaged parameters. */
  readonly averaged: boolean;
  readonly seconds: number;
  /** False when Ctrl-C ended the epoch early: the figures then cover the steps that ran. */
  readonly complete: boolean;
}

export interface TrainCallbacks {
  onEpoch?(report: EpochReport): void;
  /** After every step; `epoch` is 1-based, counting resumed epochs. */
  onStep?(epoch: number, report: StepReport): void;
  /** Checked after every step; true stops training after that step (Ctrl-C). */
  shouldStop?(): boolean;
}

export interface TrainResult {
  readonly history: EpochReport[];
  /** Complete epochs trained in total, counting resumed ones. */
  readonly epochsDone: number;
  /** True when shouldStop ended training before all epochs ran. */
  readonly stopped: boolean;
  /** Test accuracy of the parameters left in `params` at the end (averaged ones when averaging ran). */
  readonly testAccuracy: number;
  /** True when `params` now holds averaged parameters. */
  readonly averaged: boolean;
}

/** The shuffle of epoch `epochIndex` (0-based, counting resumed epochs): a permutation of 0..n−1 from stream 1 + epochIndex. */
export function epochOrder(seed: number, epochIndex: number, n: number): Uint32Array {
  return new Rng(seed, 1 + epochIndex).permutation(n);
}

/**
 * Learning rate of epoch `epochIndex` (0-based) out of `totalEpochs`.
 * constant: lr.   cosine (Loshchilov & Hutter, SGDR without restarts): lr·½(1 + cos(π·e/E)),
 * so the first epoch uses lr and the rate falls smoothly towards 0 at the end.
 */
export function learningRate(schedule: ScheduleName, lr: number, epochIndex: number, totalEpochs: number): number {
  if (schedule === "constant") return lr;
  return lr * 0.5 * (1 + Math.cos((Math.PI * epochIndex) / totalEpochs));
}

/** Fraction of `set` the model classifies correctly (d2l §3.6.5 evaluate_accuracy). */
export async function evaluateAccuracy(backend: Backend, params: Params, set: ImageSet): Promise<number> {
  if (set.count === 0) return 0;
  return (await backend.countCorrect(params, set)) / set.count;
}

export interface EpochResult {
  readonly trainLoss: number;
  readonly trainAcc: number;
  readonly stopped: boolean;
}

/**
 * One pass over `train` in the given order (d2l train_epoch_ch3): mean loss and accuracy
 * accumulated during the pass. With `afterStep`, the backend is driven one minibatch at a time
 * (same batches, same result) and `afterStep` sees the parameters after every update, whatever
 * the backend keeps internally between its own steps.
 */
export async function trainEpoch(
  backend: Backend,
  params: Params,
  train: ImageSet,
  order: Uint32Array,
  batchSize: number,
  step: StepOptions,
  hooks: EpochHooks = {},
  afterStep?: () => void,
): Promise<EpochResult> {
  const metric = new Accumulator(3); // slot 0: sum of losses, 1: correct predictions, 2: examples
  const steps = Math.ceil(order.length / batchSize);
  let diverged: { loss: number; step: number } | null = null as { loss: number; step: number } | null;
  let stopped = false;
  const sliceSteps = afterStep === undefined ? steps : 1;
  let lastStep = 0; // last step reported, counted over the whole epoch
  const diverge = (loss: string, at: number, cause?: unknown) =>
    new DivergenceError(`training diverged: the loss became ${loss} at step ${at} of ${steps}`, {
      hint: `try a smaller --lr than ${step.lr}`,
      cause,
    });
  for (let first = 0; first < steps && !stopped && diverged === null; first += sliceSteps) {
    const slice = order.subarray(first * batchSize, Math.min(order.length, (first + sliceSteps) * batchSize));
    let sums: EpochSums;
    try {
      sums = await backend.trainEpoch(params, train, slice, batchSize, step, {
        onStep: (report) => {
          lastStep = first + report.step;
          if (!Number.isFinite(report.lossSum) && diverged === null)
            diverged = { loss: report.lossSum, step: lastStep };
          hooks.onStep?.({ ...report, step: lastStep, steps });
        },
        shouldStop: () => diverged !== null || hooks.shouldStop?.() === true,
      });
    } catch (error) {
      // A backend that stops before applying the bad step's update throws; it only knows the
      // step within the slice it was given, so the message is rebuilt with the epoch's count.
      if (!(error instanceof DivergenceError)) throw error;
      throw diverge(/became (NaN|-?Infinity)/.exec(error.message)?.[1] ?? "NaN or Infinity", lastStep + 1, error);
    }
    metric.add(sums.lossSum, sums.correct, sums.count);
    afterStep?.();
    stopped = sums.stopped || (first + sliceSteps < steps && hooks.shouldStop?.() === true);
  }
  if (diverged !== null) throw diverge(String(diverged.loss), diverged.step);
  if (!Number.isFinite(metric.get(0))) throw diverge(String(metric.get(0)), lastStep);
  const count = metric.get(2);
  return {
    trainLoss: count === 0 ? 0 : metric.get(0) / count,
    trainAcc: count === 0 ? 0 : metric.get(1) / count,
    stopped,
  };
}

/** Trains `params` in place for `options.epochs` epochs (d2l train_ch3), testing after each. */
export async function train(
  backend: Backend,
  data: FashionMnist,
  params: Params,
  options: TrainOptions,
  callbacks: TrainCallbacks = {},
): Promise<TrainResult> {
  const startEpoch = options.startEpoch ?? 0;
  const totalEpochs = startEpoch + options.epochs;
  const averageFrom = totalEpochs - Math.min(options.average ?? 0, options.epochs);
  const average = new ParameterAverage(params);
  const history: EpochReport[] = [];
  let epochsDone = startEpoch;
  let stopped = false;
  let testAccuracy = Number.NaN;
  for (let e = startEpoch; e < totalEpochs && !stopped; e++) {
    const started = performance.now();
    const lr = learningRate(options.schedule, options.lr, e, totalEpochs);
    const order = epochOrder(options.seed, e, data.train.count);
    const step: StepOptions = {
      lr,
      weightDecay: options.weightDecay,
      labelSmoothing: options.labelSmoothing,
      loss: options.loss,
    };
    const averaging = e >= averageFrom;
    let epoch: EpochResult;
    try {
      epoch = await trainEpoch(
        backend,
        params,
        data.train,
        order,
        options.batchSize,
        step,
        {
          onStep: (report) => callbacks.onStep?.(e + 1, report),
          shouldStop: () => callbacks.shouldStop?.() === true,
        },
        averaging ? () => average.add(params) : undefined,
      );
    } catch (error) {
      // Name the epoch, and the --lr the user gave (not this epoch's scheduled rate).
      if (!(error instanceof DivergenceError)) throw error;
      const detail = error.message.replace(/^training diverged: /, "");
      throw new DivergenceError(`training diverged in epoch ${e + 1}: ${detail}`, {
        hint: `try a smaller --lr than ${options.lr}`,
        cause: error,
      });
    }
    if (!epoch.stopped) epochsDone = e + 1;
    stopped = epoch.stopped || (e + 1 < totalEpochs && callbacks.shouldStop?.() === true);
    const current = averaging ? average.mean() : params;
    // The last figure is computed by the reference, so it is exactly what `softmax evaluate`
    // reports for the saved model, whichever backend trained it.
    const last = stopped || e + 1 === totalEpochs;
    testAccuracy = last ? referenceAccuracy(current, data.test) : await evaluateAccuracy(backend, current, data.test);
    const report: EpochReport = {
      epoch: e + 1,
      epochs: totalEpochs,
      trainLoss: epoch.trainLoss,
      trainAcc: epoch.trainAcc,
      testAcc: testAccuracy,
      lr,
      averaged: averaging,
      seconds: (performance.now() - started) / 1000,
      complete: !epoch.stopped,
    };
    history.push(report);
    callbacks.onEpoch?.(report);
  }
  const averaged = average.count > 0;
  if (averaged) {
    const mean = average.mean();
    params.weight.set(mean.weight);
    params.bias.set(mean.bias);
  }
  if (Number.isNaN(testAccuracy)) testAccuracy = referenceAccuracy(params, data.test);
  return { history, epochsDone, stopped, testAccuracy, averaged };
}

/** Running sum of parameter snapshots, in float64 so that thousands of small updates are not rounded away. */
class ParameterAverage {
  count = 0;
  private readonly weight: Float64Array;
  private readonly bias: Float64Array;
  private readonly result: Params;

  constructor(like: Params) {
    this.weight = new Float64Array(like.weight.length);
    this.bias = new Float64Array(like.bias.length);
    this.result = { weight: new Float32Array(like.weight.length), bias: new Float32Array(like.bias.length) };
  }

  add(params: Params): void {
    for (let j = 0; j < this.weight.length; j++) this.weight[j] = this.weight[j]! + params.weight[j]!;
    for (let j = 0; j < this.bias.length; j++) this.bias[j] = this.bias[j]! + params.bias[j]!;
    this.count++;
  }

  /** The mean so far, rounded to float32 (a view reused between calls). */
  mean(): Params {
    for (let j = 0; j < this.weight.length; j++) this.result.weight[j] = this.weight[j]! / this.count;
    for (let j = 0; j < this.bias.length; j++) this.result.bias[j] = this.bias[j]! / this.count;
    return this.result;
  }
}
