// Evaluating a trained model on a whole split: the predicted class of every example, by a
// backend, and the metrics `softmax evaluate` reports. The training loop's test accuracy uses the
// same backend's countCorrect (the same comparisons), so `softmax evaluate` run with the backend
// that trained a model reports exactly the final test accuracy `softmax train` printed.
// No I/O and no formatting (src/cli/evaluate.ts formats).
import type { Backend, ImageSet, Params } from "../types.js";
import { NUM_CLASSES } from "../types.js";
import { accuracy, type ConfusedPair, confusionMatrix, mostConfused, perClassAccuracy } from "./metrics.js";

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

/** Accuracy, confusion matrix and the rest for `params` on `set`, from `backend.predictLabels`. */
export async function evaluateModel(backend: Backend, params: Params, set: ImageSet): Promise<Evaluation> {
  const predicted = await backend.predictLabels(params, set);
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
