// The reference backend: one SGD epoch, the evaluation count and the predictions in plain
// TypeScript, built from the functions of softmax-regression.ts, sgd.ts and average.ts. Written
// to be read, not to be fast (no SIMD, no workers); the WebAssembly backend is tested against it.
// Buffers are allocated once per batch size and reused for every step.
import { DivergenceError } from "../errors.js";
import type { Backend, EpochHooks, EpochSums, ImageSet, ParameterSums, Params, StepOptions } from "../types.js";
import { NUM_CLASSES, NUM_INPUTS } from "../types.js";
import { addParameters } from "./average.js";
import { gatherBatch, gatherRange } from "./batch.js";
import { sgdStep } from "./sgd.js";
import {
  argmax,
  countCorrect,
  frobeniusNorm,
  linearBackward,
  linearForward,
  lossAndGradient,
} from "./softmax-regression.js";

/** Examples per chunk when counting correct predictions. */
const EVAL_CHUNK = 1000;

/** Working memory for batches of up to `capacity` examples. */
class Buffers {
  readonly X: Float32Array; // (B, 784)
  readonly labels: Uint8Array; // (B)
  readonly logits: Float32Array; // (B, 10)
  readonly P: Float32Array; // (B, 10)
  readonly dLogits: Float32Array; // (B, 10)
  readonly dW = new Float32Array(NUM_CLASSES * NUM_INPUTS); // (10, 784)
  readonly db = new Float32Array(NUM_CLASSES); // (10)
  constructor(readonly capacity: number) {
    this.X = new Float32Array(capacity * NUM_INPUTS);
    this.labels = new Uint8Array(capacity);
    this.logits = new Float32Array(capacity * NUM_CLASSES);
    this.P = new Float32Array(capacity * NUM_CLASSES);
    this.dLogits = new Float32Array(capacity * NUM_CLASSES);
  }
}

export class ReferenceBackend implements Backend {
  readonly name = "reference";
  readonly kernel = "plain";
  private buffers: Buffers | null = null;

  private buffersFor(capacity: number): Buffers {
    if (this.buffers === null || this.buffers.capacity < capacity) this.buffers = new Buffers(capacity);
    return this.buffers;
  }

  async trainEpoch(
    params: Params,
    train: ImageSet,
    order: Uint32Array,
    batchSize: number,
    options: StepOptions,
    hooks: EpochHooks = {},
    average?: ParameterSums,
  ): Promise<EpochSums> {
    // No batch is larger than the split: `--batch-size 1e9` is one full-batch step, not a 3 TB buffer.
    const buf = this.buffersFor(Math.min(batchSize, order.length));
    const grads = { weight: buf.dW, bias: buf.db };
    const steps = Math.ceil(order.length / batchSize);
    let lossSum = 0;
    let correct = 0;
    let count = 0;
    let gradNormSum = 0;
    for (let step = 0; step < steps; step++) {
      const start = step * batchSize;
      const B = Math.min(batchSize, order.length - start); // the last batch may be partial
      gatherBatch(buf.X, buf.labels, train, order, start, B);
      linearForward(buf.logits, buf.X, params.weight, params.bias, B);
      const stepLoss = lossAndGradient(
        buf.dLogits,
        buf.P,
        buf.logits,
        buf.labels,
        B,
        options.loss,
        options.labelSmoothing,
      );
      // Stop before applying an update computed from a NaN/Infinity loss: the parameters keep
      // the last finite values, and the caller reports the divergence.
      if (!Number.isFinite(stepLoss)) {
        throw new DivergenceError(stepLoss, step + 1, steps, options.lr);
      }
      const stepCorrect = countCorrect(buf.logits, buf.labels, B);
      linearBackward(buf.dW, buf.db, buf.dLogits, buf.X, B);
      gradNormSum += frobeniusNorm(buf.dW);
      sgdStep(params, grads, options.lr, options.weightDecay);
      if (average !== undefined) addParameters(average, params);
      lossSum += stepLoss;
      correct += stepCorrect;
      count += B;
      hooks.onStep?.({ step: step + 1, steps, batchSize: B, lossSum: stepLoss, correct: stepCorrect });
      // Let the event loop run between steps, so Ctrl-C and the progress bar are handled mid-epoch.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (step + 1 < steps && hooks.shouldStop?.() === true)
        return { lossSum, correct, count, gradNormSum, stopped: true };
    }
    return { lossSum, correct, count, gradNormSum, stopped: false };
  }

  async countCorrect(params: Params, set: ImageSet): Promise<number> {
    const buf = this.buffersFor(EVAL_CHUNK);
    let correct = 0;
    for (let start = 0; start < set.count; start += EVAL_CHUNK) {
      const B = Math.min(EVAL_CHUNK, set.count - start);
      gatherRange(buf.X, buf.labels, set, start, B);
      linearForward(buf.logits, buf.X, params.weight, params.bias, B);
      correct += countCorrect(buf.logits, buf.labels, B);
    }
    return correct;
  }

  async predictLabels(params: Params, set: ImageSet): Promise<Uint8Array> {
    const buf = this.buffersFor(EVAL_CHUNK);
    const predicted = new Uint8Array(set.count);
    for (let start = 0; start < set.count; start += EVAL_CHUNK) {
      const B = Math.min(EVAL_CHUNK, set.count - start);
      gatherRange(buf.X, buf.labels, set, start, B);
      linearForward(buf.logits, buf.X, params.weight, params.bias, B);
      for (let i = 0; i < B; i++) predicted[start + i] = argmax(buf.logits, i * NUM_CLASSES);
    }
    return predicted;
  }

  async close(): Promise<void> {
    this.buffers = null;
  }
}
