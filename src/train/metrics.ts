// Classification metrics (d2l §3.6.5 `accuracy`, and what `softmax evaluate` reports): accuracy,
// the confusion matrix, per-class accuracy and the most confused pairs. Pure functions on labels
// and predictions; no model, no I/O.
import { NUM_CLASSES } from "../types.js";

/** Fraction of predictions equal to the labels (0 for an empty set). */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predicted.length !== labels.length) {
    throw new RangeError(`accuracy: ${predicted.length} predictions for ${labels.length} labels`);
  }
  if (labels.length === 0) return 0;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}

/** Confusion counts (10, 10) row-major: entry [t·10 + p] counts examples of true class t predicted as p. */
export function confusionMatrix(predicted: ArrayLike<number>, labels: ArrayLike<number>): Uint32Array {
  if (predicted.length !== labels.length) {
    throw new RangeError(`confusionMatrix: ${predicted.length} predictions for ${labels.length} labels`);
  }
  const matrix = new Uint32Array(NUM_CLASSES * NUM_CLASSES);
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i]!;
    const p = predicted[i]!;
    if (!(t >= 0 && t < NUM_CLASSES && p >= 0 && p < NUM_CLASSES)) {
      throw new RangeError(`confusionMatrix: class out of range at ${i} (true ${t}, predicted ${p})`);
    }
    matrix[t * NUM_CLASSES + p]!++;
  }
  return matrix;
}

/** Accuracy of each true class: diagonal / row sum (NaN for a class with no examples). */
export function perClassAccuracy(matrix: Uint32Array): number[] {
  const result: number[] = [];
  for (let t = 0; t < NUM_CLASSES; t++) {
    let row = 0;
    for (let p = 0; p < NUM_CLASSES; p++) row += matrix[t * NUM_CLASSES + p]!;
    result.push(row === 0 ? Number.NaN : matrix[t * NUM_CLASSES + t]! / row);
  }
  return result;
}

export interface ConfusedPair {
  /** True class index. */
  readonly actual: number;
  readonly predicted: number;
  readonly count: number;
}

/**
 * The `k` largest off-diagonal cells (true class predicted as another), largest first; ties keep
 * row-major order. Cells with a count of 0 are left out.
 */
export function mostConfused(matrix: Uint32Array, k = 3): ConfusedPair[] {
  const pairs: ConfusedPair[] = [];
  for (let t = 0; t < NUM_CLASSES; t++) {
    for (let p = 0; p < NUM_CLASSES; p++) {
      const count = matrix[t * NUM_CLASSES + p]!;
      if (t !== p && count > 0) pairs.push({ actual: t, predicted: p, count });
    }
  }
  pairs.sort((a, b) => b.count - a.count); // stable: ties stay in row-major order
  return pairs.slice(0, k);
}
