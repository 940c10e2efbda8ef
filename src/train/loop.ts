// The training loop (d2l §3.6.6 train_epoch_ch3 / train_ch3): reshuffle, one SGD pass through a
// backend, accumulate loss and accuracy step by step, evaluate on the test set (or, with a
// validation split, on the held-out images, and on the test set once at the end), report.
// It takes a typed options object and callbacks; printing, saving and signals belong to the CLI.
// The shuffle is made here from the seeded PRNG, so every backend sees the same order.
// Divergence is detected where the step runs: a backend stops before applying an update computed
// from a non-finite loss and throws DivergenceError; the loop only adds the epoch to it.
import { DivergenceError, UsageError } from "../errors.js";
import { createParameterSums, meanParameters } from "../model/average.js";
import { Rng } from "../model/rng.js";
import type {
  Backend,
  EpochHooks,
  FashionMnist,
  ImageSet,
  ParameterSums,
  Params,
  StepOptions,
  StepReport,
} from "../types.js";
import { Accumulator } from "./accumulator.js";
import { type Hyperparameters, integerValue, resolveHyperparameters } from "./hyperparameters.js";
import type { TrainingRecord } from "./metadata.js";
import { learningRate } from "./schedule.js";
import { splitValidation } from "./validation.js";

/**
 * What train() runs: the hyperparameters (any left out take their defaults, see
 * src/train/hyperparameters.ts), the number of epochs of this call, and where a resumed run starts.
 */
export type TrainOptions = Partial<Hyperparameters> & {
  /** Epochs to run in this call (after `startEpoch` already done). */
  readonly epochs: number;
  /** Epochs already trained (from a resumed model file); numbering and shuffles continue from here. */
  readonly startEpoch?: number;
};

export interface EpochReport {
  /** 1-based epoch number, counting resumed epochs. */
  readonly epoch: number;
  /** startEpoch + epochs. */
  readonly epochs: number;
  /** Mean loss over the epoch's examples, accumulated during the epoch (before each update). */
  readonly trainLoss: number;
  readonly trainAcc: number;
  /**
   * Test accuracy of the parameters that would be saved now (the running average inside the
   * averaging window). Absent with a validation split: the test set is then scored once, at the end.
   */
  readonly testAcc?: number;
  /** With a validation split: the accuracy of those parameters on the held-out images. */
  readonly valAcc?: number;
  readonly lr: number;
  /** Mean over the epoch's steps of ‖dW‖_F, the Frobenius norm of the weight gradient before weight decay. */
  readonly gradNorm: number;
  /** True when testAcc (or valAcc) is that of averaged parameters. */
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
  /** How the parameters were trained, as a model file records it (saveTrainedModel writes it). */
  readonly record: TrainingRecord;
}

const EPOCH_COUNT = integerValue(0);

/** The shuffle of epoch `epochIndex` (0-based, counting resumed epochs): a permutation of 0..n−1 from stream 1 + epochIndex. */
export function epochOrder(seed: number, epochIndex: number, n: number): Uint32Array {
  return new Rng(seed, 1 + epochIndex).permutation(n);
}

/** Fraction of `set` the model classifies correctly (d2l §3.6.5 evaluate_accuracy). */
export async function evaluateAccuracy(backend: Backend, params: Params, set: ImageSet): Promise<number> {
  if (set.count === 0) return 0;
  return (await backend.countCorrect(params, set)) / set.count;
}

export interface EpochResult {
  readonly trainLoss: number;
  readonly trainAcc: number;
  /** Mean over the epoch's steps of ‖dW‖_F, the weight gradient before weight decay. */
  readonly gradNorm: number;
  readonly stopped: boolean;
}

/**
 * One pass over `train` in the given order (d2l train_epoch_ch3): mean loss and accuracy
 * accumulated step by step, and the mean norm of the weight gradient over its steps (from the
 * backend's sum of the norms). With `average`, the backend adds the parameters after every update
 * to those running sums (tail averaging), inside its own loop.
 */
export async function trainEpoch(
  backend: Backend,
  params: Params,
  train: ImageSet,
  order: Uint32Array,
  batchSize: number,
  step: StepOptions,
  hooks: EpochHooks = {},
  average?: ParameterSums,
): Promise<EpochResult> {
  const metric = new Accumulator(4); // slot 0: sum of losses, 1: correct predictions, 2: examples, 3: steps
  const onStep: EpochHooks["onStep"] = (report) => {
    metric.add(report.lossSum, report.correct, report.batchSize, 1);
    hooks.onStep?.(report);
  };
  const sums = await backend.trainEpoch(params, train, order, batchSize, step, { ...hooks, onStep }, average);
  const count = metric.get(2);
  const steps = metric.get(3);
  return {
    trainLoss: count === 0 ? 0 : metric.get(0) / count,
    trainAcc: count === 0 ? 0 : metric.get(1) / count,
    gradNorm: steps === 0 ? 0 : sums.gradNormSum / steps,
    stopped: sums.stopped,
  };
}

/**
 * Trains `params` in place for `options.epochs` epochs (d2l train_ch3), testing after each; with
 * `validation` > 0, on the training images left after holding that many out, scoring each epoch on
 * them and testing once at the end.
 */
export async function train(
  backend: Backend,
  data: FashionMnist,
  params: Params,
  options: TrainOptions,
  callbacks: TrainCallbacks = {},
): Promise<TrainResult> {
  const { epochs, startEpoch = 0, ...given } = options;
  const h = resolveHyperparameters(given);
  const split = h.validation > 0 ? splitValidation(data.train, h.validation) : null;
  const trainSet = split?.train ?? data.train;
  const totalEpochs = startEpoch + epochs;
  // Epoch numbers must stay exact: past 2^53, e + 1 === e and the loop below would never end.
  if (!EPOCH_COUNT.valid(epochs) || !EPOCH_COUNT.valid(startEpoch) || !EPOCH_COUNT.valid(totalEpochs)) {
    throw new UsageError(
      `epochs is ${epochs} after ${startEpoch} already trained; expected integers >= 0 whose sum is below 2^53`,
      { hint: "give a smaller --epochs" },
    );
  }
  // Tail averaging (Polyak & Juditsky 1992): the result is the mean of the parameters after every
  // step of the last `average` epochs of this call; it cancels most of the noise that a constant
  // learning rate leaves in the last iterate.
  const averageFrom = totalEpochs - Math.min(h.average, epochs);
  const average = createParameterSums();
  const mean: Params = { weight: new Float32Array(params.weight.length), bias: new Float32Array(params.bias.length) };
  const history: EpochReport[] = [];
  let epochsDone = startEpoch;
  let stopped = false;
  let testAccuracy = Number.NaN;
  for (let e = startEpoch; e < totalEpochs && !stopped; e++) {
    const started = performance.now();
    const lr = learningRate(h.schedule, h.lr, e, totalEpochs);
    const step: StepOptions = { lr, weightDecay: h.weightDecay, labelSmoothing: h.labelSmoothing, loss: h.loss };
    const averaging = e >= averageFrom;
    const epoch = await trainEpoch(
      backend,
      params,
      trainSet,
      epochOrder(h.seed, e, trainSet.count),
      h.batchSize,
      step,
      { onStep: (report) => callbacks.onStep?.(e + 1, report), shouldStop: callbacks.shouldStop },
      averaging ? average : undefined,
    ).catch((error: unknown) => {
      // Name the epoch, and the --lr the user gave (not this epoch's scheduled rate).
      if (!(error instanceof DivergenceError)) throw error;
      throw new DivergenceError(error.loss, error.step, error.steps, h.lr, e + 1);
    });
    if (!epoch.stopped) epochsDone = e + 1;
    stopped = epoch.stopped || (e + 1 < totalEpochs && callbacks.shouldStop?.() === true);
    const current = averaging ? meanParameters(average, mean) : params;
    // The last test figure is that of the parameters saved, by this backend: `softmax evaluate`
    // with the same backend reports exactly this number for the saved model.
    let heldOut: { testAcc: number } | { valAcc: number };
    if (split === null) {
      testAccuracy = await evaluateAccuracy(backend, current, data.test);
      heldOut = { testAcc: testAccuracy };
    } else {
      heldOut = { valAcc: await evaluateAccuracy(backend, current, split.validation) };
    }
    const report: EpochReport = {
      epoch: e + 1,
      epochs: totalEpochs,
      trainLoss: epoch.trainLoss,
      trainAcc: epoch.trainAcc,
      ...heldOut,
      lr,
      gradNorm: epoch.gradNorm,
      averaged: averaging,
      seconds: (performance.now() - started) / 1000,
      complete: !epoch.stopped,
    };
    history.push(report);
    callbacks.onEpoch?.(report);
  }
  const averaged = average.count > 0;
  if (averaged) meanParameters(average, params);
  if (Number.isNaN(testAccuracy)) testAccuracy = await evaluateAccuracy(backend, params, data.test);
  // The record names the kernel that ran (the backend's), not the choice (auto).
  const record = { ...h, kernel: backend.kernel, epochs: epochsDone, testAccuracy };
  return { history, epochsDone, stopped, testAccuracy, averaged, record };
}
