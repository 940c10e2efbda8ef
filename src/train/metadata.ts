// The training record kept in the model file's `__metadata__` (DESIGN.md §5): strings only, no
// timestamps, so the same flags and seed give a byte-identical file. Also reads it back for
// `--resume`. No I/O.
import { ModelFileError } from "../errors.js";
import type { LossName } from "../types.js";
import { VERSION } from "../version.js";
import { SCHEDULE_NAMES, type ScheduleName } from "./loop.js";

/** What a model file records about how it was trained. */
export interface TrainingRecord {
  /** Complete epochs trained, counting resumed ones. */
  readonly epochs: number;
  readonly lr: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly weightDecay: number;
  readonly labelSmoothing: number;
  readonly loss: LossName;
  readonly schedule: ScheduleName;
  /** Epochs of tail averaging (0: none). */
  readonly average: number;
  readonly testAccuracy: number;
}

export function trainingMetadata(record: TrainingRecord, classes: readonly string[]): Record<string, string> {
  return {
    format: "pt",
    version: VERSION,
    classes: JSON.stringify(classes),
    epochs: String(record.epochs),
    lr: String(record.lr),
    batch_size: String(record.batchSize),
    seed: String(record.seed),
    weight_decay: String(record.weightDecay),
    label_smoothing: String(record.labelSmoothing),
    loss: record.loss,
    schedule: record.schedule,
    average: String(record.average),
    test_accuracy: String(record.testAccuracy),
  };
}

/**
 * The training record of a model file, for `--resume`. `epochs` is required; the hyperparameters
 * are optional (a file written elsewhere may lack them) but must be valid when present.
 */
export function readTrainingRecord(
  metadata: Record<string, string>,
  file: string,
): Partial<TrainingRecord> & { epochs: number } {
  const bad = (key: string, expected: string) =>
    new ModelFileError(`${file}: metadata ${key} is ${JSON.stringify(metadata[key])}, expected ${expected}`, {
      hint: "resume only from a model saved by `softmax train`",
    });
  const number = (key: string, valid: (n: number) => boolean, expected: string): number | undefined => {
    const text = metadata[key];
    if (text === undefined) return undefined;
    const n = Number(text);
    if (text.trim() === "" || !valid(n)) throw bad(key, expected);
    return n;
  };
  const epochs = number("epochs", (n) => Number.isSafeInteger(n) && n >= 0, "an integer >= 0");
  if (epochs === undefined) {
    throw new ModelFileError(`${file}: metadata has no "epochs" entry`, {
      hint: "resume only from a model saved by `softmax train`",
    });
  }
  const loss = metadata.loss;
  if (loss !== undefined && loss !== "cross-entropy" && loss !== "mse") throw bad("loss", "cross-entropy or mse");
  const schedule = metadata.schedule;
  if (schedule !== undefined && !(SCHEDULE_NAMES as readonly string[]).includes(schedule)) {
    throw bad("schedule", SCHEDULE_NAMES.join(" or "));
  }
  const record: Partial<TrainingRecord> & { epochs: number } = {
    epochs,
    lr: number("lr", (n) => Number.isFinite(n) && n > 0, "a number > 0"),
    batchSize: number("batch_size", (n) => Number.isSafeInteger(n) && n >= 1, "an integer >= 1"),
    seed: number("seed", (n) => Number.isSafeInteger(n) && n >= 0, "an integer >= 0"),
    weightDecay: number("weight_decay", (n) => Number.isFinite(n) && n >= 0, "a number >= 0"),
    labelSmoothing: number("label_smoothing", (n) => Number.isFinite(n) && n >= 0 && n < 1, "a number in [0, 1)"),
    average: number("average", (n) => Number.isSafeInteger(n) && n >= 0, "an integer >= 0"),
    loss: loss as LossName | undefined,
    schedule: schedule as ScheduleName | undefined,
  };
  // Leave out keys the file did not have, so callers can spread the record over defaults.
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as typeof record;
}
