// Finding Fashion-MNIST for the commands that read it: the data directory, then the system
// dataset directory (Debian's dataset-fashion-mnist), then a download into the data directory
// (not with --offline). Returns the verified, parsed dataset; never prints (events go to onEvent).
//
// A corrupt copy in the data directory is never used: it is reported as a warning event and
// replaced by a verified copy from the next source; if there is none, loading fails naming it.
// A copy read from a .gz is cached as the raw IDX file in the data directory, so the next start
// skips gunzip (see the README, "Measured load times").
import { mkdir, rm } from "node:fs/promises";
import { DataError } from "../errors.js";
import type { FashionMnist, ImageSet } from "../types.js";
import type { HttpOptions } from "./download.js";
import type { DataEvent, FileOrigin } from "./events.js";
import { CLASSES, FASHION_MNIST_FILES, type FileSpec, specFor } from "./fashion-mnist.js";
import { parseIdx } from "./idx.js";
import { imageSetFromIdx } from "./image-set.js";
import {
  gzPath,
  type LocalCopy,
  type RecordOptions,
  rawPath,
  readGzCopy,
  readRawCopy,
  writeRawCache,
} from "./local.js";

export const SYSTEM_DATA_DIR = "/usr/share/datasets/fashion-mnist";

export interface LoadOptions {
  dataDir: string;
  offline?: boolean;
  mirrors?: readonly string[];
  systemDir?: string;
  onEvent?: (event: DataEvent) => void;
  /** The files and digests (default: the real Fashion-MNIST); tests pass small synthetic ones. */
  files?: readonly FileSpec[];
  /** Timeouts and retries of the automatic download. */
  http?: HttpOptions;
  /** Margin of the verification records (tests set 0). */
  records?: RecordOptions;
}

/** Loads both splits (d2l §3.5 `load_data_fashion_mnist`), as uint8 images (count, 784) and labels. */
export async function loadFashionMnist(options: LoadOptions): Promise<FashionMnist> {
  const files = options.files ?? FASHION_MNIST_FILES;
  // Local copies are read in parallel (gunzip runs on the thread pool) and reported in table order.
  const found = await Promise.all(files.map((file) => findLocal(file, options)));
  files.forEach((file, i) => {
    const { copy, origin, reportedPath } = found[i]!;
    if (copy !== null && origin !== null) emitFile(options, file, reportedPath, copy.path, origin, copy.verified);
  });
  const missing = files.filter((_, i) => found[i]!.copy === null);
  if (missing.length > 0) {
    if (options.offline) throw notFound(missing, found, options, "--offline is set, so nothing was downloaded");
    try {
      // Imported only when needed: loading undici costs ~100 ms of start-up, which a warm start skips.
      const { downloadFashionMnist } = await import("./download.js");
      const fetched = await downloadFashionMnist({
        ...options.http,
        ...options.records,
        dataDir: options.dataDir,
        mirrors: options.mirrors,
        files: missing,
        // Not forced: under the lock, a copy another process has just fetched is used as it is.
        warnCorrupt: false,
        onEvent: options.onEvent,
      });
      // downloadFashionMnist has reported each file as a `file` event already.
      for (const result of fetched) {
        const index = files.findIndex((file) => file.name === result.name);
        found[index] = {
          copy: { path: result.path, raw: result.raw, verified: result.verified },
          origin: result.origin,
          reportedPath: result.path,
          corrupt: [],
        };
      }
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      throw notFound(missing, found, options, error.message);
    }
  }
  const raw = new Map(files.map((file, i) => [file.name, found[i]!.copy!] as const));
  const split = (name: "train" | "test"): ImageSet => {
    const images = specFor(files, name, "images");
    const labels = specFor(files, name, "labels");
    if (images === undefined || labels === undefined) throw new Error(`no ${name} files in the file table`);
    const imagesCopy = raw.get(images.name)!;
    const labelsCopy = raw.get(labels.name)!;
    return imageSetFromIdx(
      parseIdx(imagesCopy.raw, imagesCopy.path),
      parseIdx(labelsCopy.raw, labelsCopy.path),
      imagesCopy.path,
      labelsCopy.path,
    );
  };
  const sources = [...new Set(found.map((entry) => sourceDir(entry, options)))];
  return { train: split("train"), test: split("test"), classes: CLASSES, source: sources.join(", ") };
}

interface Found {
  copy: LocalCopy | null;
  origin: FileOrigin | null;
  /** Where the file is now: the raw cache when it could be written, else the copy read. */
  reportedPath: string;
  /** Corrupt copies met on the way, with what was wrong. */
  corrupt: string[];
}

/** The first verified local copy of `file`: data dir (raw, then .gz), then system dir (raw, then .gz). */
async function findLocal(file: FileSpec, options: LoadOptions): Promise<Found> {
  const systemDir = options.systemDir ?? SYSTEM_DATA_DIR;
  const records = options.records ?? {};
  const candidates: { origin: FileOrigin; read: () => Promise<LocalCopy | null> }[] = [
    { origin: "data-dir", read: () => readRawCopy(options.dataDir, file, records) },
    { origin: "data-dir", read: () => readGzCopy(options.dataDir, file) },
    { origin: "system", read: () => readRawCopy(systemDir, file, false) },
    { origin: "system", read: () => readGzCopy(systemDir, file) },
  ];
  const corrupt: string[] = [];
  for (const candidate of candidates) {
    let copy: LocalCopy | null;
    try {
      copy = await candidate.read();
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      corrupt.push(error.message);
      options.onEvent?.({ type: "warning", message: `${error.message}; looking for another copy` });
      continue;
    }
    if (copy === null) continue;
    let path = copy.path;
    if (copy.path !== rawPath(options.dataDir, file)) path = await cacheRaw(file, copy, options, corrupt.length > 0);
    return { copy, origin: candidate.origin, reportedPath: path, corrupt };
  }
  return { copy: null, origin: null, reportedPath: "", corrupt };
}

/**
 * Writes the raw payload into the data directory so the next start reads it without gunzip; a
 * corrupt .gz left there is removed once the healed raw copy is in place. Failing to cache (a
 * read-only directory) is a warning, not an error: loading still works, only slower.
 */
async function cacheRaw(file: FileSpec, copy: LocalCopy, options: LoadOptions, healing: boolean): Promise<string> {
  try {
    await mkdir(options.dataDir, { recursive: true });
    const path = await writeRawCache(options.dataDir, file, copy.raw, options.records);
    if (healing && copy.path !== gzPath(options.dataDir, file))
      await rm(gzPath(options.dataDir, file), { force: true });
    return path;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    options.onEvent?.({
      type: "warning",
      message: `cannot cache ${file.name} in ${options.dataDir} (${code}); every start will decompress ${copy.path}`,
    });
    return copy.path;
  }
}

function emitFile(
  options: LoadOptions,
  file: FileSpec,
  path: string,
  source: string,
  origin: FileOrigin,
  verified: "sha256" | "record",
): void {
  options.onEvent?.({
    type: "file",
    name: file.name,
    path,
    bytes: file.rawBytes,
    origin,
    source,
    sha256: file.sha256,
    verified,
  });
}

function sourceDir(entry: Found, options: LoadOptions): string {
  if (entry.origin === "system") return options.systemDir ?? SYSTEM_DATA_DIR;
  return options.dataDir;
}

/** One error for everything that is missing, listing the ways to provide the dataset. */
function notFound(missing: readonly FileSpec[], found: readonly Found[], options: LoadOptions, why: string): DataError {
  const systemDir = options.systemDir ?? SYSTEM_DATA_DIR;
  const corrupt = found.flatMap((entry) => entry.corrupt);
  const names = missing.map((file) => file.name).join(", ");
  const message =
    corrupt.length > 0
      ? `Fashion-MNIST is corrupt and no valid copy was found: ${corrupt.join("; ")}; ${why}`
      : `Fashion-MNIST not found: ${names} missing from ${options.dataDir} and ${systemDir}; ${why}`;
  const ways = [
    corrupt.length > 0 ? "run `softmax download --force`" : "run `softmax download`",
    "or `apt-get install dataset-fashion-mnist`",
    "or point --data-dir / $SOFTMAX_DATA_DIR at a directory holding the files",
    "or copy them with `softmax download --from DIR`",
  ];
  return new DataError(message, { hint: ways.join(", ") });
}
