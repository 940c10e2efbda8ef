// The TypeScript reference against an independent NumPy computation of one step
// (test/fixtures/softmax-step.json, written by scripts/make-softmax-fixture.py), in float64.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sgdStep } from "../../src/model/sgd.js";
import {
  crossEntropy,
  crossEntropyBackward,
  linearBackward,
  linearForward,
  softmax,
  squaredError,
  squaredErrorBackward,
} from "../../src/model/softmax-regression.js";

interface FixtureCase {
  loss: "cross-entropy" | "mse";
  label_smoothing: number;
  loss_sum: number;
  dlogits: number[];
  db: number[];
  dW_row_sums: number[];
  dW_sample: [number, number, number][];
  bias_after_step: number[];
  weight_after_step_sample: [number, number, number][];
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "..", "fixtures", "softmax-step.json"), "utf8")) as {
  B: number;
  labels: number[];
  lr: number;
  weight_decay: number;
  logits: number[];
  P: number[];
  cases: FixtureCase[];
};

const B = fixture.B;
const D = 784;
const C = 10;
// The same integer formulas as the script.
const X = Float64Array.from({ length: B * D }, (_, j) => ((Math.floor(j / D) * 131 + (j % D) * 31) % 256) / 255);
const W = Float64Array.from({ length: C * D }, (_, j) => (((Math.floor(j / D) * 7 + (j % D) * 13) % 97) - 48) / 4800);
const b = Float64Array.from({ length: C }, (_, o) => (o - 4.5) / 10);
const labels = Uint8Array.from(fixture.labels);

/** Max relative difference, with the scale floored at 1e-3 so values near 0 are compared absolutely. */
function maxRelative(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let j = 0; j < expected.length; j++) {
    const diff = Math.abs(actual[j]! - expected[j]!) / Math.max(1e-3, Math.abs(expected[j]!));
    worst = Math.max(worst, diff);
  }
  return worst;
}

describe("reference vs NumPy (float64, one step)", () => {
  const logits = new Float64Array(B * C);
  const P = new Float64Array(B * C);
  linearForward(logits, X, W, b, B);
  softmax(P, logits, B);

  it("logits and probabilities agree to 1e-12", () => {
    expect(maxRelative(logits, fixture.logits)).toBeLessThan(1e-12);
    expect(maxRelative(P, fixture.P)).toBeLessThan(1e-12);
  });

  for (const c of fixture.cases) {
    it(`${c.loss}, label smoothing ${c.label_smoothing}: loss, gradients and the SGD step agree to 1e-12`, () => {
      const dLogits = new Float64Array(B * C);
      const loss =
        c.loss === "mse"
          ? squaredError(P, labels, B, c.label_smoothing)
          : crossEntropy(logits, labels, B, c.label_smoothing);
      if (c.loss === "mse") squaredErrorBackward(dLogits, P, labels, B, c.label_smoothing);
      else crossEntropyBackward(dLogits, P, labels, B, c.label_smoothing);
      expect(Math.abs(loss - c.loss_sum) / c.loss_sum).toBeLessThan(1e-12);
      expect(maxRelative(dLogits, c.dlogits)).toBeLessThan(1e-12);

      const dW = new Float64Array(C * D);
      const db = new Float64Array(C);
      linearBackward(dW, db, dLogits, X, B);
      expect(maxRelative(db, c.db)).toBeLessThan(1e-12);
      const rowSums = Array.from({ length: C }, (_, o) => dW.subarray(o * D, (o + 1) * D).reduce((a, v) => a + v, 0));
      expect(maxRelative(rowSums, c.dW_row_sums)).toBeLessThan(1e-10);
      for (const [r, col, value] of c.dW_sample) expect(maxRelative([dW[r * D + col]!], [value])).toBeLessThan(1e-12);

      const params = { weight: W.slice(), bias: b.slice() };
      sgdStep(params, { weight: dW, bias: db }, fixture.lr, fixture.weight_decay);
      expect(maxRelative(params.bias, c.bias_after_step)).toBeLessThan(1e-12);
      for (const [r, col, value] of c.weight_after_step_sample) {
        expect(maxRelative([params.weight[r * D + col]!], [value])).toBeLessThan(1e-12);
      }
    });
  }
});
