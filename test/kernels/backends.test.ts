// The Backend contract, one test body run on every backend (reference, wasm on 1 and 2 threads),
// then the wasm backend against the reference over several SGD steps for every loss (and the
// epoch's Σ ‖dW‖_F against each other and against a direct computation), and wasm on 1 thread
// against 2 threads (bit-identical by construction: fixed partition, fixed reduction order).
import { afterAll, describe, expect, it } from "vitest";
import { createBackend } from "../../src/backend.js";
import { DivergenceError } from "../../src/errors.js";
import { WasmBackend } from "../../src/kernels/wasm-backend.js";
import { createParameterSums } from "../../src/model/average.js";
import { gatherBatch } from "../../src/model/batch.js";
import { ReferenceBackend } from "../../src/model/reference-backend.js";
import { linearBackward, linearForward, lossAndGradient } from "../../src/model/softmax-regression.js";
import type { Backend, StepOptions, StepReport } from "../../src/types.js";
import { NUM_CLASSES, NUM_INPUTS } from "../../src/types.js";
import { CROSS_ENTROPY, copyParams, expectClose, learnableImages, randomParams, strideOrder } from "./fixtures.js";

const backends: [string, () => Promise<Backend>][] = [
  ["reference", async () => new ReferenceBackend()],
  ["wasm, 1 thread", () => WasmBackend.create({ threads: 1 })],
  ["wasm, 2 threads", () => WasmBackend.create({ threads: 2 })],
];

const opened: Backend[] = [];
async function open(make: () => Promise<Backend>): Promise<Backend> {
  const backend = await make();
  opened.push(backend);
  return backend;
}
afterAll(async () => {
  for (const backend of opened) await backend.close();
});

const train = learnableImages(700, 21); // 11 batches of 64, the last one of 60
const test = learnableImages(300, 22);
const order = strideOrder(train.count, 263);

describe.each(backends)("Backend contract: %s", (_name, make) => {
  it("trains one epoch in minibatches, reports every step, and learns the synthetic classes", async () => {
    const backend = await open(make);
    const params = randomParams(1, 0.01);
    const steps: StepReport[] = [];
    const before = await backend.countCorrect(params, test);
    const sums = await backend.trainEpoch(params, train, order, 64, CROSS_ENTROPY, { onStep: (s) => steps.push(s) });
    expect(sums.count).toBe(700);
    expect(sums.stopped).toBe(false);
    expect(steps.map((s) => s.batchSize)).toEqual([...Array(10).fill(64), 60]);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expectClose("epoch loss = Σ step losses", [sums.lossSum], [steps.reduce((a, s) => a + s.lossSum, 0)], {
      rel: 1e-12,
    });
    expect(sums.correct).toBe(steps.reduce((a, s) => a + s.correct, 0));
    const after = await backend.countCorrect(params, test);
    expect(after).toBeGreaterThan(before);
    expect(after / test.count).toBeGreaterThan(0.9);
  });

  it("with running sums, adds the parameters after every step (as step-by-step snapshots sum them)", async () => {
    const backend = await open(make);
    const params = randomParams(1, 0.01);
    const sums = createParameterSums();
    await backend.trainEpoch(params, train, order, 64, CROSS_ENTROPY, {}, sums);
    await backend.trainEpoch(params, train, order.subarray(0, 150), 64, CROSS_ENTROPY, {}, sums); // 3 more steps
    expect(sums.count).toBe(14);
    // The same steps one per call, summing the parameters after each call in float64.
    const stepwise = randomParams(1, 0.01);
    const weight = new Float64Array(stepwise.weight.length);
    const bias = new Float64Array(stepwise.bias.length);
    for (const [from, to] of [
      ...Array.from({ length: 11 }, (_, i) => [i * 64, Math.min(700, i * 64 + 64)]),
      [0, 64],
      [64, 128],
      [128, 150],
    ]) {
      await backend.trainEpoch(stepwise, train, order.subarray(from!, to!), 64, CROSS_ENTROPY);
      for (let j = 0; j < weight.length; j++) weight[j] = weight[j]! + stepwise.weight[j]!;
      for (let j = 0; j < bias.length; j++) bias[j] = bias[j]! + stepwise.bias[j]!;
    }
    expect(stepwise.weight).toEqual(params.weight);
    expect(Buffer.from(sums.weight.buffer).equals(Buffer.from(weight.buffer))).toBe(true);
    expect(Buffer.from(sums.bias.buffer).equals(Buffer.from(bias.buffer))).toBe(true);
  });

  it("predicts one class per image, and countCorrect counts the predictions equal to the label", async () => {
    const backend = await open(make);
    const params = randomParams(7, 0.05); // untrained: some right, many wrong, several classes
    const predicted = await backend.predictLabels(params, test);
    expect(predicted).toHaveLength(test.count);
    expect(predicted.every((c) => c < 10)).toBe(true);
    const matches = predicted.reduce((n, c, i) => n + (c === test.labels[i] ? 1 : 0), 0);
    expect(matches).toBe(await backend.countCorrect(params, test));
    expect(matches).toBeLessThan(test.count);
    expect(new Set(predicted).size).toBeGreaterThan(3);
    expect(
      await backend.predictLabels(params, { images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 }),
    ).toHaveLength(0);
  });

  it("stops after the step where shouldStop turns true", async () => {
    const backend = await open(make);
    const params = randomParams(1, 0.01);
    let seen = 0;
    const sums = await backend.trainEpoch(params, train, order, 64, CROSS_ENTROPY, {
      onStep: () => seen++,
      shouldStop: () => seen >= 3,
    });
    expect(sums).toMatchObject({ count: 192, stopped: true });
    // The parameters hold exactly those 3 steps: training the first 192 examples gives the same.
    const again = randomParams(1, 0.01);
    await backend.trainEpoch(again, train, order.subarray(0, 192), 64, CROSS_ENTROPY);
    expect(params.weight).toEqual(again.weight);
    expect(params.bias).toEqual(again.bias);
  });

  it("throws DivergenceError on a non-finite loss, before applying that update", async () => {
    const backend = await open(make);
    const params = randomParams(1, 0.01);
    const huge: StepOptions = { ...CROSS_ENTROPY, lr: 1e38 };
    await expect(backend.trainEpoch(params, train, order, 64, huge)).rejects.toBeInstanceOf(DivergenceError);
    expect(params.weight.every(Number.isFinite)).toBe(true);
  });

  it("counts 0 correct on an empty set and trains nothing on an empty order", async () => {
    const backend = await open(make);
    const params = randomParams(1, 0.01);
    expect(await backend.countCorrect(params, { images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 })).toBe(
      0,
    );
    const sums = await backend.trainEpoch(params, train, new Uint32Array(0), 64, CROSS_ENTROPY);
    expect(sums).toMatchObject({ count: 0, lossSum: 0, correct: 0 });
  });
});

describe("wasm against the reference over several SGD steps", () => {
  it.each([
    ["plain", CROSS_ENTROPY, 64],
    ["weight decay and label smoothing", { ...CROSS_ENTROPY, weightDecay: 1e-3, labelSmoothing: 0.1 }, 64],
    ["odd batch size", { ...CROSS_ENTROPY, lr: 0.3 }, 37],
    ["mse", { ...CROSS_ENTROPY, loss: "mse", lr: 0.5 }, 64],
    [
      "mse, weight decay and label smoothing",
      { ...CROSS_ENTROPY, loss: "mse", weightDecay: 1e-3, labelSmoothing: 0.1 },
      37,
    ],
    ["hinge", { ...CROSS_ENTROPY, loss: "hinge", lr: 0.01 }, 64],
    [
      "hinge, weight decay (label smoothing ignored)",
      { ...CROSS_ENTROPY, loss: "hinge", weightDecay: 1e-3, labelSmoothing: 0.1 },
      37,
    ],
  ] as const)("%s: per-step loss within 1e-5 relative, same correct counts, params within 1e-5, Σ grad norm within 1e-5 relative", async (_n, options: StepOptions, batch) => {
    const reference = await open(async () => new ReferenceBackend());
    const wasm = await open(() => WasmBackend.create({ threads: 2 }));
    const p = randomParams(4, 0.01);
    const q = copyParams(p);
    const lossesRef: number[] = [];
    const lossesWasm: number[] = [];
    const correctRef: number[] = [];
    const correctWasm: number[] = [];
    const normsRef: number[] = [];
    const normsWasm: number[] = [];
    for (let epoch = 0; epoch < 2; epoch++) {
      const a = await reference.trainEpoch(p, train, order, batch, options, {
        onStep: (s) => {
          lossesRef.push(s.lossSum);
          correctRef.push(s.correct);
        },
      });
      const b = await wasm.trainEpoch(q, train, order, batch, options, {
        onStep: (s) => {
          lossesWasm.push(s.lossSum);
          correctWasm.push(s.correct);
        },
      });
      normsRef.push(a.gradNormSum);
      normsWasm.push(b.gradNormSum);
    }
    expectClose("per-step loss", lossesWasm, lossesRef, { rel: 1e-5 }); // the bound
    expect(correctWasm).toEqual(correctRef);
    expectClose("weight after 2 epochs", q.weight, p.weight, { abs: 1e-5 }); // float32 rounding, accumulated
    expectClose("bias after 2 epochs", q.bias, p.bias, { abs: 1e-5 });
    expectClose("Σ ‖dW‖_F per epoch", normsWasm, normsRef, { rel: 1e-5 }); // float32 squares vs float64
    expect(normsRef[0]).toBeGreaterThan(0);
    expect(await wasm.countCorrect(q, test)).toBe(await reference.countCorrect(p, test));
    expect(await wasm.predictLabels(q, test)).toEqual(await reference.predictLabels(p, test));
  });

  it.each([
    "cross-entropy",
    "mse",
    "hinge",
  ] as const)("%s: gradNormSum of a one-step epoch is ‖dW‖_F computed directly from the reference functions", async (loss) => {
    const options: StepOptions = { ...CROSS_ENTROPY, loss, weightDecay: 0.01, labelSmoothing: 0.1 };
    const params = randomParams(4, 0.05);
    const B = 50;
    const X = new Float32Array(B * NUM_INPUTS);
    const labels = new Uint8Array(B);
    gatherBatch(X, labels, train, order, 0, B);
    const logits = new Float32Array(B * NUM_CLASSES);
    linearForward(logits, X, params.weight, params.bias, B);
    const dLogits = new Float32Array(B * NUM_CLASSES);
    lossAndGradient(dLogits, new Float32Array(B * NUM_CLASSES), logits, labels, B, loss, options.labelSmoothing);
    const dW = new Float32Array(NUM_CLASSES * NUM_INPUTS);
    linearBackward(dW, new Float32Array(NUM_CLASSES), dLogits, X, B);
    let squares = 0; // Σ dW², written out here rather than through frobeniusNorm
    for (const v of dW) squares += v * v;
    for (const [, make] of backends) {
      const backend = await open(make);
      const sums = await backend.trainEpoch(copyParams(params), train, order.subarray(0, B), B, options);
      expectClose(`${backend.name} ‖dW‖_F (before weight decay)`, [sums.gradNormSum], [Math.sqrt(squares)], {
        rel: 1e-6, // float32 dW, squares summed in float32 lanes by the kernel
      });
    }
  });
});

describe("wasm on 1 thread and on 2 threads", () => {
  it.each([
    "cross-entropy",
    "mse",
    "hinge",
  ] as const)("%s: gives bit-identical losses, counts, grad norms and parameters", async (loss) => {
    const one = await open(() => createBackend("wasm", { threads: 1 }));
    const two = await open(() => createBackend("wasm", { threads: 2 }));
    const options: StepOptions = { ...CROSS_ENTROPY, loss, weightDecay: 1e-4, labelSmoothing: 0.05 };
    const p = randomParams(8, 0.01);
    const q = copyParams(p);
    const a: number[] = [];
    const b: number[] = [];
    const sumsA = createParameterSums();
    const sumsB = createParameterSums();
    for (let epoch = 0; epoch < 3; epoch++) {
      const sa = await one.trainEpoch(p, train, order, 50, options, { onStep: (s) => a.push(s.lossSum) }, sumsA);
      const sb = await two.trainEpoch(q, train, order, 50, options, { onStep: (s) => b.push(s.lossSum) }, sumsB);
      expect(sb).toEqual(sa);
      expect(await two.countCorrect(q, test)).toBe(await one.countCorrect(p, test));
      expect(await two.predictLabels(q, test)).toEqual(await one.predictLabels(p, test));
    }
    expect(b).toEqual(a);
    expect(sumsB.count).toBe(3 * 14);
    expect(Buffer.from(sumsB.weight.buffer).equals(Buffer.from(sumsA.weight.buffer))).toBe(true);
    expect(Buffer.from(sumsB.bias.buffer).equals(Buffer.from(sumsA.bias.buffer))).toBe(true);
    expect(Buffer.from(q.weight.buffer).equals(Buffer.from(p.weight.buffer))).toBe(true);
    expect(Buffer.from(q.bias.buffer).equals(Buffer.from(p.bias.buffer))).toBe(true);
  });

  it("reuses one backend across image sets and batch sizes larger than its first layout", async () => {
    const two = await open(() => WasmBackend.create({ threads: 2 }));
    const one = await open(() => WasmBackend.create({ threads: 1 }));
    const big = learnableImages(1200, 30);
    const bigOrder = strideOrder(big.count, 7);
    for (const backend of [two, one]) {
      await backend.trainEpoch(randomParams(1, 0.01), train, order, 64, CROSS_ENTROPY);
    }
    const p = randomParams(2, 0.01);
    const q = copyParams(p);
    await one.trainEpoch(p, big, bigOrder, 600, CROSS_ENTROPY);
    await two.trainEpoch(q, big, bigOrder, 600, CROSS_ENTROPY);
    expect(q.weight).toEqual(p.weight);
    expect(await two.countCorrect(q, big)).toBe(await one.countCorrect(p, big));
  });

  it("starts the worker in the background: closes cleanly before any use, and a first epoch waits for it", async () => {
    const unused = await WasmBackend.create({ threads: 2 });
    await unused.close(); // the exit command waits in the control words until the worker reads it
    await unused.close();
    const fresh = await open(() => WasmBackend.create({ threads: 2 }));
    const reference = await open(async () => new ReferenceBackend());
    const p = randomParams(3, 0.01);
    const q = copyParams(p);
    const a = await fresh.trainEpoch(p, train, order, 64, CROSS_ENTROPY);
    const b = await reference.trainEpoch(q, train, order, 64, CROSS_ENTROPY);
    expectClose("epoch loss", [a.lossSum], [b.lossSum], { rel: 1e-5 });
  });

  it("copies a set again when its bytes changed in place", async () => {
    const wasm = await open(() => WasmBackend.create({ threads: 1 }));
    const reference = await open(async () => new ReferenceBackend());
    const params = randomParams(6, 0.05);
    const set = learnableImages(120, 40);
    await wasm.countCorrect(params, set);
    set.images.set(learnableImages(120, 41).images); // same arrays, new content
    expect(await wasm.countCorrect(params, set)).toBe(await reference.countCorrect(params, set));
  });
});
