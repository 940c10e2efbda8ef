// The wasm backend against the reference on the real Fashion-MNIST (read straight from Debian's
// dataset directory, so this suite does not depend on the data loader): the first 30 steps of
// epoch 1 with the training loop's shuffle, per-step loss within 1e-5 relative, same correct
// counts, and the same test accuracy to 4 decimals; then wasm on 1 and 2 threads bit-identical.
// Required when CI=true; otherwise skipped with a reason when the files are absent.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { WasmBackend } from "../../src/kernels/wasm-backend.js";
import { ReferenceBackend } from "../../src/model/reference-backend.js";
import { initParams } from "../../src/model/softmax-regression.js";
import { epochOrder } from "../../src/train/loop.js";
import type { ImageSet } from "../../src/types.js";
import { CROSS_ENTROPY, copyParams, expectClose } from "./fixtures.js";

const DIR = "/usr/share/datasets/fashion-mnist";
const present =
  existsSync(join(DIR, "train-images-idx3-ubyte.gz")) && existsSync(join(DIR, "t10k-images-idx3-ubyte.gz"));
if (!present && process.env.CI !== "true") console.log(`skipping the real-data kernel tests: no dataset in ${DIR}`);

function load(images: string, labels: string): ImageSet {
  const pixels = gunzipSync(readFileSync(join(DIR, images)));
  const classes = gunzipSync(readFileSync(join(DIR, labels)));
  expect(pixels.readUInt32BE(0)).toBe(0x803); // IDX magic: u8, 3 dimensions
  expect(classes.readUInt32BE(0)).toBe(0x801);
  const count = classes.readUInt32BE(4);
  return { images: new Uint8Array(pixels.subarray(16)), labels: new Uint8Array(classes.subarray(8)), count };
}

describe.skipIf(!present && process.env.CI !== "true")("wasm backend on the real Fashion-MNIST", () => {
  const train = load("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz");
  const test = load("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
  const options = CROSS_ENTROPY;
  const order = epochOrder(0, 0, train.count).subarray(0, 30 * 256);
  const backends: WasmBackend[] = [];
  afterAll(async () => {
    for (const backend of backends) await backend.close();
  });

  it("matches the reference step by step and in test accuracy", async () => {
    const wasm = await WasmBackend.create({ threads: 2 });
    backends.push(wasm);
    const reference = new ReferenceBackend();
    const p = initParams(0);
    const q = copyParams(p);
    const lossRef: number[] = [];
    const lossWasm: number[] = [];
    const a = await reference.trainEpoch(p, train, order, 256, options, { onStep: (s) => lossRef.push(s.lossSum) });
    const b = await wasm.trainEpoch(q, train, order, 256, options, { onStep: (s) => lossWasm.push(s.lossSum) });
    expectClose("per-step loss", lossWasm, lossRef, { rel: 1e-5 }); // the bound
    expect(b.correct).toBe(a.correct);
    const accRef = (await reference.countCorrect(p, test)) / test.count;
    const accWasm = (await wasm.countCorrect(q, test)) / test.count;
    expect(accWasm.toFixed(4)).toBe(accRef.toFixed(4));
    expect(accWasm).toBeGreaterThan(0.6); // 30 steps already reach ~0.68, far above chance (0.1)
  });

  it("gives bit-identical parameters on 1 and 2 threads", async () => {
    const one = await WasmBackend.create({ threads: 1 });
    const two = await WasmBackend.create({ threads: 2 });
    backends.push(one, two);
    const p = initParams(3);
    const q = copyParams(p);
    await one.trainEpoch(p, train, order, 256, options);
    await two.trainEpoch(q, train, order, 256, options);
    expect(Buffer.from(q.weight.buffer).equals(Buffer.from(p.weight.buffer))).toBe(true);
    expect(await two.countCorrect(q, test)).toBe(await one.countCorrect(p, test));
  });
});
