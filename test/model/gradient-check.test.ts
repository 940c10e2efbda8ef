// The gradient check itself: every loss passes on its problem, the finite-difference comparison
// catches a wrong gradient, and the problem sits away from the hinge's kinks.
import { describe, expect, it } from "vitest";
import {
  finiteDifferenceCheck,
  GRADIENT_CHECK_TOLERANCE,
  gradientCheck,
  gradientCheckProblem,
  relativeError,
} from "../../src/model/gradient-check.js";
import { linearForward } from "../../src/model/softmax-regression.js";
import { LOSS_NAMES } from "../../src/types.js";

describe("gradientCheck", () => {
  for (const loss of LOSS_NAMES)
    it(`${loss}: every checked weight and bias within ${GRADIENT_CHECK_TOLERANCE}`, () => {
      const result = gradientCheck({ loss });
      expect(result.loss).toBe(loss);
      // 60 lit pixels × 10 classes, 200 other weights, 10 biases.
      expect(result.checked).toBe(810);
      expect(result.maxRelError).toBeLessThan(GRADIENT_CHECK_TOLERANCE);
      expect(relativeError(result.worst.analytic, result.worst.numeric)).toBe(result.maxRelError);
    });

  it("another seed, without weight decay and label smoothing: within the tolerance too", () => {
    expect(gradientCheck({ loss: "mse", seed: 1, weightDecay: 0, labelSmoothing: 0 }).maxRelError).toBeLessThan(
      GRADIENT_CHECK_TOLERANCE,
    );
  });
});

describe("finiteDifferenceCheck (cs231n grad_check_sparse)", () => {
  // f(x) = Σ x_j³, so ∂f/∂x_j = 3·x_j².
  const x = Float64Array.from([0.5, -1.25, 2, 0.75]);
  const f = () => x.reduce((sum, v) => sum + v ** 3, 0);

  it("agrees with a correct gradient", () => {
    const analytic = x.map((v) => 3 * v * v);
    const result = finiteDifferenceCheck(f, x, analytic, x.keys());
    expect(result.maxRelError).toBeLessThan(1e-7);
    expect(Array.from(x)).toEqual([0.5, -1.25, 2, 0.75]); // restored
  });

  it("reports the entry of a wrong gradient: 3x² off by 0.1% in entry 2", () => {
    const analytic = x.map((v) => 3 * v * v);
    analytic[2] = analytic[2]! * 1.001;
    const result = finiteDifferenceCheck(f, x, analytic, x.keys());
    expect(result.index).toBe(2);
    expect(result.maxRelError).toBeCloseTo(0.001 / 1.001, 6);
    expect(result.numeric).toBeCloseTo(12, 6);
  });

  it("relative error: |a − n| / max(|a|, |n|), 0 when both are 0", () => {
    expect(relativeError(0, 0)).toBe(0);
    expect(relativeError(1, 0.5)).toBe(0.5);
    expect(relativeError(-2, 2)).toBe(2);
  });
});

describe("gradientCheckProblem", () => {
  it("keeps the hinge's margins s_j − s_y + 1 at least 0.1 from its kink, some active and some not", () => {
    for (const seed of [0, 1, 2]) {
      const { X, W, b, labels, B } = gradientCheckProblem(seed);
      const scores = new Float64Array(B * 10);
      linearForward(scores, X, W, b, B);
      const margins: number[] = [];
      for (let i = 0; i < B; i++)
        for (let j = 0; j < 10; j++)
          if (j !== labels[i]) margins.push(scores[i * 10 + j]! - scores[i * 10 + labels[i]!]! + 1);
      expect(Math.min(...margins.map(Math.abs))).toBeGreaterThan(0.1);
      expect(margins.some((m) => m > 0)).toBe(true);
      expect(margins.some((m) => m < 0)).toBe(true);
    }
  });
});
