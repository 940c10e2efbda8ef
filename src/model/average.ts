// Tail averaging (Polyak & Juditsky 1992): the running float64 sums of the parameters after every
// SGD step, and their mean. The reference backend adds with addParameters; the wasm kernel does
// the same additions (f32 promoted to f64, one add per element per step) in its own memory, so
// every backend gives bit-identical sums. No I/O; the training loop decides when to average.
import type { ParameterSums, Params } from "../types.js";
import { NUM_CLASSES, NUM_INPUTS } from "../types.js";

/** Empty sums: weight (10, 784) and bias (10) zeros, count 0. */
export function createParameterSums(): ParameterSums {
  return { weight: new Float64Array(NUM_CLASSES * NUM_INPUTS), bias: new Float64Array(NUM_CLASSES), count: 0 };
}

/** sums ← sums + params (float64), count + 1. */
export function addParameters(sums: ParameterSums, params: Params): void {
  const { weight, bias } = sums;
  for (let j = 0; j < weight.length; j++) weight[j] = weight[j]! + params.weight[j]!;
  for (let j = 0; j < bias.length; j++) bias[j] = bias[j]! + params.bias[j]!;
  sums.count++;
}

/** out ← sums / count, rounded to float32 (out unchanged when nothing was added). Returns out. */
export function meanParameters(sums: ParameterSums, out: Params): Params {
  if (sums.count === 0) return out;
  for (let j = 0; j < sums.weight.length; j++) out.weight[j] = sums.weight[j]! / sums.count;
  for (let j = 0; j < sums.bias.length; j++) out.bias[j] = sums.bias[j]! / sums.count;
  return out;
}
