// Softmax regression (d2l §3.6, cs231n "Softmax classifier"): parameters, the forward pass, the
// three losses (cross-entropy, squared error of the softmax outputs, cs231n's multiclass SVM
// hinge) and their gradients, written to be read. Plain loops over typed arrays, no SIMD, no
// allocation inside a step: every function writes into buffers the caller owns. The output
// argument comes first, then the inputs, then the sizes (llm.c style). This is the reference the
// fast kernels are tested against; it does no I/O.
//
// Shapes: B examples per batch, D = 784 inputs, C = 10 classes.
//   X (B, D) pixels in [0, 1]   W (C, D) out×in as PyTorch's nn.Linear   b (C)
//   logits (B, C)   P (B, C) probabilities   labels (B) in 0..C−1
// The functions accept Float32Array or Float64Array so the gradient check can run in float64;
// sums are accumulated in JavaScript numbers (float64) either way.
import { type LossName, NUM_CLASSES, NUM_INPUTS, type Params } from "../types.js";
import { Rng } from "./rng.js";

export type Floats = Float32Array | Float64Array;

const C = NUM_CLASSES;
const D = NUM_INPUTS;

/** Standard deviation of the initial weights (d2l §3.6.1: normal(0, 0.01)). */
export const INIT_STD = 0.01;

/** W ~ Normal(0, 0.01²) from the seeded PRNG (stream 0), b = 0. */
export function initParams(seed: number): Params {
  const rng = new Rng(seed, 0);
  const weight = new Float32Array(C * D);
  for (let j = 0; j < weight.length; j++) weight[j] = INIT_STD * rng.normal();
  return { weight, bias: new Float32Array(C) };
}

/** logits (B, C) = X (B, D) · Wᵀ (D, C) + b (C). */
export function linearForward(logits: Floats, X: Floats, W: Floats, b: Floats, B: number): void {
  for (let i = 0; i < B; i++) {
    const x = i * D;
    for (let o = 0; o < C; o++) {
      const w = o * D;
      let sum = b[o]!;
      for (let k = 0; k < D; k++) sum += X[x + k]! * W[w + k]!;
      logits[i * C + o] = sum;
    }
  }
}

/**
 * P (B, C) = softmax of each row of logits (B, C) (d2l §3.6.2). The row maximum is subtracted
 * before exp, which leaves the result unchanged and keeps exp from overflowing for large logits.
 */
export function softmax(P: Floats, logits: Floats, B: number): void {
  for (let i = 0; i < B; i++) {
    const row = i * C;
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, logits[row + c]!);
    let sum = 0;
    for (let c = 0; c < C; c++) {
      const e = Math.exp(logits[row + c]! - max);
      P[row + c] = e;
      sum += e;
    }
    for (let c = 0; c < C; c++) P[row + c] = P[row + c]! / sum;
  }
}

/** Target probability of class `c` for an example labelled `label`: (1−ε)·onehot + ε/C. */
export function target(c: number, label: number, labelSmoothing: number): number {
  return (c === label ? 1 - labelSmoothing : 0) + labelSmoothing / C;
}

/**
 * Cross-entropy summed over the batch (d2l §3.6.3, with label smoothing ε):
 *   loss_i = −Σ_c y_c · log softmax(z)_c = logsumexp(z) − Σ_c y_c z_c   (because Σ_c y_c = 1).
 * Written through log-sum-exp so it is finite for any finite logits, even ±1e4 where exp
 * overflows and a probability underflows to 0. logits (B, C), labels (B).
 */
export function crossEntropy(logits: Floats, labels: Uint8Array, B: number, labelSmoothing: number): number {
  let total = 0;
  for (let i = 0; i < B; i++) {
    const row = i * C;
    const label = labels[i]!;
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, logits[row + c]!);
    let sumExp = 0;
    let targetDotLogits = 0;
    for (let c = 0; c < C; c++) {
      const z = logits[row + c]!;
      sumExp += Math.exp(z - max);
      targetDotLogits += target(c, label, labelSmoothing) * (z - max);
    }
    total += Math.log(sumExp) - targetDotLogits;
  }
  return total;
}

/** Gradient of the mean cross-entropy over the batch with respect to the logits: dLogits (B, C) = (P − Y) / B. */
export function crossEntropyBackward(
  dLogits: Floats,
  P: Floats,
  labels: Uint8Array,
  B: number,
  labelSmoothing: number,
): void {
  for (let i = 0; i < B; i++) {
    const row = i * C;
    const label = labels[i]!;
    for (let c = 0; c < C; c++) dLogits[row + c] = (P[row + c]! - target(c, label, labelSmoothing)) / B;
  }
}

/**
 * Squared error of the softmax outputs, summed over the batch: loss_i = ½ Σ_c (p_c − y_c)².
 * The `--loss mse` variant: its gradient vanishes when a wrong class is confidently predicted
 * (p ≈ onehot of the wrong class), which is why cross-entropy trains better. P (B, C), labels (B).
 */
export function squaredError(P: Floats, labels: Uint8Array, B: number, labelSmoothing: number): number {
  let total = 0;
  for (let i = 0; i < B; i++) {
    const row = i * C;
    const label = labels[i]!;
    for (let c = 0; c < C; c++) {
      const diff = P[row + c]! - target(c, label, labelSmoothing);
      total += 0.5 * diff * diff;
    }
  }
  return total;
}

/**
 * Gradient of the mean squared error over the batch with respect to the logits, through the
 * softmax Jacobian ∂p_c/∂z_j = p_c (δ_cj − p_j):
 *   g_c = (p_c − y_c) / B,   dz_j = p_j · (g_j − Σ_c g_c p_c).   dLogits, P (B, C).
 */
export function squaredErrorBackward(
  dLogits: Floats,
  P: Floats,
  labels: Uint8Array,
  B: number,
  labelSmoothing: number,
): void {
  for (let i = 0; i < B; i++) {
    const row = i * C;
    const label = labels[i]!;
    let gDotP = 0;
    for (let c = 0; c < C; c++) gDotP += ((P[row + c]! - target(c, label, labelSmoothing)) / B) * P[row + c]!;
    for (let j = 0; j < C; j++) {
      const p = P[row + j]!;
      const g = (p - target(j, label, labelSmoothing)) / B;
      dLogits[row + j] = p * (g - gDotP);
    }
  }
}

/**
 * cs231n's multiclass SVM (hinge) loss summed over the batch ("Linear classification: Multiclass
 * Support Vector Machine loss", margin Δ = 1), on the raw scores (the logits, no softmax):
 *   loss_i = Σ_{j≠y} max(0, s_j − s_y + 1).
 * Accuracy is the argmax of the same scores, as for the other losses. Label smoothing has no
 * meaning here (the loss compares scores with the true class's score and has no target
 * distribution to smooth), so it takes no ε; weight decay applies in the SGD step as for every
 * loss. scores (B, C), labels (B).
 */
export function hingeLoss(scores: Floats, labels: Uint8Array, B: number): number {
  let total = 0;
  for (let i = 0; i < B; i++) {
    const row = i * C;
    const label = labels[i]!;
    const correctScore = scores[row + label]!;
    for (let j = 0; j < C; j++) {
      if (j !== label) total += Math.max(0, scores[row + j]! - correctScore + 1);
    }
  }
  return total;
}

/**
 * Gradient of the mean hinge loss over the batch with respect to the scores (a subgradient: a
 * margin of exactly 0 counts as inactive, as cs231n's `margins > 0`):
 *   dz_j = [s_j − s_y + 1 > 0] / B for j ≠ y,   dz_y = −(number of such j) / B.
 * Each active margin pushes its wrong class down and the true class up. dLogits, scores (B, C).
 */
export function hingeBackward(dLogits: Floats, scores: Floats, labels: Uint8Array, B: number): void {
  for (let i = 0; i < B; i++) {
    const row = i * C;
    const label = labels[i]!;
    const correctScore = scores[row + label]!;
    let positives = 0;
    for (let j = 0; j < C; j++) {
      const active = j !== label && scores[row + j]! - correctScore + 1 > 0;
      dLogits[row + j] = active ? 1 / B : 0;
      if (active) positives++;
    }
    dLogits[row + label] = -positives / B;
  }
}

/**
 * The loss chosen by `--loss`, summed over the batch, and its gradient with respect to the logits
 * dLogits (B, C) (of the batch's mean loss). P (B, C) receives the softmax of the logits for
 * cross-entropy and mse; hinge works on the logits themselves and ignores label smoothing.
 */
export function lossAndGradient(
  dLogits: Floats,
  P: Floats,
  logits: Floats,
  labels: Uint8Array,
  B: number,
  loss: LossName,
  labelSmoothing: number,
): number {
  if (loss === "hinge") {
    hingeBackward(dLogits, logits, labels, B);
    return hingeLoss(logits, labels, B);
  }
  softmax(P, logits, B);
  if (loss === "mse") {
    squaredErrorBackward(dLogits, P, labels, B, labelSmoothing);
    return squaredError(P, labels, B, labelSmoothing);
  }
  crossEntropyBackward(dLogits, P, labels, B, labelSmoothing);
  return crossEntropy(logits, labels, B, labelSmoothing);
}

/** dW (C, D) = dLogitsᵀ (C, B) · X (B, D) and db (C) = column sums of dLogits (B, C). Overwrites dW and db. */
export function linearBackward(dW: Floats, db: Floats, dLogits: Floats, X: Floats, B: number): void {
  dW.fill(0);
  db.fill(0);
  for (let i = 0; i < B; i++) {
    const x = i * D;
    for (let o = 0; o < C; o++) {
      const d = dLogits[i * C + o]!;
      db[o] = db[o]! + d;
      if (d === 0) continue;
      const w = o * D;
      for (let k = 0; k < D; k++) dW[w + k] = dW[w + k]! + d * X[x + k]!;
    }
  }
}

/**
 * The Frobenius norm ‖A‖_F = √(Σ a²) of a matrix given as its entries, summed in float64. Of dW
 * before weight decay it is the `grad_norm` reported per step: how hard the loss pushes the
 * weights (under mse it collapses when the softmax saturates; d2l §3.6 and the cs231n notes).
 */
export function frobeniusNorm(A: Floats): number {
  let sum = 0;
  for (let j = 0; j < A.length; j++) sum += A[j]! * A[j]!;
  return Math.sqrt(sum);
}

/** Number of rows of scores (B, C) whose argmax equals the label (d2l §3.6.5 `accuracy`, as a count). */
export function countCorrect(scores: Floats, labels: Uint8Array, B: number): number {
  let correct = 0;
  for (let i = 0; i < B; i++) if (argmax(scores, i * C) === labels[i]) correct++;
  return correct;
}

/** Index of the largest of the C values starting at `offset` (the first one on ties). */
export function argmax(scores: Floats, offset: number): number {
  let best = 0;
  let bestValue = scores[offset]!;
  for (let c = 1; c < C; c++) {
    const v = scores[offset + c]!;
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

/** Class probabilities (n, C) of n examples X (n, D) scaled to [0, 1]. Allocates its result. */
export function predictProbabilities(params: Params, X: Float32Array, n: number): Float32Array {
  const logits = new Float32Array(n * C);
  const P = new Float32Array(n * C);
  linearForward(logits, X, params.weight, params.bias, n);
  softmax(P, logits, n);
  return P;
}
