// Evaluating a trained model on a whole split: the predicted class of every example and the
// metrics `softmax evaluate` reports. Predictions take the argmax of the logits computed by the
// same reference functions the training loop's test accuracy uses, so the two always agree.
import { gatherRange } from "../model/batch.js";
import { argmax, linearForward } from "../model/softmax-regression.js";
import type { ImageSet, Params } from "../types.js";
import { NUM_CLASSES, NUM_INPUTS } from "../types.js";
import { accuracy, type ConfusedPair, confusionMatrix, mostConfused, perClassAccuracy } from "./metrics.js";

/** Examples per chunk, so memory stays small whatever the split size. */
const CHUNK = 1000;

/** The predicted class (argmax of the logits) of each example of `set` (d2l predict_ch3, without the pictures). */
export function predictLabels(params: Params, set: ImageSet): Uint8Array {
  const predicted = new Uint8Array(set.count);
  const X = new Float32Array(CHUNK * NUM_INPUTS); // (chunk, 784)
  const labels = new Uint8Array(CHUNK);
  const logits = new Float32Array(CHUNK * NUM_CLASSES); // (chunk, 10)
  for (let start = 0; start < set.count; start += CHUNK) {
    const B = Math.min(CHUNK, set.count - start);
    gatherRange(X, labels, set, start, B);
    linearForward(logits, X, params.weight, params.bias, B);
    for (let i = 0; i < B; i++) predicted[start + i] = argmax(logits, i * NUM_CLASSES);
  }
  return predicted;
}

/** Fraction of `set` classified correctly, by the reference predictions (what `softmax evaluate` reports). */
export function referenceAccuracy(params: Params, set: ImageSet): number {
  return accuracy(predictLabels(params, set), set.labels);
}

export interface Evaluation {
  readonly accuracy: number;
  readonly correct: number;
  readonly count: number;
  /** (10, 10) counts, rows true class, columns predicted class. */
  readonly confusion: Uint32Array;
  readonly perClassAccuracy: number[];
  /** The three largest off-diagonal cells. */
  readonly mostConfused: ConfusedPair[];
}

export function evaluateModel(params: Params, set: ImageSet): Evaluation {
  const predicted = predictLabels(params, set);
  const confusion = confusionMatrix(predicted, set.labels);
  let correct = 0;
  for (let c = 0; c < NUM_CLASSES; c++) correct += confusion[c * NUM_CLASSES + c]!;
  return {
    accuracy: accuracy(predicted, set.labels),
    correct,
    count: set.count,
    confusion,
    perClassAccuracy: perClassAccuracy(confusion),
    mostConfused: mostConfused(confusion, 3),
  };
}
