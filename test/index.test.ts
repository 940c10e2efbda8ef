// The library API as a program outside this repository sees it: `import ... from "softmax"` (the
// package's exports, built into dist/), used as the README shows: train, save, load, evaluate.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createBackend,
  evaluateModel,
  type FashionMnist,
  type ImageSet,
  initParams,
  loadModel,
  NUM_INPUTS,
  Rng,
  saveModel,
  train,
} from "softmax";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, CLASS_NAMES } from "./helpers/pictures-cli.js";

let dir: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "softmax-api-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Ten separable classes: class c lights up pixel band c, with noise elsewhere. */
function bands(count: number, rng: Rng): ImageSet {
  const images = new Uint8Array(count * NUM_INPUTS);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const c = n % 10;
    labels[n] = c;
    for (let i = 0; i < NUM_INPUTS; i++) {
      const inBand = Math.floor(i / 78.4) === c;
      images[n * NUM_INPUTS + i] = inBand ? 200 + Math.floor(rng.uniform() * 55) : Math.floor(rng.uniform() * 60);
    }
  }
  return { images, labels, count };
}

describe("import from 'softmax'", () => {
  it("trains, saves, loads and evaluates through the public API", async () => {
    const rng = new Rng(7);
    const data: FashionMnist = { train: bands(600, rng), test: bands(200, rng), classes: CLASS_NAMES, source: "test" };
    const params = initParams(0);
    const backend = await createBackend("wasm", { threads: 2 });
    try {
      const epochs: number[] = [];
      const result = await train(
        backend,
        data,
        params,
        {
          epochs: 3,
          batchSize: 64,
          lr: 0.5,
          weightDecay: 0,
          labelSmoothing: 0,
          loss: "cross-entropy",
          seed: 0,
          schedule: "constant",
          average: 1,
        },
        { onEpoch: (e) => epochs.push(e.epoch) },
      );
      expect(epochs).toEqual([1, 2, 3]);
      expect(result.testAccuracy).toBe(1);
      const path = join(dir, "model.safetensors");
      await saveModel(path, params, { classes: JSON.stringify(CLASS_NAMES) });
      const loaded = await loadModel(path);
      expect(loaded.params.weight).toEqual(params.weight);
      expect((await evaluateModel(backend, loaded.params, data.test)).accuracy).toBe(result.testAccuracy);
    } finally {
      await backend.close();
    }
  });
});
