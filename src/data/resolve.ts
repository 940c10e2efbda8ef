// Loading a dataset (or one split of it) for the commands that read it: a verified local copy
// (findLocalCopy: the data directory, then the system directory), else a download into the data
// directory (not with --offline). Returns the verified, parsed data; never prints (events go to onEvent).
//
// A corrupt copy in the data directory is never used: it is reported as a warning event and
// replaced by a verified copy from the next source; if there is none, loading fails naming it.
// A copy read from a .gz or from the system directory is cached as the raw IDX file in the data
// directory, so the next start skips gunzip (docs/data.md, "Where the files live").
import { rm } from "node:fs/promises";
import { DataError, FileError } from "../errors.js";
import { sweepStaleTemporaries } from "../fs/temporary.js";
import type { DatasetSplit, FashionMnist, ImageSet, SplitName } from "../types.js";
import { type DatasetSpec, FASHION_MNIST, type FileSpec, specFor } from "./datasets.js";
import { downloadDataset, type FetchOptions } from "./download.js";
import type { DataEvent, FileOrigin } from "./events.js";
import type { HttpOptions } from "./http-fetch.js";
import { parseIdx } from "./idx.js";
import { imageSetFromIdx } from "./image-set.js";
import {
  ensureDirectory,
  type Found,
  findLocalCopy,
  gzPath,
  type RecordOptions,
  rawPath,
  writeRawCache,
} from "./local.js";
import { dataDirFor, mirrorsFor, systemDirFor } from "./locations.js";

export interface LoadOptions {
  /** The dataset (default Fashion-MNIST). */
  dataset?: DatasetSpec;
  /** The directory holding the dataset's files; default dataDirFor (the per-user cache, ROOT/NAME). */
  dataDir?: string;
  offline?: boolean;
  /** Default: $SOFTMAX_MIRROR, else the dataset's mirrors (mirrorsFor). */
  mirrors?: readonly string[];
  /** Default: systemDirFor (honours $SOFTMAX_SYSTEM_DATA_DIR); null for none. */
  systemDir?: string | null;
  onEvent?: (event: DataEvent) => void;
  /** Timeouts, retries and locks of the automatic download. */
  http?: HttpOptions & Pick<FetchOptions, "lockPollMs" | "lockStaleMs">;
  /** Margin of the verification records (tests set 0). */
  records?: RecordOptions;
  /**
   * Where each raw payload read from a local file is put: `allocate(bytes)` gives a buffer of that
   * many bytes (a backend's `allocate`, so that it uses the images where they were read, with no
   * copy; see Backend). Default a new Uint8Array. Payloads gunzipped or downloaded are not put there.
   */
  allocate?: (bytes: number) => Uint8Array;
}

/** Loads both splits (d2l §3.5 `load_data_fashion_mnist`), as uint8 images (count, 784) and labels. */
export async function loadDataset(given: LoadOptions): Promise<FashionMnist> {
  const dataset = given.dataset ?? FASHION_MNIST;
  const { sets, source } = await loadFiles(given, dataset, dataset.files);
  return { train: sets.train!, test: sets.test!, classes: dataset.classes, source };
}

/**
 * Loads one split only (the test split for evaluate and predict), reading, verifying and if need
 * be downloading only its two files; otherwise as loadDataset.
 */
export async function loadSplit(given: LoadOptions & { split: SplitName }): Promise<DatasetSplit> {
  const dataset = given.dataset ?? FASHION_MNIST;
  const files = dataset.files.filter((file) => file.split === given.split);
  const { sets, source } = await loadFiles(given, dataset, files);
  return { split: given.split, set: sets[given.split]!, classes: dataset.classes, source };
}

/**
 * Finds, caches or downloads `files` (some of `dataset`'s), verified, and parses each split they
 * hold. `source` names the directories they were read from.
 */
async function loadFiles(
  given: LoadOptions,
  dataset: DatasetSpec,
  files: readonly FileSpec[],
): Promise<{ sets: Partial<Record<SplitName, ImageSet>>; source: string }> {
  const dataDir = given.dataDir ?? dataDirFor(dataset, undefined);
  const options = { ...given, dataDir };
  const systemDir = options.systemDir === undefined ? systemDirFor(dataset) : options.systemDir;
  // Temporary files of processes that died mid-write (SIGKILL) are of no use to anyone.
  await sweepStaleTemporaries(dataDir);
  // Local copies are read in parallel (gunzip runs on the thread pool) and reported in table order.
  const find = { dataDir, systemDir, records: options.records, onEvent: options.onEvent, allocate: options.allocate };
  // Settled together, so that no read or record write is still running when one of them fails.
  const settled = await Promise.allSettled(files.map((file) => findLocalCopy(dataset, file, find)));
  const failed = settled.find((result) => result.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  const found = settled.map((result) => (result as PromiseFulfilledResult<Found>).value);
  const paths = await cacheRawCopies(dataset, files, found, options, systemDir);
  files.forEach((file, i) => {
    const { copy, origin } = found[i]!;
    if (copy === null || origin === null) return;
    options.onEvent?.({
      type: "file",
      name: file.name,
      path: paths[i]!,
      bytes: file.rawBytes,
      origin,
      source: copy.path,
      sha256: copy.sha256,
      verified: copy.verified,
    });
  });
  const origins: (FileOrigin | null)[] = found.map((entry) => entry.origin);
  const missing = files.filter((_, i) => found[i]!.copy === null);
  if (missing.length > 0) {
    if (options.offline)
      throw notFound(dataset, missing, found, options, systemDir, "--offline is set, so nothing was downloaded");
    try {
      const fetched = await downloadDataset({
        ...options.http,
        ...options.records,
        dataset,
        dataDir,
        mirrors: options.mirrors ?? mirrorsFor(dataset),
        files: missing,
        // Not forced: under the lock, a copy another process has just fetched is used as it is.
        warnCorrupt: false,
        onEvent: options.onEvent,
      });
      // downloadDataset has reported each file as a `file` event already.
      for (const result of fetched) {
        const index = files.findIndex((file) => file.name === result.name);
        found[index] = { copy: result, origin: result.origin, corrupt: [] };
        origins[index] = result.origin;
        paths[index] = result.path;
      }
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      throw notFound(dataset, missing, found, options, systemDir, error.message);
    }
  }
  const copies = new Map(files.map((file, i) => [file.name, { path: paths[i]!, raw: found[i]!.copy!.raw }] as const));
  const sets: Partial<Record<SplitName, ImageSet>> = {};
  for (const name of new Set(files.map((file) => file.split))) {
    const images = copies.get(specFor(files, name, "images")!.name)!;
    const labels = copies.get(specFor(files, name, "labels")!.name)!;
    sets[name] = imageSetFromIdx(
      parseIdx(images.raw, images.path),
      parseIdx(labels.raw, labels.path),
      images.path,
      labels.path,
    );
  }
  const sources = [
    ...new Set(origins.map((origin) => (origin === "system" && systemDir !== null ? systemDir : dataDir))),
  ];
  return { sets, source: sources.join(", ") };
}

/** Fashion-MNIST's loader under the name the library has always exported. */
export function loadFashionMnist(options: LoadOptions): Promise<FashionMnist> {
  return loadDataset(options);
}

/**
 * Writes the raw payload of every copy not read from the data directory's raw file into the data
 * directory, so the next start reads it without gunzip; says so first ("using Fashion-MNIST from
 * DIR; caching 55 MB in DIR"). A corrupt .gz left there is removed once the healed raw copy is in
 * place. Failing to cache (a read-only directory, a full disk) is a warning naming the file, not
 * an error: loading still works, only slower. Returns where each file now is.
 */
async function cacheRawCopies(
  dataset: DatasetSpec,
  files: readonly FileSpec[],
  found: Found[],
  options: LoadOptions & { dataDir: string },
  systemDir: string | null,
): Promise<string[]> {
  const paths = found.map((entry) => entry.copy?.path ?? "");
  const pending = files.flatMap((file, i) => {
    const copy = found[i]!.copy;
    return copy === null || copy.path === rawPath(options.dataDir, file) ? [] : [{ file, i, copy }];
  });
  if (pending.length === 0) return paths;
  for (const via of ["system", "data-dir"] as const) {
    const group = pending.filter(({ i }) => found[i]!.origin === via);
    if (group.length === 0) continue;
    options.onEvent?.({
      type: "caching",
      dataset: dataset.title,
      via,
      from: via === "system" ? (systemDir ?? "") : options.dataDir,
      into: options.dataDir,
      bytes: group.reduce((sum, { file }) => sum + file.rawBytes, 0),
    });
  }
  try {
    await ensureDirectory(options.dataDir, options.onEvent);
  } catch (error) {
    if (!(error instanceof FileError)) throw error;
    options.onEvent?.({ type: "warning", message: `${error.message}; every start will decompress the files again` });
    return paths;
  }
  for (const { file, i, copy } of pending) {
    try {
      paths[i] = await writeRawCache(options.dataDir, file, copy, options.records);
      if (found[i]!.corrupt.length > 0 && copy.path !== gzPath(options.dataDir, file)) {
        await rm(gzPath(options.dataDir, file), { force: true });
      }
    } catch (error) {
      if (!(error instanceof FileError)) throw error;
      options.onEvent?.({ type: "warning", message: `${error.message}; every start will decompress ${copy.path}` });
    }
  }
  return paths;
}

/** One error for everything that is missing, listing the ways to provide the dataset. */
function notFound(
  dataset: DatasetSpec,
  missing: readonly FileSpec[],
  found: readonly Found[],
  options: LoadOptions & { dataDir: string },
  systemDir: string | null,
  why: string,
): DataError {
  const corrupt = found.flatMap((entry) => entry.corrupt);
  const names = missing.map((file) => file.name).join(", ");
  const where = systemDir === null ? options.dataDir : `${options.dataDir} and ${systemDir}`;
  const message =
    corrupt.length > 0
      ? `${dataset.title} is corrupt and no valid copy was found: ${corrupt.join("; ")}; ${why}`
      : `${dataset.title} not found: ${names} missing from ${where}; ${why}`;
  const flag = dataset.name === FASHION_MNIST.name ? "" : ` --dataset ${dataset.name}`;
  const ways = [
    corrupt.length > 0 ? `run \`softmax download${flag} --force\`` : `run \`softmax download${flag}\``,
    ...(dataset.systemPackage === undefined ? [] : [`or \`apt-get install ${dataset.systemPackage}\``]),
    "or point --data-dir / $SOFTMAX_DATA_DIR at a directory holding the files",
    `or copy them with \`softmax download${flag} --from DIR\``,
  ];
  return new DataError(message, { hint: ways.join(", ") });
}
