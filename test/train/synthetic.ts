// A small synthetic Fashion-MNIST stand-in for unit tests: class c lights up its own band of
// pixels, so a linear model can separate the classes; the rest is low noise. Built from a seed.
import { CLASSES } from "../../src/data/datasets.js";
import { Rng } from "../../src/model/rng.js";
import type { FashionMnist, ImageSet } from "../../src/types.js";
import { NUM_CLASSES, NUM_INPUTS } from "../../src/types.js";

export function syntheticSet(count: number, seed: number): ImageSet {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * NUM_INPUTS);
  const labels = new Uint8Array(count);
  const band = Math.floor(NUM_INPUTS / NUM_CLASSES);
  for (let i = 0; i < count; i++) {
    const label = rng.integer(NUM_CLASSES);
    labels[i] = label;
    for (let k = 0; k < NUM_INPUTS; k++) {
      const lit = k >= label * band && k < (label + 1) * band && rng.uniform() < 0.5;
      images[i * NUM_INPUTS + k] = lit ? 150 + rng.integer(106) : rng.integer(60);
    }
  }
  return { images, labels, count };
}

export function syntheticData(trainCount = 300, testCount = 100): FashionMnist {
  return {
    train: syntheticSet(trainCount, 1),
    test: syntheticSet(testCount, 2),
    classes: CLASSES,
    source: "synthetic",
  };
}
