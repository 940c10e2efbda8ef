// The hyperparameters of training, one entry each: this table drives the `softmax train` flags
// (with their help text and defaults), the validation of values from the command line, from a
// program and from a model file, the model file's metadata (written and read back), and what
// `--resume` takes from a saved model. Data only, plus the value parsers the entries use; no I/O.
//
// To add a hyperparameter:
//   1. add an entry to HYPERPARAMETERS below (its key is the option name in camelCase);
//   2. use it in the maths: `options.<name>` in train() (src/train/loop.ts), or, when every SGD step
//      needs it, add the name to StepOptions (src/types.ts) and read it in the backends.
// The flag, --help, validation, the saved metadata and --resume follow from the entry, and the
// tests in test/train/hyperparameters.test.ts check each entry (add a test value there).
//
// `--epochs` is not in the table: it says how long this run goes on (with --resume, how many more
// epochs), and the model file records the epochs done instead (see src/train/metadata.ts).
import { DATASET_NAMES } from "../data/datasets.js";
import { UsageError } from "../errors.js";
import { KERNEL_CHOICES, type KernelChoice, LOSS_NAMES, type LossName } from "../types.js";
import { SCHEDULE_NAMES, type ScheduleName } from "./schedule.js";

/** How the values of one hyperparameter are written, read and checked. */
export interface ValueKind<T> {
  /** What a valid value is, for messages: "an integer >= 1". */
  readonly expected: string;
  /** The value `text` spells (from a flag or the model file), or undefined when it is not valid. */
  parse(text: string): T | undefined;
  /** Whether `value` (from a program) is valid. */
  valid(value: unknown): value is T;
  /** The words a value can be, for a choice. */
  readonly choices?: readonly T[];
}

export interface Hyperparameter<T> {
  /** The command-line flag, `--` and the name in kebab-case. */
  readonly flag: string;
  /** What the flag's value is called in --help: `<rate>`. */
  readonly placeholder: string;
  readonly help: string;
  readonly default: T;
  readonly kind: ValueKind<T>;
  /** Key of the model file's `__metadata__` that records it (strings only: String(value)). */
  readonly metadataKey: string;
  /** Whether `--resume` takes the value recorded in the model file when the flag is not given. */
  readonly resume: boolean;
}

/** Integers from `min` to `max` (inclusive; at most 2^53−1 so that they stay exact). */
export function integerValue(min: number, max = Number.MAX_SAFE_INTEGER): ValueKind<number> {
  const valid = (value: unknown): value is number =>
    typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max;
  return {
    expected: max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`,
    parse: (text) => {
      const n = Number(text);
      return text.trim() !== "" && valid(n) ? n : undefined;
    },
    valid,
  };
}

export interface NumberBounds {
  /** Inclusive lower bound. */
  readonly min?: number;
  /** Exclusive lower bound. */
  readonly above?: number;
  /** Exclusive upper bound. */
  readonly below?: number;
}

/** Finite numbers within `bounds`. */
export function numberValue(bounds: NumberBounds = {}): ValueKind<number> {
  const parts: string[] = [];
  if (bounds.min !== undefined) parts.push(`>= ${bounds.min}`);
  if (bounds.above !== undefined) parts.push(`> ${bounds.above}`);
  if (bounds.below !== undefined) parts.push(`< ${bounds.below}`);
  const valid = (value: unknown): value is number =>
    typeof value === "number" &&
    Number.isFinite(value) &&
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.above === undefined || value > bounds.above) &&
    (bounds.below === undefined || value < bounds.below);
  return {
    expected: `a finite number${parts.length > 0 ? ` ${parts.join(" and ")}` : ""}`,
    parse: (text) => {
      const n = Number(text);
      return text.trim() !== "" && valid(n) ? n : undefined;
    },
    valid,
  };
}

/** One of a fixed set of words. */
export function choiceValue<T extends string>(choices: readonly T[]): ValueKind<T> {
  const valid = (value: unknown): value is T => (choices as readonly unknown[]).includes(value);
  return {
    expected: `one of ${choices.join(", ")}`,
    parse: (text) => (valid(text) ? text : undefined),
    valid,
    choices,
  };
}

function entry<T>(hyperparameter: Hyperparameter<T>): Hyperparameter<T> {
  return hyperparameter;
}

/** Every hyperparameter of training, in the order of --help and of the model file's metadata. */
export const HYPERPARAMETERS = {
  lr: entry({
    flag: "--lr",
    placeholder: "<rate>",
    help: "learning rate, > 0",
    default: 0.1,
    kind: numberValue({ above: 0 }),
    metadataKey: "lr",
    resume: true,
  }),
  batchSize: entry({
    flag: "--batch-size",
    placeholder: "<n>",
    help: "examples per minibatch; the last partial batch is used",
    default: 256,
    kind: integerValue(1),
    metadataKey: "batch_size",
    resume: true,
  }),
  seed: entry({
    flag: "--seed",
    placeholder: "<n>",
    // The PRNG mixes both 32-bit halves of the seed, so any exact integer is a distinct seed.
    help: "seed of the initial weights and of every epoch's shuffle (an integer < 2^53)",
    default: 0,
    kind: integerValue(0),
    metadataKey: "seed",
    resume: true,
  }),
  weightDecay: entry({
    flag: "--weight-decay",
    placeholder: "<lambda>",
    help: "L2 penalty on the weight (not the bias), >= 0",
    default: 0,
    kind: numberValue({ min: 0 }),
    metadataKey: "weight_decay",
    resume: true,
  }),
  labelSmoothing: entry({
    flag: "--label-smoothing",
    placeholder: "<epsilon>",
    help: "targets (1-epsilon)*onehot + epsilon/10, 0 <= epsilon < 1",
    default: 0,
    kind: numberValue({ min: 0, below: 1 }),
    metadataKey: "label_smoothing",
    resume: true,
  }),
  loss: entry<LossName>({
    flag: "--loss",
    placeholder: "<name>",
    help: "cross-entropy; mse: squared error of the softmax outputs; hinge: cs231n's multiclass SVM loss on the logits",
    default: "cross-entropy",
    kind: choiceValue(LOSS_NAMES),
    metadataKey: "loss",
    resume: true,
  }),
  schedule: entry<ScheduleName>({
    flag: "--schedule",
    placeholder: "<name>",
    help: "learning rate per epoch: constant, or cosine decay from --lr towards 0",
    default: "constant",
    kind: choiceValue(SCHEDULE_NAMES),
    metadataKey: "schedule",
    resume: true,
  }),
  dataset: entry<string>({
    flag: "--dataset",
    placeholder: "<name>",
    // Recorded so that evaluate, predict and show --weights use the dataset the model was trained on.
    help: "the dataset to train on (`softmax datasets` lists them)",
    default: "fashion-mnist",
    kind: choiceValue(DATASET_NAMES),
    metadataKey: "dataset",
    resume: true,
  }),
  average: entry({
    flag: "--average",
    placeholder: "<epochs>",
    // One epoch by default: averaging turns the noisy last iterate of constant-rate SGD into a
    // better model (docs/training.md).
    help: "save the mean of the weights over every step of the last N epochs (tail averaging; 0: the last weights)",
    default: 1,
    kind: integerValue(0),
    metadataKey: "average",
    resume: true,
  }),
  validation: entry({
    flag: "--validation",
    placeholder: "<n>",
    help: "hold out N training images (always the same ones) and report validation accuracy each epoch, test accuracy once at the end (0: none)",
    default: 0,
    kind: integerValue(0),
    metadataKey: "validation",
    resume: true,
  }),
  kernel: entry<KernelChoice>({
    flag: "--kernel",
    placeholder: "<name>",
    // Recorded as the kernel that ran (auto resolved), so a model file says how its bits came about.
    help: "wasm kernel: fma (fused multiply-add: results depend on the CPU), plain (the same bits on every machine), or auto: fma where available",
    default: "auto",
    kind: choiceValue(KERNEL_CHOICES),
    metadataKey: "kernel",
    resume: true,
  }),
};

type Table = typeof HYPERPARAMETERS;
export type HyperparameterName = keyof Table;

/** One value per entry of HYPERPARAMETERS. */
export type Hyperparameters = {
  readonly [K in HyperparameterName]: Table[K] extends Hyperparameter<infer T> ? T : never;
};

/** The names of the table, in its order. */
export const HYPERPARAMETER_NAMES = Object.keys(HYPERPARAMETERS) as HyperparameterName[];

/** The value of every hyperparameter when nothing else is given (the flags' defaults). */
export const DEFAULT_HYPERPARAMETERS: Hyperparameters = Object.fromEntries(
  HYPERPARAMETER_NAMES.map((name) => [name, HYPERPARAMETERS[name].default]),
) as Hyperparameters;

/** The entry of `name`, typed by its value (the table's own types are per key). */
export function hyperparameter<K extends HyperparameterName>(name: K): Hyperparameter<Hyperparameters[K]> {
  return HYPERPARAMETERS[name] as unknown as Hyperparameter<Hyperparameters[K]>;
}

/**
 * The defaults overlaid with the values given (undefined ones ignored), each checked by its
 * entry. Throws UsageError for a value out of range and for a name that is not in the table (a
 * misspelt option must not be silently ignored).
 */
export function resolveHyperparameters(given: Partial<Hyperparameters> = {}): Hyperparameters {
  const result: Record<string, unknown> = { ...DEFAULT_HYPERPARAMETERS };
  for (const [name, value] of Object.entries(given)) {
    if (!(name in HYPERPARAMETERS)) {
      throw new UsageError(`unknown hyperparameter ${name}`, {
        hint: `expected one of ${HYPERPARAMETER_NAMES.join(", ")}`,
      });
    }
    if (value === undefined) continue;
    const key = name as HyperparameterName;
    const { kind, flag } = hyperparameter(key);
    if (!kind.valid(value)) {
      throw new UsageError(`${key} is ${JSON.stringify(value)}, expected ${kind.expected}`, {
        hint: `the same values as softmax train ${flag}`,
      });
    }
    result[key] = value;
  }
  return result as Hyperparameters;
}
