// Minibatch stochastic gradient descent (d2l §3.2.6 `sgd`) with L2 weight decay (cs231n
// regularisation, d2l §3.7). Updates the parameters in place; no allocation, no I/O.
import type { Floats } from "./softmax-regression.js";

/** Gradients in the layout of Params: weight (10, 784), bias (10). */
export interface Gradients {
  readonly weight: Floats;
  readonly bias: Floats;
}

/**
 * W ← W − lr·(dW + weightDecay·W);  b ← b − lr·db.
 * Weight decay applies to the weight only, not the bias, as is usual (d2l §3.7 decays only w):
 * shrinking the bias towards zero does not simplify the model, it only shifts the class priors.
 * `grads` holds the gradient of the mean loss over the batch.
 */
export function sgdStep(
  params: { readonly weight: Floats; readonly bias: Floats },
  grads: Gradients,
  lr: number,
  weightDecay: number,
): void {
  const { weight, bias } = params;
  const dW = grads.weight;
  const db = grads.bias;
  for (let j = 0; j < weight.length; j++) weight[j] = weight[j]! - lr * (dW[j]! + weightDecay * weight[j]!);
  for (let j = 0; j < bias.length; j++) bias[j] = bias[j]! - lr * db[j]!;
}

/** The objective's L2 term, ½·weightDecay·‖W‖², whose gradient is weightDecay·W (for the gradient check). */
export function weightDecayPenalty(weight: Floats, weightDecay: number): number {
  let sum = 0;
  for (let j = 0; j < weight.length; j++) sum += weight[j]! * weight[j]!;
  return 0.5 * weightDecay * sum;
}
