// The training record kept in the model file's `__metadata__`: strings only, no timestamps, so the
// same flags and seed give a byte-identical file. Written from, and read back into, the entries of
// the hyperparameter table (src/train/hyperparameters.ts), for `--resume`. No I/O.
import { ModelFileError } from "../errors.js";
import { VERSION } from "../version.js";
import {
  HYPERPARAMETER_NAMES,
  type HyperparameterName,
  type Hyperparameters,
  hyperparameter,
  integerValue,
} from "./hyperparameters.js";

/** What a model file records about how it was trained: every hyperparameter, and the outcome. */
export interface TrainingRecord extends Hyperparameters {
  /** Complete epochs trained, counting resumed ones. */
  readonly epochs: number;
  /** Test accuracy of the saved parameters. */
  readonly testAccuracy: number;
}

/** A training record as read back from a file: `epochs`, and the hyperparameters the file has. */
export interface SavedRecord {
  readonly epochs: number;
  /** Hyperparameters absent from the file (written elsewhere, or by an older version) are left out. */
  readonly hyperparameters: Partial<Hyperparameters>;
}

const EPOCHS = integerValue(0);

export function trainingMetadata(record: TrainingRecord, classes: readonly string[]): Record<string, string> {
  const metadata: Record<string, string> = {
    format: "pt",
    version: VERSION,
    classes: JSON.stringify(classes),
    epochs: String(record.epochs),
  };
  for (const name of HYPERPARAMETER_NAMES) metadata[hyperparameter(name).metadataKey] = String(record[name]);
  metadata.test_accuracy = String(record.testAccuracy);
  return metadata;
}

/**
 * The training record of a model file, for `--resume`. `epochs` is required; each hyperparameter is
 * optional (a file written elsewhere may lack it) but must be valid when present.
 */
export function readTrainingRecord(metadata: Record<string, string>, file: string): SavedRecord {
  const hint = "resume only from a model saved by `softmax train` or saveTrainedModel";
  const read = <T>(key: string, parse: (text: string) => T | undefined, expected: string): T | undefined => {
    const text = metadata[key];
    if (text === undefined) return undefined;
    const value = parse(text);
    if (value === undefined) {
      throw new ModelFileError(`${file}: metadata ${key} is ${JSON.stringify(text)}, expected ${expected}`, { hint });
    }
    return value;
  };
  const epochs = read("epochs", EPOCHS.parse, EPOCHS.expected);
  if (epochs === undefined) throw new ModelFileError(`${file}: metadata has no "epochs" entry`, { hint });
  const hyperparameters: Partial<Record<HyperparameterName, unknown>> = {};
  for (const name of HYPERPARAMETER_NAMES) {
    const { metadataKey, kind } = hyperparameter(name);
    const value = read(metadataKey, kind.parse, kind.expected);
    if (value !== undefined) hyperparameters[name] = value;
  }
  return { epochs, hyperparameters: hyperparameters as Partial<Hyperparameters> };
}
