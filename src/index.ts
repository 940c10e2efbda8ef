// The library API of softmax: what the CLI uses, for programs that want to load Fashion-MNIST, train
// softmax regression, save and load models, and draw the pictures without going through the CLI.
// Re-exports only; nothing is defined here.

export { BACKEND_NAMES, type BackendName, createBackend, DEFAULT_BACKEND } from "./backend.js";
export { copyFashionMnist, downloadFashionMnist } from "./data/download.js";
export type { DataEvent } from "./data/events.js";
export { CLASSES, DEFAULT_MIRRORS, FASHION_MNIST_FILES } from "./data/fashion-mnist.js";
export { type IdxArray, parseIdx } from "./data/idx.js";
export { type LoadOptions, loadFashionMnist, SYSTEM_DATA_DIR } from "./data/resolve.js";
export * from "./errors.js";
export { renderConfusionHeatmap } from "./io/heatmap.js";
export { readImageInput } from "./io/image-input.js";
export { renderTrainingCurves } from "./io/plot.js";
export { renderPredictions, renderWeightTemplates, showImages } from "./io/png.js";
export { decodeSafetensors, encodeSafetensors, loadModel, saveModel } from "./io/safetensors.js";
export { Rng } from "./model/rng.js";
export { sgdStep } from "./model/sgd.js";
export {
  crossEntropy,
  crossEntropyBackward,
  initParams,
  linearBackward,
  linearForward,
  predictProbabilities,
  softmax,
  squaredError,
  squaredErrorBackward,
} from "./model/softmax-regression.js";
export { Accumulator } from "./train/accumulator.js";
export { type Evaluation, evaluateModel } from "./train/evaluate.js";
export { evaluateAccuracy, type TrainOptions, type TrainResult, train, trainEpoch } from "./train/loop.js";
export { accuracy, confusionMatrix, mostConfused, perClassAccuracy } from "./train/metrics.js";
export * from "./types.js";
export { VERSION } from "./version.js";
