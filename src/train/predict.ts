// d2l §3.6.7 predict_ch3 as a library function: the classes of some images ranked by the model's
// probabilities. Takes raw dataset pixels (0..255, scaled here as in training) or inputs already in
// [0,1] (a user's picture prepared by readImageInput). No I/O, no formatting.
import { scalePixels } from "../model/batch.js";
import { predictProbabilities } from "../model/softmax-regression.js";
import { NUM_CLASSES, NUM_INPUTS, type Params } from "../types.js";

/** The model's answer for one image. */
export interface Prediction {
  /** Class indices, most probable first (ties by index, so the order is stable). */
  readonly ranked: readonly number[];
  /** (10) the softmax probabilities, indexed by class. */
  readonly probabilities: Float32Array;
}

/**
 * Classifies `images`: (n, 784) row-major, either Uint8Array pixels 0..255 as the dataset holds
 * them, or Float32Array values in [0,1] as the model sees them. Returns one Prediction per image.
 */
export function predict(params: Params, images: Uint8Array | Float32Array): Prediction[] {
  if (images.length % NUM_INPUTS !== 0) {
    throw new RangeError(`predict: ${images.length} values is not a whole number of ${NUM_INPUTS}-pixel images`);
  }
  const n = images.length / NUM_INPUTS;
  const X = images instanceof Uint8Array ? scalePixels(images) : images; // (n, 784) in [0,1]
  const P = predictProbabilities(params, X, n); // (n, 10)
  return Array.from({ length: n }, (_, i) => {
    const probabilities = P.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES);
    const ranked = Array.from(probabilities.keys()).sort((a, b) => probabilities[b]! - probabilities[a]! || a - b);
    return { ranked, probabilities };
  });
}
