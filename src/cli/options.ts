// Option value parsers and shared options for the commander wiring. A bad value throws
// commander's InvalidArgumentError, which main.ts turns into one line and exit status 2.
import { availableParallelism } from "node:os";
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  BACKEND_NAMES,
  type Backend,
  type BackendName,
  choiceValue,
  createBackend,
  DATASET_NAMES,
  DEFAULT_BACKEND,
  integerValue,
  type KernelChoice,
  type KernelThread,
  type SplitName,
  type ValueKind,
} from "../index.js";

/** The splits of a dataset, in the order the help lists them. */
const SPLIT_NAMES: readonly SplitName[] = ["test", "train"];

/**
 * A commander parser from one of the library's value kinds (the ones the hyperparameter table
 * uses), so a flag and a model file reject the same values with the same words.
 */
export function flagParser<T>(kind: ValueKind<T>): (value: string) => T {
  return (value) => {
    const parsed = kind.parse(value);
    if (parsed === undefined) throw new InvalidArgumentError(`expected ${kind.expected}.`);
    return parsed;
  };
}

/** Parses an integer flag value that must be >= `min`. */
export function integerAtLeast(min: number): (value: string) => number {
  return flagParser(integerValue(min));
}

/** Parses one of a fixed set of words. */
export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return flagParser(choiceValue(choices));
}

export interface DataOptions {
  dataDir?: string;
  offline?: boolean;
  /** Absent unless given, so that a command can take the dataset from a model instead. */
  dataset?: string;
}

/**
 * `--dataset`, `--data-dir` and `--offline`, taken by every command that reads the dataset.
 * `train` takes `--dataset` from the hyperparameter table instead (it is recorded in the model).
 */
export function addDataOptions(command: Command, options: { dataset?: boolean } = {}): Command {
  if (options.dataset !== false) {
    command.addOption(
      new Option("--dataset <name>", "which dataset (default: the model's, else fashion-mnist)")
        .choices(DATASET_NAMES)
        .argParser(oneOf(DATASET_NAMES)),
    );
  }
  return addDataDirOption(command).option("--offline", "never touch the network; use local copies only");
}

/** `--data-dir DIR`, the same in `download` and every command that reads a dataset. */
export function addDataDirOption(command: Command): Command {
  return command.option(
    "--data-dir <dir>",
    "the dataset files' directory (default: ROOT/DATASET, ROOT = $SOFTMAX_DATA_DIR, else $XDG_CACHE_HOME/softmax, else ~/.cache/softmax)",
  );
}

/** The model file train writes and evaluate and predict read when none is named. */
export const DEFAULT_MODEL_FILE = "model.safetensors";

/** `-m, --model FILE`: the model evaluate and predict read, by the same flag with the same default. */
export function addModelOption(command: Command): Command {
  return command.option("-m, --model <file>", "model file saved by `softmax train`", DEFAULT_MODEL_FILE);
}

/** `-q, --quiet`, the same flag with the same meaning in every command that talks on stderr. */
export function addQuietOption(command: Command): Command {
  return command.option("-q, --quiet", "no progress, log lines or notices on stderr (warnings still show)");
}

/** `--split`, for the commands that take images from a dataset split. */
export function splitOption(byDefault: SplitName): Option {
  return new Option("--split <split>", "dataset split")
    .choices(SPLIT_NAMES)
    .default(byDefault)
    .argParser(oneOf<SplitName>(SPLIT_NAMES));
}

export interface BackendFlags {
  backend: BackendName;
  threads: number;
}

/** What bin/softmax.js prepared before the CLI's modules loaded, for the commands that use it. */
export interface CliContext {
  /**
   * The wasm backend's worker thread, started ahead (train, evaluate and compare adopt it when
   * they run on two threads; main releases it otherwise).
   */
  readonly kernelThread?: KernelThread;
}

/** The backend a command with addBackendOptions' flags runs on (with `kernel` where it has --kernel). */
export function backendFor(flags: BackendFlags, context: CliContext, kernel?: KernelChoice): Promise<Backend> {
  return createBackend(flags.backend, { threads: flags.threads, kernel, kernelThread: context.kernelThread });
}

/** Threads by default: two where there are two cores (the kernels split W's columns in halves). */
export function defaultThreads(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

/** `--backend` and `--threads`, taken by the commands that run the model over a whole split. */
export function addBackendOptions(command: Command, what: string): Command {
  return command
    .addOption(
      new Option("--backend <name>", what)
        .choices(BACKEND_NAMES)
        .default(DEFAULT_BACKEND)
        .argParser(oneOf<BackendName>(BACKEND_NAMES)),
    )
    .option("--threads <n>", "worker threads for backends that use them", integerAtLeast(1), defaultThreads());
}
