// The library API of softmax: what the CLI uses, for programs that want to load Fashion-MNIST, train
// softmax regression, save and load models, and draw the pictures without going through the CLI.
// The CLI (src/cli/) imports the library only from here, as a user's program would; if it needs
// something this file lacks, the API is missing it. Re-exports only; nothing is defined here.

export { BACKEND_NAMES, type BackendName, type BackendOptions, createBackend, DEFAULT_BACKEND } from "./backend.js";
export {
  CLASSES,
  DATASET_NAMES,
  DATASETS,
  type DatasetSpec,
  DEFAULT_MIRRORS,
  FASHION_MNIST,
  FASHION_MNIST_FILES,
  type FileSpec,
  findDataset,
  KMNIST,
  MNIST,
} from "./data/datasets.js";
export { copyDataset, downloadDataset, type FetchOptions, type FileResult } from "./data/download.js";
export type { DataEvent, DataEventHandler, FileOrigin } from "./data/events.js";
export type { HttpOptions } from "./data/http-fetch.js";
export { encodeIdx, type IdxArray, parseIdx } from "./data/idx.js";
export { type Found, findLocalCopy, presentDirectory } from "./data/local.js";
export { dataDirFor, dataRoot, mirrorsFor, SYSTEM_DATA_DIR, SYSTEM_DATA_ROOT, systemDirFor } from "./data/locations.js";
export { type LoadOptions, loadDataset, loadFashionMnist, loadSplit } from "./data/resolve.js";
export * from "./errors.js";
export { writeFileAtomic } from "./fs/atomic-write.js";
export { ioError } from "./fs/io-error.js";
export { checkOutputPath, type OutputTarget } from "./fs/output-path.js";
export { removeRegisteredSync } from "./fs/temporary.js";
export { type InputOptions, type ModelInput, readImageInput } from "./image-input/model-input.js";
export { MAX_IMAGE_FILE_BYTES, readImageFile } from "./image-input/read-image.js";
export { KernelThread } from "./kernels/worker-thread.js";
export { scalePixels } from "./model/batch.js";
export {
  GRADIENT_CHECK_TOLERANCE,
  type GradientCheckOptions,
  type GradientCheckResult,
  gradientCheck,
} from "./model/gradient-check.js";
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
export { loadModel, saveModel } from "./model-file/model-file.js";
export { decodeSafetensors, encodeSafetensors } from "./model-file/safetensors.js";
export { MAX_CANVAS_PIXELS } from "./pictures/canvas.js";
export { picturePathProblem } from "./pictures/encode-png.js";
export {
  DEFAULT_SCALE,
  type GridItem,
  type GridOptions,
  gridSize,
  inputPicture,
  itemPicture,
  type Picture,
  showImages,
} from "./pictures/grid.js";
export { renderConfusionHeatmap } from "./pictures/heatmap.js";
export {
  type CurvesOptions,
  type EpochPoint,
  type RunCurves,
  renderComparisonCurves,
  renderTrainingCurves,
} from "./pictures/plot.js";
export { type PredictionCell, predictionItem, renderPredictions } from "./pictures/predictions.js";
export { renderWeightTemplates } from "./pictures/weights.js";
export { Accumulator } from "./train/accumulator.js";
export { type Resumed, resumeTraining, saveTrainedModel } from "./train/checkpoint.js";
export {
  bestRun,
  type CompareCallbacks,
  type Comparison,
  type ComparisonRun,
  compare,
  comparisonRuns,
  type Grid,
  MAX_RUNS,
  type RunFigures,
  type RunOutcome,
  runFigures,
} from "./train/compare.js";
export { type Evaluation, evaluateModel } from "./train/evaluate.js";
export {
  choiceValue,
  DEFAULT_HYPERPARAMETERS,
  HYPERPARAMETER_NAMES,
  HYPERPARAMETERS,
  type Hyperparameter,
  type HyperparameterName,
  type Hyperparameters,
  hyperparameter,
  integerValue,
  type NumberBounds,
  numberValue,
  resolveHyperparameters,
  type ValueKind,
} from "./train/hyperparameters.js";
export {
  type EpochReport,
  epochOrder,
  evaluateAccuracy,
  type TrainCallbacks,
  type TrainOptions,
  type TrainResult,
  train,
  trainEpoch,
} from "./train/loop.js";
export { readTrainingRecord, type SavedRecord, type TrainingRecord, trainingMetadata } from "./train/metadata.js";
export { accuracy, confusionMatrix, mostConfused, perClassAccuracy } from "./train/metrics.js";
export { type Prediction, predict } from "./train/predict.js";
export { learningRate, SCHEDULE_NAMES, type ScheduleName } from "./train/schedule.js";
export { splitValidation, type ValidationSplit } from "./train/validation.js";
export * from "./types.js";
export { VERSION } from "./version.js";
