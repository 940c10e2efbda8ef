import { describe, expect, it } from "vitest";
import { GRADIENT_CHECK_TOLERANCE, gradientCheck } from "../../src/model/gradient-check.js";
import { Rng } from "../../src/model/rng.js";
import { sgdStep } from "../../src/model/sgd.js";
import {
  argmax,
  countCorrect,
  crossEntropy,
  crossEntropyBackward,
  frobeniusNorm,
  hingeBackward,
  hingeLoss,
  initParams,
  linearBackward,
  linearForward,
  lossAndGradient,
  predictProbabilities,
  softmax,
  squaredError,
  squaredErrorBackward,
} from "../../src/model/softmax-regression.js";
import { NUM_CLASSES, NUM_INPUTS } from "../../src/types.js";

const C = NUM_CLASSES;
const D = NUM_INPUTS;

/** Two rows of logits: row 0 is [ln 2, 0, …, 0], row 1 is [0, 0, ln 3, 0, …, 0]. */
function handLogits(): Float64Array {
  const z = new Float64Array(2 * C);
  z[0] = Math.log(2);
  z[C + 2] = Math.log(3);
  return z;
}
const handLabels = new Uint8Array([0, 2]);

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, digits);
}

describe("initParams", () => {
  it("draws W ~ N(0, 0.01²) from the seed and sets b = 0", () => {
    const p = initParams(0);
    expect(p.weight).toBeInstanceOf(Float32Array);
    expect(p.weight.length).toBe(C * D);
    expect(p.bias).toEqual(new Float32Array(C));
    let sum = 0;
    let sumSq = 0;
    for (const w of p.weight) {
      sum += w;
      sumSq += w * w;
    }
    const mean = sum / p.weight.length;
    const std = Math.sqrt(sumSq / p.weight.length - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.0005); // 3 standard errors of 0.01/√7840
    expect(std).toBeGreaterThan(0.0097);
    expect(std).toBeLessThan(0.0103);
    expect(initParams(0).weight).toEqual(p.weight);
    expect(initParams(1).weight).not.toEqual(p.weight);
  });
});

describe("linearForward", () => {
  it("computes X·Wᵀ + b on a hand-made case", () => {
    // x = [1, 0.5, 0, …]; W[o] = [o, 2, 0, …]; b[o] = −1  ⇒  logit_o = o·1 + 2·0.5 − 1 = o.
    const X = new Float64Array(D);
    X[0] = 1;
    X[1] = 0.5;
    const W = new Float64Array(C * D);
    for (let o = 0; o < C; o++) {
      W[o * D] = o;
      W[o * D + 1] = 2;
    }
    const b = new Float64Array(C).fill(-1);
    const logits = new Float64Array(C);
    linearForward(logits, X, W, b, 1);
    expectClose(logits, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe("softmax", () => {
  it("gives the hand-computed probabilities", () => {
    const P = new Float64Array(2 * C);
    softmax(P, handLogits(), 2);
    // Row 0: e^z = [2, 1×9], sum 11 ⇒ [2/11, 1/11, …].  Row 1: [1, 1, 3, 1×7], sum 12 ⇒ [1/12, 1/12, 3/12, …].
    expectClose(P.subarray(0, C), [2 / 11, ...new Array(9).fill(1 / 11)]);
    expectClose(P.subarray(C), [1 / 12, 1 / 12, 3 / 12, ...new Array(7).fill(1 / 12)]);
  });

  it("is uniform for equal logits and unchanged by adding a constant to a row", () => {
    const P = new Float64Array(C);
    softmax(P, new Float64Array(C).fill(123.4), 1);
    expectClose(P, new Array(C).fill(1 / C));
    const shifted = handLogits().map((z) => z + 500);
    const P1 = new Float64Array(2 * C);
    const P2 = new Float64Array(2 * C);
    softmax(P1, handLogits(), 2);
    softmax(P2, shifted, 2);
    expectClose(P2, P1);
  });

  it("stays finite and sums to 1 for logits of ±1e4", () => {
    const z = new Float32Array(C);
    z[0] = 1e4;
    z[1] = -1e4;
    z[2] = 1e4;
    const P = new Float32Array(C);
    softmax(P, z, 1);
    expect(P.every(Number.isFinite)).toBe(true);
    expect(P[0]).toBeCloseTo(0.5, 6);
    expect(P[2]).toBeCloseTo(0.5, 6);
    expect(P[1]).toBe(0);
  });
});

describe("crossEntropy", () => {
  it("gives the hand-computed loss, summed over the batch", () => {
    // −log(2/11) − log(3/12) = ln(11/2) + ln 4 = ln 22.
    expect(crossEntropy(handLogits(), handLabels, 2, 0)).toBeCloseTo(Math.log(22), 12);
  });

  it("with label smoothing ε: −Σ_c y_c log p_c with y = (1−ε)·onehot + ε/10", () => {
    const eps = 0.1;
    // Row 0: y_0 = 0.91, y_c = 0.01 else: −0.91·log(2/11) − 9·0.01·log(1/11).
    const row0 = -0.91 * Math.log(2 / 11) - 0.09 * Math.log(1 / 11);
    // Row 1: y_2 = 0.91: −0.91·log(3/12) − 0.09·log(1/12).
    const row1 = -0.91 * Math.log(3 / 12) - 0.09 * Math.log(1 / 12);
    expect(crossEntropy(handLogits(), handLabels, 2, eps)).toBeCloseTo(row0 + row1, 12);
    // Equal logits: every class has p = 1/10, so the loss is ln 10 whatever the targets.
    expect(crossEntropy(new Float64Array(C), new Uint8Array([3]), 1, 0.3)).toBeCloseTo(Math.log(10), 12);
  });

  it("is finite for logits of ±1e4 (log-sum-exp), and equals the logit gap when the label loses", () => {
    const z = new Float32Array(2 * C);
    z[0] = 1e4;
    z[1] = -1e4;
    z[C + 3] = -1e4; // row 1: the label's logit is −1e4, the others 0
    // Row 0, label 0 wins by 1e4: loss = log(1 + 8e^{−1e4} + e^{−2e4}) ≈ 0.
    // Row 1, label 3: loss = logsumexp(z) − z_3 = log(9 + e^{−1e4}) + 1e4 ≈ 1e4 + ln 9.
    const loss = crossEntropy(z, new Uint8Array([0, 3]), 2, 0);
    expect(Number.isFinite(loss)).toBe(true);
    expect(loss).toBeCloseTo(1e4 + Math.log(9), 6);
    const smoothed = crossEntropy(z, new Uint8Array([1, 3]), 2, 0.1);
    expect(Number.isFinite(smoothed)).toBe(true);
    // Row 0 with label 1 (−1e4 behind the max): about (1 − 0.1 + 0.01)·2e4 plus the other targets' gaps.
    expect(smoothed).toBeGreaterThan(1e4);
  });

  it("backward gives (P − Y)/B", () => {
    const P = new Float64Array(2 * C);
    softmax(P, handLogits(), 2);
    const d = new Float64Array(2 * C);
    crossEntropyBackward(d, P, handLabels, 2, 0);
    // Row 0: ([2/11, 1/11, …] − e_0)/2 = [−9/22, 1/22, …].  Row 1: ([1/12, 1/12, 3/12, …] − e_2)/2.
    expectClose(d.subarray(0, C), [-9 / 22, ...new Array(9).fill(1 / 22)]);
    expectClose(d.subarray(C), [1 / 24, 1 / 24, -9 / 24, ...new Array(7).fill(1 / 24)]);
    crossEntropyBackward(d, P, handLabels, 2, 0.1);
    // With ε = 0.1 the target of the label is 0.91 and of the others 0.01.
    expectClose(d.subarray(0, C), [(2 / 11 - 0.91) / 2, ...new Array(9).fill((1 / 11 - 0.01) / 2)]);
  });
});

describe("squaredError (--loss mse)", () => {
  it("gives ½·Σ_c (p_c − y_c)² per example, summed over the batch", () => {
    const P = new Float64Array(2 * C);
    softmax(P, handLogits(), 2);
    // Row 0: ½[(2/11 − 1)² + 9·(1/11)²] = ½·(81 + 9)/121 = 45/121.
    // Row 1: ½[2·(1/12)² + (3/12 − 1)² + 7·(1/12)²] = ½·(2 + 81 + 7)/144 = 45/144.
    expect(squaredError(P, handLabels, 2, 0)).toBeCloseTo(45 / 121 + 45 / 144, 12);
  });

  it("backward matches the softmax Jacobian written out for one row", () => {
    const P = new Float64Array(C);
    softmax(P, handLogits().subarray(0, C), 1);
    const d = new Float64Array(C);
    squaredErrorBackward(d, P, new Uint8Array([0]), 1, 0);
    // dz_j = Σ_c (p_c − y_c)·p_c·(δ_cj − p_j), written out directly.
    for (let j = 0; j < C; j++) {
      let expected = 0;
      for (let c = 0; c < C; c++) expected += (P[c]! - (c === 0 ? 1 : 0)) * P[c]! * ((c === j ? 1 : 0) - P[j]!);
      expect(d[j]).toBeCloseTo(expected, 14);
    }
  });
});

describe("hingeLoss (--loss hinge, cs231n multiclass SVM)", () => {
  it("gives Σ_{j≠y} max(0, s_j − s_y + 1) per example, summed over the batch", () => {
    // Row 0, label 0: s_0 = ln 2, the 9 others 0: each margin is 1 − ln 2 > 0 ⇒ 9·(1 − ln 2).
    // Row 1, label 2: s_2 = ln 3 > 1, the others 0: each margin is 1 − ln 3 < 0 ⇒ 0.
    expect(hingeLoss(handLogits(), handLabels, 2)).toBeCloseTo(9 * (1 - Math.log(2)), 12);
    // A margin of exactly 0 adds nothing: scores [1, 0, …], label 0 ⇒ 9 margins of 0.
    const tie = new Float64Array(C);
    tie[0] = 1;
    expect(hingeLoss(tie, new Uint8Array([0]), 1)).toBe(0);
  });

  it("backward gives 1/B per active margin and −(their number)/B to the true class", () => {
    const d = new Float64Array(2 * C).fill(99); // overwritten
    hingeBackward(d, handLogits(), handLabels, 2);
    // Row 0: 9 active margins ⇒ [−9/2, 1/2 × 9]. Row 1: none active ⇒ 0.
    expectClose(d.subarray(0, C), [-9 / 2, ...new Array(9).fill(1 / 2)]);
    expectClose(d.subarray(C), new Array(C).fill(0));
    // At a margin of exactly 0 the subgradient taken is 0 (cs231n's `margins > 0`).
    const tie = new Float64Array(C);
    tie[0] = 1;
    hingeBackward(d, tie, new Uint8Array([0]), 1);
    expectClose(d.subarray(0, C), new Array(C).fill(0));
  });

  it("is finite for scores of ±1e4 and ignores label smoothing", () => {
    const z = new Float32Array(C);
    z[0] = -1e4;
    z[1] = 1e4;
    // label 0: margins 1e4 + 1 (class 1 and the 8 zeros: 2e4 + 1 and 8·(1e4 + 1)).
    expect(hingeLoss(z, new Uint8Array([0]), 1)).toBeCloseTo(2e4 + 1 + 8 * (1e4 + 1), 6);
    const P = new Float64Array(C);
    const d0 = new Float64Array(C);
    const d1 = new Float64Array(C);
    const loss0 = lossAndGradient(d0, P, handLogits(), handLabels, 1, "hinge", 0);
    const loss1 = lossAndGradient(d1, P, handLogits(), handLabels, 1, "hinge", 0.3);
    expect(loss1).toBe(loss0);
    expect(d1).toEqual(d0);
  });
});

describe("lossAndGradient", () => {
  it("returns each loss with its gradient, as the functions called one by one", () => {
    const P = new Float64Array(2 * C);
    const d = new Float64Array(2 * C);
    const expectedP = new Float64Array(2 * C);
    softmax(expectedP, handLogits(), 2);
    const expectedD = new Float64Array(2 * C);
    expect(lossAndGradient(d, P, handLogits(), handLabels, 2, "cross-entropy", 0.1)).toBe(
      crossEntropy(handLogits(), handLabels, 2, 0.1),
    );
    crossEntropyBackward(expectedD, expectedP, handLabels, 2, 0.1);
    expect(d).toEqual(expectedD);
    expect(P).toEqual(expectedP);
    expect(lossAndGradient(d, P, handLogits(), handLabels, 2, "mse", 0.1)).toBe(
      squaredError(expectedP, handLabels, 2, 0.1),
    );
    squaredErrorBackward(expectedD, expectedP, handLabels, 2, 0.1);
    expect(d).toEqual(expectedD);
    expect(lossAndGradient(d, P, handLogits(), handLabels, 2, "hinge", 0.1)).toBe(
      hingeLoss(handLogits(), handLabels, 2),
    );
    hingeBackward(expectedD, handLogits(), handLabels, 2);
    expect(d).toEqual(expectedD);
  });
});

describe("frobeniusNorm (grad_norm)", () => {
  it("is √(Σ a²)", () => {
    expect(frobeniusNorm(new Float64Array([3, 4]))).toBe(5);
    expect(frobeniusNorm(new Float32Array([1, -2, 2, 0]))).toBe(3);
    expect(frobeniusNorm(new Float64Array(7840))).toBe(0);
  });
});

describe("linearBackward, countCorrect, argmax, predictProbabilities", () => {
  it("dW = dLogitsᵀ·X, db = column sums (hand-made case)", () => {
    const X = new Float64Array(2 * D);
    X[0] = 1; // example 0: x_0 = 1
    X[D + 1] = 2; // example 1: x_1 = 2
    const dLogits = new Float64Array(2 * C);
    dLogits[3] = 0.5; // example 0, class 3
    dLogits[C + 3] = -1; // example 1, class 3
    dLogits[C + 7] = 0.25; // example 1, class 7
    const dW = new Float64Array(C * D).fill(99); // overwritten, not accumulated
    const db = new Float64Array(C).fill(99);
    linearBackward(dW, db, dLogits, X, 2);
    expect(dW[3 * D]).toBe(0.5);
    expect(dW[3 * D + 1]).toBe(-2);
    expect(dW[7 * D + 1]).toBe(0.5);
    let nonZero = 0;
    for (const v of dW) if (v !== 0) nonZero++;
    expect(nonZero).toBe(3);
    expectClose(db, [0, 0, 0, -0.5, 0, 0, 0, 0.25, 0, 0]);
  });

  it("counts argmax hits; ties go to the first class", () => {
    expect(argmax(new Float64Array([0, 3, 3, 1, 0, 0, 0, 0, 0, 0]), 0)).toBe(1);
    expect(countCorrect(handLogits(), new Uint8Array([0, 2]), 2)).toBe(2);
    expect(countCorrect(handLogits(), new Uint8Array([1, 2]), 2)).toBe(1);
  });

  it("predictProbabilities returns (n, 10) rows summing to 1", () => {
    const params = initParams(3);
    const rng = new Rng(1);
    const X = Float32Array.from({ length: 3 * D }, () => rng.uniform());
    const P = predictProbabilities(params, X, 3);
    expect(P.length).toBe(3 * C);
    for (let i = 0; i < 3; i++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += P[i * C + c]!;
      expect(s).toBeCloseTo(1, 6);
    }
  });
});

describe("sgdStep", () => {
  it("W −= lr·(dW + λW) and b −= lr·db (no decay on the bias)", () => {
    const params = { weight: new Float64Array([1, -2]), bias: new Float64Array([3]) };
    sgdStep(params, { weight: new Float64Array([0.5, 0.5]), bias: new Float64Array([1]) }, 0.1, 0.01);
    // 1 − 0.1·(0.5 + 0.01·1) = 0.949;  −2 − 0.1·(0.5 − 0.02) = −2.048;  3 − 0.1·1 = 2.9.
    expectClose(params.weight, [0.949, -2.048]);
    expectClose(params.bias, [2.9]);
  });
});

/**
 * Gradient check (cs231n "gradient checking"): the analytic gradient of
 *   J(W, b) = (1/B)·Σ_i loss_i + ½·λ·‖W‖²
 * against centred finite differences, by the library's gradientCheck (src/model/gradient-check.ts,
 * whose finite differences are themselves tested on a function with a known derivative). Its own
 * problem is sparse (each pixel lit by one example); these are dense, as real images are, so every
 * entry of dW sums over the batch, with each loss with and without weight decay and smoothing.
 */
/**
 * Two small problems whose gradients stay well away from 0, where a relative error is meaningful
 * (a centred difference of a loss near 2.3 carries ~1e-11 of rounding error):
 * - "one label": three examples of class 4 with pixels in [0.1, 1): each column of dLogits has
 *   one sign across the batch, so no entry of dW cancels;
 * - "mixed labels": examples of classes 2, 7 and 9 on disjoint thirds of the pixels, so each
 *   entry of dW comes from a single example.
 * The weights are small, so every probability is near 1/10 and no gradient vanishes.
 */
const problems = [
  {
    name: "one label",
    labels: [4, 4, 4],
    pixel: (_i: number, _k: number, u: number) => 0.1 + 0.9 * u,
  },
  {
    name: "mixed labels",
    labels: [2, 7, 9],
    pixel: (i: number, k: number, u: number) => (Math.floor((k * 3) / D) === i ? 0.1 + 0.9 * u : 0),
  },
];

for (const problem of problems)
  describe(`gradient check against centred finite differences (float64), ${problem.name}`, () => {
    const B = 3;
    const rng = new Rng(42);
    const X = Float64Array.from({ length: B * D }, (_, j) => problem.pixel(Math.floor(j / D), j % D, rng.uniform()));
    const labels = Uint8Array.from(problem.labels);
    const W = Float64Array.from({ length: C * D }, () => 0.01 * rng.normal());
    const b = Float64Array.from({ length: C }, () => 0.1 * rng.normal());
    // Weights to check: every weight of pixels 0 and 1, then a random sample; every bias is checked.
    const checked = [...Array.from({ length: 2 * C }, (_, j) => (j % C) * D + Math.floor(j / C))];
    for (let j = 0; j < 200; j++) checked.push(rng.integer(C * D));

    it("hinge: every margin is active, far from the kink at 0 (cs231n: check away from kinks)", () => {
      // With these small weights every score is within ~0.3 of the others, so every margin is near 1.
      const scores = new Float64Array(B * C);
      linearForward(scores, X, W, b, B);
      expect(hingeLoss(scores, labels, B)).toBeGreaterThan(B * (C - 1) * 0.5);
    });

    const cases = [
      { loss: "cross-entropy", weightDecay: 0, labelSmoothing: 0 },
      { loss: "cross-entropy", weightDecay: 0.05, labelSmoothing: 0.1 },
      { loss: "mse", weightDecay: 0, labelSmoothing: 0 },
      { loss: "mse", weightDecay: 0.05, labelSmoothing: 0.1 },
      { loss: "hinge", weightDecay: 0, labelSmoothing: 0 },
      { loss: "hinge", weightDecay: 0.05, labelSmoothing: 0.1 },
    ] as const;

    for (const options of cases) {
      const { loss, weightDecay, labelSmoothing } = options;
      it(`${loss}, weight decay ${weightDecay}, label smoothing ${labelSmoothing}: relative error < ${GRADIENT_CHECK_TOLERANCE}`, () => {
        const result = gradientCheck({ ...options, problem: { X, labels, W, b, B, checked } });
        expect(result.checked).toBe(checked.length + C);
        expect(result.maxRelError, `worst: ${JSON.stringify(result.worst)}`).toBeLessThan(GRADIENT_CHECK_TOLERANCE);
      });
    }
  });
