// The validation split: N images held out, the same ones every time, and the rest to train on.
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { splitValidation } from "../../src/train/validation.js";
import { NUM_INPUTS } from "../../src/types.js";
import { syntheticSet } from "./synthetic.js";

describe("splitValidation", () => {
  const set = syntheticSet(200, 5);

  /** The index in `set` of each image of `part` (images are distinct in this synthetic set). */
  const origins = (part: { images: Uint8Array; count: number }) =>
    Array.from({ length: part.count }, (_, i) => {
      const image = part.images.subarray(i * NUM_INPUTS, (i + 1) * NUM_INPUTS);
      for (let j = 0; j < set.count; j++)
        if (set.images.subarray(j * NUM_INPUTS, (j + 1) * NUM_INPUTS).every((v, k) => v === image[k])) return j;
      return -1;
    });

  it("holds out N images and keeps the others, each part in the original order, labels with their images", () => {
    const { train, validation } = splitValidation(set, 30);
    expect([train.count, validation.count]).toEqual([170, 30]);
    const held = origins(validation);
    const kept = origins(train);
    expect([...held, ...kept].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(held).toEqual([...held].sort((a, b) => a - b));
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    expect(Array.from(validation.labels)).toEqual(held.map((j) => set.labels[j]));
  });

  it("is a fixed choice: the same images for the same N, a copy of them shared between calls", () => {
    const copy = { ...set, images: set.images.slice(), labels: set.labels.slice() };
    expect(origins(splitValidation(copy, 30).validation)).toEqual(origins(splitValidation(set, 30).validation));
    expect(splitValidation(set, 30)).toBe(splitValidation(set, 30));
  });

  it("refuses 0 and N ≥ count (nothing left to train on), naming --validation", () => {
    for (const n of [0, 200, 201, 1.5]) expect(() => splitValidation(set, n)).toThrow(UsageError);
    expect(() => splitValidation(set, 200)).toThrow("--validation 200 must hold out from 1 to 199");
    expect(splitValidation(set, 199).train.count).toBe(1);
  });
});
