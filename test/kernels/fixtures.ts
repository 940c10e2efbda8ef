// Seeded inputs for the kernel tests: a small image set in Fashion-MNIST's shape whose classes
// are learnable (each class is a bright stripe pattern plus noise), parameters of a chosen scale,
// plain SGD settings, a fixed scrambled order, and a comparison that reports the largest
// difference and the first values on failure.
import { expect } from "vitest";
import { Rng } from "../../src/model/rng.js";
import type { ImageSet, Params, StepOptions } from "../../src/types.js";
import { NUM_CLASSES, NUM_INPUTS } from "../../src/types.js";

/** `count` images: class c lights rows 2c..2c+5 of the 28×28 grid, on uniform noise, so a linear model can learn it. */
export function learnableImages(count: number, seed: number): ImageSet {
  const rng = new Rng(seed, 7);
  const images = new Uint8Array(count * NUM_INPUTS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = rng.integer(NUM_CLASSES);
    labels[i] = label;
    for (let k = 0; k < NUM_INPUTS; k++) {
      const row = Math.floor(k / 28);
      const lit = row >= 2 * label && row < 2 * label + 6;
      images[i * NUM_INPUTS + k] = Math.min(255, Math.floor(rng.uniform() * 120) + (lit ? 130 : 0));
    }
  }
  return { images, labels, count };
}

/** W ~ Normal(0, scale²), b ~ Normal(0, scale²), from the seeded PRNG. */
export function randomParams(seed: number, scale: number): Params {
  const rng = new Rng(seed, 3);
  const weight = Float32Array.from({ length: NUM_CLASSES * NUM_INPUTS }, () => scale * rng.normal());
  const bias = Float32Array.from({ length: NUM_CLASSES }, () => scale * rng.normal());
  return { weight, bias };
}

/** Plain SGD with cross-entropy: lr 0.1, no weight decay, no label smoothing. */
export const CROSS_ENTROPY: StepOptions = { lr: 0.1, weightDecay: 0, labelSmoothing: 0, loss: "cross-entropy" };

/** 0 … count−1 visited as (i · stride) mod count: a permutation when stride and count are coprime. */
export function strideOrder(count: number, stride: number): Uint32Array {
  return Uint32Array.from({ length: count }, (_, i) => (i * stride) % count);
}

export function copyParams(params: Params): Params {
  return { weight: params.weight.slice(), bias: params.bias.slice() };
}

/**
 * Asserts |actual − expected| ≤ abs + rel·|expected| elementwise. On failure the message gives
 * the largest difference, where it is, and the first values of both arrays.
 */
export function expectClose(
  what: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: { abs?: number; rel?: number },
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const abs = tolerance.abs ?? 0;
  const rel = tolerance.rel ?? 0;
  let worst = -1;
  let worstExcess = 0;
  let maxDiff = 0;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    const excess = diff - (abs + rel * Math.abs(expected[i]!));
    if (!(diff <= maxDiff)) maxDiff = diff;
    if (!(excess <= worstExcess)) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    const first = (values: ArrayLike<number>) =>
      Array.from({ length: Math.min(6, values.length) }, (_, i) => values[i]);
    expect.fail(
      `${what}: max |diff| ${maxDiff.toExponential(3)} exceeds abs ${abs} + rel ${rel} at [${worst}] ` +
        `(actual ${actual[worst]}, expected ${expected[worst]}); first actual [${first(actual).join(", ")}], ` +
        `first expected [${first(expected).join(", ")}]`,
    );
  }
}
