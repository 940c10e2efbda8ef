// The gradient check (cs231n "Gradient checks"): the analytic gradient of the training objective
//   J(W, b) = (1/B)·Σ_i loss_i + ½·λ·‖W‖²
// compared, entry by entry, with centred finite differences (J(θ+h) − J(θ−h)) / 2h, in float64,
// on a small seeded problem (or one the caller gives). It checks the reference maths of
// softmax-regression.ts and sgd.ts (the fast kernels are tested against that reference elsewhere).
// Maths only; no I/O.
import type { LossName } from "../types.js";
import { NUM_CLASSES, NUM_INPUTS } from "../types.js";
import { Rng } from "./rng.js";
import { weightDecayPenalty } from "./sgd.js";
import { linearBackward, linearForward, lossAndGradient } from "./softmax-regression.js";

const C = NUM_CLASSES;
const D = NUM_INPUTS;

/** A relative error at or above this fails the check (cs231n: above 1e-7 is fine for most objectives; 1e-6 leaves room for float64 rounding). */
export const GRADIENT_CHECK_TOLERANCE = 1e-6;

/**
 * Step of the centred difference. Its truncation error is O(h²) and its rounding error
 * O(ε_float64·J/h); 1e-4 keeps both near 1e-10 for these objectives.
 */
const H = 1e-4;

export interface GradientCheckOptions {
  readonly loss: LossName;
  /** λ of the L2 term (on by default, so that its gradient λW is checked too). */
  readonly weightDecay?: number;
  /** ε of label smoothing (on by default; losses that have no targets ignore it). */
  readonly labelSmoothing?: number;
  /** Seed of the problem (pixels, weights). */
  readonly seed?: number;
  /** The problem to check on, in place of gradientCheckProblem(seed) (a test's own, e.g. dense pixels). */
  readonly problem?: GradientCheckProblem;
}

/** A problem to check the gradient on, in float64. */
export interface GradientCheckProblem {
  /** Pixels X (B,784). */
  readonly X: Float64Array;
  /** The class of each example (B). */
  readonly labels: Uint8Array;
  /** Weights W (10,784) and bias b (10) at which the gradient is checked; restored after each difference. */
  readonly W: Float64Array;
  readonly b: Float64Array;
  readonly B: number;
  /** Indices into W whose gradient is compared (every bias is compared). */
  readonly checked: readonly number[];
}

export interface GradientCheckResult {
  readonly loss: LossName;
  /** Largest relative error |a − n| / max(|a|, |n|) over every weight and bias. */
  readonly maxRelError: number;
  /** Parameters compared: every weight of a lit pixel, a sample of the other weights, every bias. */
  readonly checked: number;
  /** The entry with the largest relative error, for a message when the check fails. */
  readonly worst: {
    readonly parameter: "weight" | "bias";
    readonly index: number;
    readonly analytic: number;
    readonly numeric: number;
  };
}

/** Labels of the problem's examples: mixed classes, so the gradients of several classes are checked. */
const LABELS = [2, 7, 0, 9, 4];
/**
 * Score of each example's own class (the others score about 0). The hinge's margins s_j − s_y + 1
 * are then 1 − S: active (> 0) for S < 1, inactive for S > 1, and at least 0.2 from its kinks at 0.
 */
const OWN_SCORE = [0.5, 1.5, 0.8, 1.8, 1.2];
/** Pixels each example lights (the others are 0). */
const LIT = 12;
/** Weights of unlit pixels checked besides every weight of a lit pixel and every bias (a seeded sample). */
const UNLIT_SAMPLE = 200;

/**
 * The small seeded problem (cs231n: few examples, float64), built so that every relative error
 * compares two numbers well above the rounding of J (about 1e-16·J/h) and no gradient entry
 * vanishes by coincidence:
 * - example i lights LIT pixels of its own block, in [0.5, 1): each weight gradient of a lit pixel
 *   comes from one example, with no cancellation between examples;
 * - its own class scores OWN_SCORE[i] and the nine others about 0 (weights ~1e-3 on its pixels):
 *   the nine others share one probability p_o, and then the squared error's gradient
 *   p_o·p_y·(0.9 + p_o − p_y)/B keeps well away from 0 (it would vanish where p_y ≈ 0.9),
 *   cross-entropy's (p − y)/B keeps away from 0 (p ≠ the smoothed targets), and the hinge's margins
 *   stay 0.2 or more from its kinks, far beyond what a step of h moves them (cs231n: check away
 *   from kinks), some active and some not;
 * - the weights of unlit pixels are ±[0.01, 0.02), so λw, the only gradient they get, stays well
 *   above the rounding.
 */
export function gradientCheckProblem(seed: number): GradientCheckProblem {
  const rng = new Rng(seed);
  const B = LABELS.length;
  const X = new Float64Array(B * D);
  const W = new Float64Array(C * D);
  for (let j = 0; j < W.length; j++) W[j] = (rng.uniform() < 0.5 ? -1 : 1) * (0.01 + 0.01 * rng.uniform());
  const checked: number[] = []; // every weight of a lit pixel, then a sample of the others
  for (let i = 0; i < B; i++) {
    const pixels = Array.from({ length: LIT }, (_, k) => i * LIT + k);
    let sum = 0;
    for (const k of pixels) {
      X[i * D + k] = 0.5 + 0.5 * rng.uniform();
      sum += X[i * D + k]!;
    }
    for (let c = 0; c < C; c++)
      for (const k of pixels) {
        if (c === LABELS[i]) W[c * D + k] = OWN_SCORE[i]! / sum;
        checked.push(c * D + k);
      }
  }
  const lit = new Set(checked);
  while (checked.length < lit.size + UNLIT_SAMPLE) {
    const j = rng.integer(W.length);
    if (!lit.has(j) && !checked.includes(j)) checked.push(j);
  }
  const b = Float64Array.from({ length: C }, () => 0.01 * rng.normal());
  return { X, labels: Uint8Array.from(LABELS), W, b, B, checked };
}

/** cs231n's gradient check of `options.loss` (with weight decay and label smoothing on by default). */
export function gradientCheck(options: GradientCheckOptions): GradientCheckResult {
  const { loss, weightDecay = 0.01, labelSmoothing = 0.1, seed = 0 } = options;
  const { X, labels, W, b, B, checked } = options.problem ?? gradientCheckProblem(seed);
  const logits = new Float64Array(B * C);
  const P = new Float64Array(B * C);
  const dLogits = new Float64Array(B * C);
  // The reference's one dispatch on the loss (lossAndGradient) gives both the loss and dLogits.
  const objective = (): number => {
    linearForward(logits, X, W, b, B);
    return (
      lossAndGradient(dLogits, P, logits, labels, B, loss, labelSmoothing) / B + weightDecayPenalty(W, weightDecay)
    );
  };

  // Analytic gradient: backprop to the logits (by the objective at θ), then through the linear layer, plus λW.
  objective();
  const dW = new Float64Array(C * D);
  const db = new Float64Array(C);
  linearBackward(dW, db, dLogits, X, B);
  for (let j = 0; j < dW.length; j++) dW[j] = dW[j]! + weightDecay * W[j]!;

  const weight = finiteDifferenceCheck(objective, W, dW, checked);
  const bias = finiteDifferenceCheck(objective, b, db, b.keys());
  const [parameter, worst] =
    bias.maxRelError > weight.maxRelError ? (["bias", bias] as const) : (["weight", weight] as const);
  return {
    loss,
    maxRelError: worst.maxRelError,
    checked: checked.length + b.length,
    worst: { parameter, index: worst.index, analytic: worst.analytic, numeric: worst.numeric },
  };
}

export interface FiniteDifferenceResult {
  /** Largest relative error over the indices compared, and where it was. */
  readonly maxRelError: number;
  readonly index: number;
  readonly analytic: number;
  readonly numeric: number;
}

/**
 * cs231n's grad_check_sparse: for each index j, the centred difference
 * (f(x + h·e_j) − f(x − h·e_j)) / 2h of `objective` (which reads x) against analytic[j].
 * Restores x after each pair of evaluations.
 */
export function finiteDifferenceCheck(
  objective: () => number,
  x: Float64Array,
  analytic: Float64Array,
  indices: Iterable<number>,
  h = H,
): FiniteDifferenceResult {
  let worst: FiniteDifferenceResult = { maxRelError: 0, index: -1, analytic: 0, numeric: 0 };
  for (const j of indices) {
    const saved = x[j]!;
    x[j] = saved + h;
    const plus = objective();
    x[j] = saved - h;
    const minus = objective();
    x[j] = saved;
    const numeric = (plus - minus) / (2 * h);
    const error = relativeError(analytic[j]!, numeric);
    if (worst.index === -1 || error > worst.maxRelError)
      worst = { maxRelError: error, index: j, analytic: analytic[j]!, numeric };
  }
  return worst;
}

/** cs231n's relative error |a − n| / max(|a|, |n|), 0 when both are 0. */
export function relativeError(analytic: number, numeric: number): number {
  const scale = Math.max(Math.abs(analytic), Math.abs(numeric));
  return scale === 0 ? 0 : Math.abs(analytic - numeric) / scale;
}
