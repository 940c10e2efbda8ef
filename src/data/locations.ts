// Where a dataset's files are looked for and fetched from, decided from flags and the environment
// by pure functions (no I/O): the data directory, the system directory, the mirror list.
//
//   data directory  --data-dir DIR (the files' own directory), else ROOT/NAME with ROOT =
//                   $SOFTMAX_DATA_DIR, else $XDG_CACHE_HOME/softmax, else ~/.cache/softmax
//   system dir      $SOFTMAX_SYSTEM_DATA_DIR/NAME, else /usr/share/datasets/NAME (Debian's
//                   dataset-* packages); $SOFTMAX_SYSTEM_DATA_DIR set but empty: none
//   mirrors         --mirror URL..., else $SOFTMAX_MIRROR, else the dataset's defaults
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { DatasetSpec } from "./datasets.js";

/** Where Debian's dataset packages install their files, one subdirectory per dataset. */
export const SYSTEM_DATA_ROOT = "/usr/share/datasets";

/** Fashion-MNIST's system directory, as Debian's dataset-fashion-mnist installs it. */
export const SYSTEM_DATA_DIR = join(SYSTEM_DATA_ROOT, "fashion-mnist");

/** The data root: `$SOFTMAX_DATA_DIR`, else `$XDG_CACHE_HOME/softmax`, else `~/.cache/softmax`. */
export function dataRoot(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  if (env.SOFTMAX_DATA_DIR) return env.SOFTMAX_DATA_DIR;
  // The XDG base-directory spec: a relative $XDG_CACHE_HOME is invalid and is ignored.
  const cache = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(home, ".cache");
  return join(cache, "softmax");
}

/** The directory holding `dataset`'s files: `dataDir` when given (the files' own directory), else ROOT/NAME. */
export function dataDirFor(
  dataset: DatasetSpec,
  dataDir: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  home?: string,
): string {
  return dataDir ?? join(dataRoot(env, home), dataset.name);
}

/** The system directory that may hold `dataset` (read only), or null when it is turned off. */
export function systemDirFor(dataset: DatasetSpec, env: NodeJS.ProcessEnv = process.env): string | null {
  const root = env.SOFTMAX_SYSTEM_DATA_DIR;
  if (root === "") return null;
  return join(root ?? SYSTEM_DATA_ROOT, dataset.name);
}

/**
 * The mirror list: `--mirror` flags if any, else `$SOFTMAX_MIRROR` (URLs separated by whitespace
 * or commas), else the dataset's defaults. Either replaces the default list rather than adding to it.
 */
export function mirrorsFor(
  dataset: DatasetSpec,
  flags: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): readonly string[] {
  if (flags.length > 0) return flags;
  const fromEnv = (env.SOFTMAX_MIRROR ?? "").split(/[\s,]+/).filter((url) => url !== "");
  return fromEnv.length > 0 ? fromEnv : dataset.mirrors;
}
