// The validation split (`--validation N`): N training images held out, always the same ones, so
// that settings are chosen on them and the test set is looked at once, at the end. Pure; no I/O.
import { UsageError } from "../errors.js";
import { Rng } from "../model/rng.js";
import { type ImageSet, NUM_INPUTS } from "../types.js";

/**
 * Seed of the held-out choice. Fixed, not --seed: runs of different seeds (`softmax compare --seed
 * 0,1,2`) are then scored on the same images, and a resumed run keeps its split.
 */
const VALIDATION_SEED = 0x5eed;

export interface ValidationSplit {
  /** The training images left, in their original order. */
  readonly train: ImageSet;
  /** The N held-out images, in their original order. */
  readonly validation: ImageSet;
}

/** Splits already made, per training set and N: runs of a comparison share one copy (and the backend's resident copy of it). */
const made = new WeakMap<ImageSet, Map<number, ValidationSplit>>();

/**
 * Holds out `n` images of `train`: the first n of a fixed seeded permutation. Throws UsageError
 * (naming --validation) unless 1 ≤ n ≤ count − 1, so that both parts keep at least one image.
 */
export function splitValidation(train: ImageSet, n: number): ValidationSplit {
  if (!Number.isSafeInteger(n) || n < 1 || n > train.count - 1) {
    throw new UsageError(
      `--validation ${n} must hold out from 1 to ${train.count - 1} of the ${train.count} training images`,
      {
        hint: "give a smaller --validation, or none to train on every image",
      },
    );
  }
  const known = made.get(train)?.get(n);
  if (known !== undefined) return known;
  const heldOut = new Uint8Array(train.count);
  const order = new Rng(VALIDATION_SEED).permutation(train.count);
  for (let i = 0; i < n; i++) heldOut[order[i]!] = 1;
  const split = { train: subset(train, heldOut, 0, train.count - n), validation: subset(train, heldOut, 1, n) };
  if (!made.has(train)) made.set(train, new Map());
  made.get(train)!.set(n, split);
  return split;
}

/** The images i of `set` with mark[i] === which (count of them), in order. */
function subset(set: ImageSet, mark: Uint8Array, which: number, count: number): ImageSet {
  const images = new Uint8Array(count * NUM_INPUTS);
  const labels = new Uint8Array(count);
  let at = 0;
  for (let i = 0; i < set.count; i++) {
    if (mark[i] !== which) continue;
    images.set(set.images.subarray(i * NUM_INPUTS, (i + 1) * NUM_INPUTS), at * NUM_INPUTS);
    labels[at++] = set.labels[i]!;
  }
  return { images, labels, count };
}
