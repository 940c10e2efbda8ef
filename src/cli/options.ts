// Option value parsers and shared options for the commander wiring. A bad value throws
// commander's InvalidArgumentError, which main.ts turns into one line and exit status 2.
import { availableParallelism } from "node:os";
import { type Command, InvalidArgumentError, Option } from "commander";
import { BACKEND_NAMES, type BackendName, DEFAULT_BACKEND } from "../backend.js";
import { DATASET_NAMES } from "../index.js";

/** Parses an integer flag value that must be >= `min`. */
export function integerAtLeast(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}.`);
    }
    return n;
  };
}

export interface NumberBounds {
  /** Inclusive lower bound. */
  min?: number;
  /** Exclusive lower bound. */
  above?: number;
  /** Exclusive upper bound. */
  below?: number;
}

/** Parses a finite number within the given bounds. */
export function finiteNumber(bounds: NumberBounds = {}): (value: string) => number {
  const parts: string[] = [];
  if (bounds.min !== undefined) parts.push(`>= ${bounds.min}`);
  if (bounds.above !== undefined) parts.push(`> ${bounds.above}`);
  if (bounds.below !== undefined) parts.push(`< ${bounds.below}`);
  const expected = `expected a finite number${parts.length > 0 ? ` ${parts.join(" and ")}` : ""}.`;
  return (value) => {
    const n = Number(value);
    const ok =
      value.trim() !== "" &&
      Number.isFinite(n) &&
      (bounds.min === undefined || n >= bounds.min) &&
      (bounds.above === undefined || n > bounds.above) &&
      (bounds.below === undefined || n < bounds.below);
    if (!ok) throw new InvalidArgumentError(expected);
    return n;
  };
}

/** Parses one of a fixed set of words. */
export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(", ")}.`);
    }
    return value as T;
  };
}

export interface DataOptions {
  dataDir?: string;
  offline?: boolean;
  /** Absent unless given, so that a command can take the dataset from a model instead. */
  dataset?: string;
}

/** `--dataset`, `--data-dir` and `--offline`, taken by every command that reads the dataset. */
export function addDataOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--dataset <name>", "which dataset (default: fashion-mnist, or the model's)")
        .choices(DATASET_NAMES)
        .argParser(oneOf(DATASET_NAMES)),
    )
    .option(
      "--data-dir <dir>",
      "the dataset files' directory (default: ROOT/DATASET, ROOT = $SOFTMAX_DATA_DIR, else $XDG_CACHE_HOME/softmax, else ~/.cache/softmax)",
    )
    .option("--offline", "never touch the network; use local copies only");
}

export interface BackendFlags {
  backend: BackendName;
  threads: number;
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
