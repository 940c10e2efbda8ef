// One minibatch step of the WebAssembly kernel (softmax.wat) against the reference maths of
// softmax-regression.ts, for each loss (cross-entropy, mse, hinge), intermediate by intermediate:
// logits, loss, dLogits, dW, db, each half's Σ dW² (for grad_norm), the SGD update and the
// evaluation count. Each check states its tolerance; failures print the largest
// difference and the first values (fixtures.ts). Batches of 64 and 5 rows cover the kernel's
// 4-row blocks and the rows left over.
import { describe, expect, it } from "vitest";
import {
  G_ROW_BYTES,
  HALF,
  LossCode,
  NORM_SLOT_BYTES,
  Out,
  PART_ROW_BYTES,
  X_ROW_BYTES,
} from "../../src/kernels/abi.js";
import {
  compileKernel,
  instantiateKernel,
  type KernelExports,
  relaxedSimdAvailable,
} from "../../src/kernels/kernel.js";
import { KernelMemory } from "../../src/kernels/kernel-memory.js";
import { gatherBatch } from "../../src/model/batch.js";
import {
  argmax,
  countCorrect,
  crossEntropy,
  linearBackward,
  linearForward,
  lossAndGradient,
} from "../../src/model/softmax-regression.js";
import type { ImageSet, KernelName, LossName, Params } from "../../src/types.js";
import { NUM_CLASSES, NUM_INPUTS } from "../../src/types.js";
import { expectClose, learnableImages, randomParams, strideOrder } from "./fixtures.js";

const C = NUM_CLASSES;
const D = NUM_INPUTS;

/**
 * The kernel in a fresh shared memory laid out as the backend lays it out (kernel-memory.ts), for
 * batches of B, with `set` resident. Pointers to the main thread's buffers (both halves of w, x and
 * of the partial logits).
 */
function kernelFor(set: ImageSet, B: number, kernel: KernelName = "plain") {
  const memory = new KernelMemory();
  memory.ensureCapacity(B, set.count, set.count);
  const L = memory.layout;
  const resident = memory.makeResident(set);
  const k: KernelExports = instantiateKernel(compileKernel(kernel), memory.memory);
  const ptr = {
    w: L.w,
    bias: L.bias[0],
    x: L.x,
    part: [L.part, L.part + L.partStride] as const,
    g: L.g[0],
    out: L.out[0],
    scratch: L.scratch,
    order: L.order,
    images: resident.images,
    labels: resident.labels,
    predicted: L.predicted,
    sum: L.sum[0],
    norms: L.norms[0],
  };
  const f32 = (offset: number, length: number) => memory.f32(offset, length);
  /** W (10, 784) → the two (10, 392) halves, b → bias. */
  const load = (params: Params) => memory.paramsIn(params);
  const weight = () => {
    const params = { weight: new Float32Array(C * D), bias: new Float32Array(C) };
    memory.paramsOut(params);
    return params.weight;
  };
  /** One step's forward half: both threads' partial logits for rows order[start, start+B) (order 0: rows in place), then loss_step. */
  const forwardAndLoss = (order: number, start: number, B: number, eps: number, loss: LossName = "cross-entropy") => {
    for (const t of [0, 1] as const) {
      k.forward_partial(ptr.images, order, start, B, t * HALF, ptr.w[t], ptr.x[t], X_ROW_BYTES, ptr.part[t]);
    }
    k.loss_step(
      ptr.part[0],
      ptr.part[1],
      ptr.bias,
      ptr.labels,
      order,
      start,
      B,
      eps,
      ptr.g,
      ptr.out,
      ptr.scratch,
      LossCode[loss],
    );
  };
  return { k, memory: memory.memory, ptr, f32, load, weight, forwardAndLoss };
}

/**
 * Tolerances of the kernel's dLogits against the reference, per loss. cross-entropy and mse: the
 * exp polynomial and float32 sums give ~1e-7 relative; mse's Jacobian product subtracts nearby
 * values, so the logits' last bits (fused or not) show up as absolute differences up to ~3e-9,
 * hence its absolute floor. hinge's entries are k/B, the same float32 values up to the rounding of
 * k/B (a margin within 1e-7 of 0 could flip one: none in these inputs).
 */
const G_TOLERANCE: Record<LossName, { abs: number; rel: number }> = {
  "cross-entropy": { abs: 1e-8, rel: 1e-6 },
  mse: { abs: 1e-8, rel: 2e-6 },
  hinge: { abs: 1e-9, rel: 1e-7 },
};

const LOSSES: LossName[] = ["cross-entropy", "mse", "hinge"];

/**
 * Both builds of the kernel, with the same tolerances: the fused one's multiply-adds round once
 * instead of twice, a difference far inside them (where the engine lacks relaxed SIMD, fma is
 * skipped with a note).
 */
const KERNELS: KernelName[] = relaxedSimdAvailable() ? ["plain", "fma"] : ["plain"];
if (KERNELS.length === 1) console.log(`skipping the fma kernel's tests: no relaxed SIMD in Node ${process.version}`);

describe.each(
  KERNELS.flatMap((kernel) => LOSSES.flatMap((loss) => [64, 5].map((B) => [kernel, loss, B] as const))),
)("one step of the %s wasm kernel against the reference: %s, batch %i", (kernel, lossName, B) => {
  const set = learnableImages(200, 11);
  const params = randomParams(5, 0.05); // logits of a few units: softmax far from uniform
  const order = strideOrder(set.count, 37);
  const start = 13;
  const eps = 0.1;

  // Reference intermediates for examples order[start .. start+B).
  const X = new Float32Array(B * D);
  const labels = new Uint8Array(B);
  gatherBatch(X, labels, set, order, start, B);
  const logits = new Float32Array(B * C);
  linearForward(logits, X, params.weight, params.bias, B);
  const P = new Float32Array(B * C);
  const dLogits = new Float32Array(B * C);
  const loss = lossAndGradient(dLogits, P, logits, labels, B, lossName, eps);
  const dW = new Float32Array(C * D);
  const db = new Float32Array(C);
  linearBackward(dW, db, dLogits, X, B);
  /** Σ dW² of each half (columns 0–391, 392–783), in float64. */
  const halfSquares = [0, 0];
  dW.forEach((v, j) => {
    halfSquares[j % D < HALF ? 0 : 1]! += v * v;
  });

  // The kernel's, through its exports.
  const h = kernelFor(set, B, kernel);
  h.load(params);
  new Uint32Array(h.memory.buffer, h.ptr.order, set.count).set(order);
  h.forwardAndLoss(h.ptr.order, start, B, eps, lossName);

  it("gathers the batch as the reference does (pixels / 255 within 1 ulp of float32)", () => {
    const x = new Float32Array(B * D);
    for (let r = 0; r < B; r++) {
      x.set(h.f32(h.ptr.x[0] + r * X_ROW_BYTES, HALF), r * D);
      x.set(h.f32(h.ptr.x[1] + r * X_ROW_BYTES, HALF), r * D + HALF);
    }
    expectClose("X", x, X, { rel: 1.2e-7 }); // v·fround(1/255) vs fround(v/255): at most 1 ulp apart
  });

  it("computes the logits (B, 10) within 1e-5 absolute", () => {
    const p0 = h.f32(h.ptr.part[0], B * C);
    const p1 = h.f32(h.ptr.part[1], B * C);
    const bias = h.f32(h.ptr.bias, C);
    const z = Float32Array.from({ length: B * C }, (_, i) => Math.fround(Math.fround(p0[i]! + p1[i]!) + bias[i % C]!));
    expectClose("logits", z, logits, { abs: 1e-5 }); // 784-term float32 sums in another order
  });

  it("computes the summed loss within 1e-6 relative and the same correct count", () => {
    const out = new DataView(h.memory.buffer, h.ptr.out, Out.bytes);
    expect(loss).toBeGreaterThan(0);
    expectClose("loss", [out.getFloat64(Out.loss, true)], [loss], { rel: 1e-6 }); // float32 row pieces, float64 sums
    expect(out.getInt32(Out.correct, true), "correct").toBe(countCorrect(logits, labels, B));
    expect(out.getInt32(Out.finite, true), "finite flag").toBe(1);
  });

  it(`computes dLogits within ${G_TOLERANCE[lossName].abs} absolute + ${G_TOLERANCE[lossName].rel} relative`, () => {
    const g = new Float32Array(B * C);
    for (let r = 0; r < B; r++) g.set(h.f32(h.ptr.g + r * G_ROW_BYTES, C), r * C);
    expect(dLogits.some((v) => v !== 0)).toBe(true);
    expectClose("dLogits", g, dLogits, G_TOLERANCE[lossName]);
  });

  it("computes dW and db within 1e-7 absolute + 1e-5 relative, and each half's Σ dW² within 1e-5 relative", () => {
    // From W = 0 and b = 0 with lr = 1 and no decay, the update leaves exactly −dW and −db.
    const before = h.weight();
    h.load({ weight: new Float32Array(C * D), bias: new Float32Array(C) });
    const norms = [h.ptr.norms, h.ptr.norms + NORM_SLOT_BYTES];
    h.k.backward_update(h.ptr.x[0], B, h.ptr.g, h.ptr.w[0], 1, 0, norms[0]!);
    h.k.backward_update(h.ptr.x[1], B, h.ptr.g, h.ptr.w[1], 1, 0, norms[1]!);
    h.k.bias_update(h.ptr.g, B, h.ptr.bias, 1);
    // B-term float32 sums of g·x, |g| ≤ 9/B (hinge's true class)
    expectClose(
      "dW",
      h.weight().map((v) => -v),
      dW,
      { abs: 1e-7, rel: 1e-5 },
    );
    expectClose(
      "db",
      h.f32(h.ptr.bias, C).map((v) => -v),
      db,
      { abs: 1e-7, rel: 1e-5 },
    );
    const view = new DataView(h.memory.buffer);
    expectClose(
      "Σ dW² per half",
      norms.map((at) => view.getFloat64(at, true)),
      halfSquares,
      { rel: 1e-5 }, // float32 squares summed in 4 lanes over 49 blocks
    );
    h.load({ weight: before, bias: params.bias });
  });

  it("applies W ← W − lr·(dW + wd·W), b ← b − lr·db within 1e-7 absolute + 1e-6 relative", () => {
    const lr = 0.5;
    const wd = 0.01;
    h.load(params);
    h.k.backward_update(h.ptr.x[0], B, h.ptr.g, h.ptr.w[0], lr, wd, 0);
    h.k.backward_update(h.ptr.x[1], B, h.ptr.g, h.ptr.w[1], lr, wd, 0);
    h.k.bias_update(h.ptr.g, B, h.ptr.bias, lr);
    const w = params.weight.map((v, j) => v - lr * (dW[j]! + wd * v));
    const b = params.bias.map((v, j) => v - lr * db[j]!);
    expectClose("W after the step", h.weight(), w, { abs: 1e-7, rel: 1e-6 });
    expectClose("b after the step", h.f32(h.ptr.bias, C), b, { abs: 1e-7, rel: 1e-6 });
  });
});

describe("kernel edge cases", () => {
  it("gives a finite loss and no NaN for extreme finite logits (±1e4)", () => {
    const set = learnableImages(6, 2);
    const params = randomParams(9, 0.05);
    params.bias.set([1e4, -1e4, 0, 3e3, -3e3, 1e4, 0, 0, 0, -1e4]);
    const B = 6;
    const h = kernelFor(set, B);
    h.load(params);
    h.forwardAndLoss(0, 0, B, 0);
    const X = new Float32Array(B * D);
    const labels = new Uint8Array(B);
    gatherBatch(X, labels, set, Uint32Array.from([0, 1, 2, 3, 4, 5]), 0, B);
    const logits = new Float32Array(B * C);
    linearForward(logits, X, params.weight, params.bias, B);
    const loss = crossEntropy(logits, labels, B, 0);
    const kernelLoss = new DataView(h.memory.buffer, h.ptr.out).getFloat64(Out.loss, true);
    expect(Number.isFinite(kernelLoss)).toBe(true);
    expectClose("loss with extreme logits", [kernelLoss], [loss], { rel: 1e-6 });
    const g = h.f32(h.ptr.g, (B * G_ROW_BYTES) / 4);
    expect(g.every(Number.isFinite)).toBe(true);
  });

  it("flags non-finite logits so the caller stops before updating", () => {
    const set = learnableImages(4, 3);
    const params = randomParams(9, 0.05);
    params.bias[4] = Number.POSITIVE_INFINITY;
    const h = kernelFor(set, 4);
    h.load(params);
    h.forwardAndLoss(0, 0, 4, 0);
    expect(new DataView(h.memory.buffer, h.ptr.out).getInt32(Out.finite, true)).toBe(0);
  });

  it("gives each row the same partial logits whether it falls in a 4-row block or is left over", () => {
    const set = learnableImages(7, 5);
    const params = randomParams(6, 0.05);
    const h = kernelFor(set, 7);
    h.load(params);
    for (const t of [0, 1] as const) {
      h.k.forward_partial(h.ptr.images, 0, 0, 7, t * HALF, h.ptr.w[t], h.ptr.x[t], X_ROW_BYTES, h.ptr.part[t]);
      const blocked = h.f32(h.ptr.part[t], 7 * C).slice();
      for (let r = 0; r < 7; r++) {
        const part = h.ptr.part[t] + r * PART_ROW_BYTES;
        h.k.forward_partial(h.ptr.images, 0, r, 1, t * HALF, h.ptr.w[t], h.ptr.x[t], X_ROW_BYTES, part);
      }
      // Rows 0–3 came from a block, 4–6 were left over; now each came alone: bit for bit the same.
      expect(Array.from(h.f32(h.ptr.part[t], 7 * C))).toEqual(Array.from(blocked));
    }
  });

  it("computes ln in float64 to 1e-13 relative", () => {
    const h = kernelFor(learnableImages(1, 1), 1);
    for (const x of [1, 1.0000001, 1.5, 2, Math.SQRT2, 3.7, 9.99999, 10, 1e-3, 1e10]) {
      expectClose(`ln ${x}`, [h.k.log(x)], [Math.log(x)], { abs: 1e-15, rel: 1e-13 }); // series cut after s^15
    }
    expect(h.k.log(Number.POSITIVE_INFINITY)).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(h.k.log(Number.NaN))).toBe(true);
  });

  it("adds a weight half to float64 running sums exactly as addParameters does (f32 promoted, one add)", () => {
    const h = kernelFor(learnableImages(1, 1), 1);
    const a = randomParams(3, 0.05).weight.subarray(0, C * HALF);
    const b = randomParams(4, 1e-4).weight.subarray(0, C * HALF);
    const sum = new Float64Array(h.memory.buffer, h.ptr.sum, C * HALF);
    sum.fill(0.1);
    const expected = Float64Array.from(sum);
    for (const w of [a, b, a]) {
      h.f32(h.ptr.w[0], C * HALF).set(w);
      h.k.accumulate(h.ptr.w[0], h.ptr.sum, C * HALF);
      for (let j = 0; j < expected.length; j++) expected[j] = expected[j]! + w[j]!;
    }
    expect(Buffer.from(sum.slice().buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  });

  it("counts correct predictions and predicts as the reference's first-argmax does", () => {
    const set = learnableImages(100, 4);
    const params = randomParams(2, 0.05);
    const h = kernelFor(set, 100);
    h.load(params);
    for (const t of [0, 1] as const)
      h.k.forward_partial(h.ptr.images, 0, 0, 100, t * HALF, h.ptr.w[t], h.ptr.x[t], 0, h.ptr.part[t]);
    // The evaluation reuses 4 scratch rows of x (xstep 0), so part holds all 100 rows.
    const kernelCount = h.k.count_correct(h.ptr.part[0], h.ptr.part[1], h.ptr.bias, h.ptr.labels, 100, 0);
    const again = h.k.count_correct(h.ptr.part[0], h.ptr.part[1], h.ptr.bias, h.ptr.labels, 100, h.ptr.predicted);
    const predicted = new Uint8Array(h.memory.buffer, h.ptr.predicted, 100).slice();
    const X = new Float32Array(100 * D);
    const labels = new Uint8Array(100);
    gatherBatch(
      X,
      labels,
      set,
      Uint32Array.from({ length: 100 }, (_, i) => i),
      0,
      100,
    );
    const logits = new Float32Array(100 * C);
    linearForward(logits, X, params.weight, params.bias, 100);
    expect(kernelCount).toBe(countCorrect(logits, labels, 100));
    expect(again).toBe(kernelCount);
    expect(Array.from(predicted)).toEqual(Array.from({ length: 100 }, (_, i) => argmax(logits, i * C)));
    expect(new Set(predicted).size).toBeGreaterThan(3); // not a constant guess
  });
});
