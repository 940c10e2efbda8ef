// A trained model on disk with its training record: saving one (so that it can be resumed, by the
// CLI's --resume or by a program) and resuming from one (the saved parameters, the epochs done, and
// the hyperparameters: those given, else those recorded in the file, else the defaults).
// The file format is src/model-file/'s; the record is src/train/metadata.ts's.
import { loadModel, saveModel } from "../model-file/model-file.js";
import type { Params } from "../types.js";
import {
  HYPERPARAMETER_NAMES,
  type Hyperparameters,
  hyperparameter,
  resolveHyperparameters,
} from "./hyperparameters.js";
import { readTrainingRecord, type TrainingRecord, trainingMetadata } from "./metadata.js";

/** Saves `params` atomically with the record of how they were trained (TrainResult.record). */
export async function saveTrainedModel(
  path: string,
  params: Params,
  record: TrainingRecord,
  classes: readonly string[],
): Promise<void> {
  await saveModel(path, params, trainingMetadata(record, classes));
}

/** What training continues from. */
export interface Resumed {
  readonly params: Params;
  /** Complete epochs already trained: train()'s startEpoch. */
  readonly startEpoch: number;
  readonly hyperparameters: Hyperparameters;
  /** The file's whole metadata (class names and the rest). */
  readonly metadata: Record<string, string>;
}

/**
 * Reads the model file at `path` and its training record, and merges the hyperparameters: each one
 * in `given` wins; else the file's value when its entry says --resume inherits it; else the default.
 * Throws ModelFileError naming the file when it is not a model or its record is damaged.
 */
export async function resumeTraining(path: string, given: Partial<Hyperparameters> = {}): Promise<Resumed> {
  const { params, metadata } = await loadModel(path);
  const saved = readTrainingRecord(metadata, path);
  const inherited = Object.fromEntries(
    HYPERPARAMETER_NAMES.filter((name) => hyperparameter(name).resume).map((name) => [
      name,
      saved.hyperparameters[name],
    ]),
  ) as Partial<Hyperparameters>;
  const chosen = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  return {
    params,
    startEpoch: saved.epochs,
    hyperparameters: resolveHyperparameters({ ...inherited, ...chosen }),
    metadata,
  };
}
