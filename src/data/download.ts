// Fetching a dataset's files into its data directory: over HTTP(S) from a list of mirrors, or by
// copying from a local directory (--from). Every byte lands in a `.part` file first and reaches
// its final name only after the decompressed payload's SHA-256 matches; a lock file per file lets
// two processes share one directory. What is already present and valid is found by
// findLocalCopy (local.ts) before any lock is taken, so a read-only directory holding valid files
// is a success. The HTTP mechanics (timeouts, retries, resume) live in http-fetch.ts.
import { rename } from "node:fs/promises";
import { DataError, DownloadError, FileError } from "../errors.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { ioError } from "../fs/io-error.js";
import { readRegularFile } from "../fs/read-regular-file.js";
import { sweepStaleTemporaries } from "../fs/temporary.js";
import { type DatasetSpec, FASHION_MNIST, type FileSpec, mirrorUrl } from "./datasets.js";
import type { DataEventHandler, FileOrigin } from "./events.js";
import { discardPart, fetchToPart, type HttpOptions, withHttpClient } from "./http-fetch.js";
import {
  ensureDirectory,
  findLocalCopy,
  gzPath,
  type LocalCopy,
  lockPath,
  partPath,
  type RecordOptions,
  rawPath,
  readGzCopy,
  readRawCopy,
  writeRawCache,
} from "./local.js";
import { withLock } from "./lock.js";
import { isGzip, storedByteCap, verifiedPayload } from "./payload.js";

export interface FetchOptions extends HttpOptions, RecordOptions {
  /** The dataset (default Fashion-MNIST). */
  dataset?: DatasetSpec;
  dataDir: string;
  /** Base URLs, tried in order. Default the dataset's mirrors. */
  mirrors?: readonly string[];
  /** Which of the dataset's files (default all four; the loader passes the missing ones). */
  files?: readonly FileSpec[];
  /** Fetch even when a valid copy is already in the data directory. */
  force?: boolean;
  /** Report a corrupt copy found in the data directory as a warning event (default true). */
  warnCorrupt?: boolean;
  /** How often a process waiting for another one's download looks again (ms). Default 200. */
  lockPollMs?: number;
  /** A lock not refreshed for this long is considered abandoned (ms). Default 60 000. */
  lockStaleMs?: number;
  onEvent?: DataEventHandler;
}

/** What `softmax download` reports for each file. */
export interface FileResult {
  readonly name: string;
  /** The raw IDX file in the data directory (or the copy read, when it could not be cached). */
  readonly path: string;
  /** Size of the raw payload. */
  readonly bytes: number;
  readonly sha256: string;
  /** "data-dir": a valid copy was already there and nothing was fetched. */
  readonly origin: FileOrigin;
  /** URL or path the payload came from. */
  readonly source: string;
  readonly verified: "sha256" | "record";
  /** The verified raw payload, so a caller can use it without reading it back. */
  readonly raw: Uint8Array;
}

/**
 * Downloads every file of the dataset that is not already valid in the data directory, one after
 * the other, reporting each as a `file` event when it is ready.
 */
export async function downloadDataset(options: FetchOptions): Promise<FileResult[]> {
  return withHttpClient(options, (dispatcher) =>
    eachFile(options, "mirror", (dataset, file) => fetchFromMirrors(dataset, file, { ...options, dispatcher })),
  );
}

/** `--from DIR`: copies (and verifies) every file from a local directory holding NAME or NAME.gz; a `file` event each. */
export async function copyDataset(fromDir: string, options: FetchOptions): Promise<FileResult[]> {
  return eachFile(options, "copy", (dataset, file) => copyFrom(dataset, file, fromDir, options), fromDir);
}

/**
 * For each file: the valid copy already present (looked for without a lock), else `fetch` under
 * the file's lock (looking once more there: another process may have just fetched it).
 */
async function eachFile(
  options: FetchOptions,
  via: "mirror" | "copy",
  fetch: (dataset: DatasetSpec, file: FileSpec) => Promise<FileResult>,
  from?: string,
): Promise<FileResult[]> {
  const dataset = options.dataset ?? FASHION_MNIST;
  const files = options.files ?? dataset.files;
  const results: FileResult[] = [];
  // Temporary files of processes that died mid-write (SIGKILL) are of no use to anyone.
  await sweepStaleTemporaries(options.dataDir);
  let announced = false;
  for (const [index, file] of files.entries()) {
    let result = options.force ? null : await presentCopy(dataset, file, options);
    if (result === null) {
      if (!announced) {
        await ensureDirectory(options.dataDir, options.onEvent);
        const remaining = files.slice(index);
        options.onEvent?.({
          type: "caching",
          dataset: dataset.title,
          via,
          from: from ?? (options.mirrors ?? dataset.mirrors)[0] ?? "",
          into: options.dataDir,
          bytes: remaining.reduce(
            (sum, each) => sum + (via === "mirror" ? (each.gz?.bytes ?? each.rawBytes) : each.rawBytes),
            0,
          ),
        });
        announced = true;
      }
      result = await underLock(
        file,
        options,
        async () =>
          (options.force ? null : await presentCopy(dataset, file, { ...options, warnCorrupt: false })) ??
          fetch(dataset, file),
      );
    }
    const { name, path, bytes, origin, source, sha256, verified } = result;
    options.onEvent?.({ type: "file", name, path, bytes, origin, source, sha256, verified });
    results.push(result);
  }
  return results;
}

/** Fetches one file from the first mirror that serves it intact. */
async function fetchFromMirrors(dataset: DatasetSpec, file: FileSpec, options: FetchOptions): Promise<FileResult> {
  const mirrors = options.mirrors ?? dataset.mirrors;
  const failures: string[] = [];
  for (const mirror of mirrors) {
    const url = mirrorUrl(mirror, file);
    let fetched: { raw: Uint8Array; sha256: string; gzip: boolean };
    try {
      fetched = await fetchVerified(dataset, file, url, options);
    } catch (error) {
      options.signal?.throwIfAborted();
      // Our own disk failing is not the mirror's fault: it ends the download, on every mirror alike.
      if (error instanceof FileError) throw error;
      const reason = reasonOf(error);
      failures.push(`${url}: ${reason}`);
      options.onEvent?.({ type: "mirror-failed", name: file.name, url, reason });
      continue;
    }
    const part = partPath(options.dataDir, file);
    try {
      // Keep the .gz as served; a mirror serving the raw file leaves only the raw copy below.
      if (fetched.gzip) await rename(part, gzPath(options.dataDir, file));
      await discardPart(part);
    } catch (error) {
      throw ioError("move into place", part, error);
    }
    const path = await writeRawCache(options.dataDir, file, fetched, options);
    return result(file, path, fetched, "mirror", url, "sha256");
  }
  throw new DownloadError(
    mirrors.length === 0
      ? `cannot download ${file.name}: the mirror list is empty`
      : `cannot download ${file.name} from any mirror: ${failures.join("; ")}`,
    {
      hint:
        "check the network and HTTPS_PROXY/HTTP_PROXY, pass --mirror URL, copy the files with --from DIR" +
        (dataset.systemPackage === undefined ? "" : `, or \`apt-get install ${dataset.systemPackage}\``),
    },
  );
}

/**
 * Brings `url` into the `.part` file and returns its verified payload. A payload that fails the
 * check is deleted; if any of it was resumed (from an earlier run or an earlier attempt of this
 * one), it is fetched once more from the start before the mirror is given up: a server may answer
 * a Range request with bytes of another version of the file.
 */
async function fetchVerified(
  dataset: DatasetSpec,
  file: FileSpec,
  url: string,
  options: FetchOptions,
): Promise<{ raw: Uint8Array; sha256: string; gzip: boolean }> {
  const part = partPath(options.dataDir, file);
  const maxBytes = storedByteCap(file);
  for (let fromScratch = false; ; fromScratch = true) {
    const { resumed } = await fetchToPart(url, part, {
      ...options,
      maxBytes,
      describeCap: (bytes) =>
        `${bytes} bytes or more, too large to be ${file.name} (at most ${maxBytes} bytes for a ${file.rawBytes}-byte payload` +
        `${file.sha256 === undefined ? "" : ` with sha256 ${file.sha256}`})`,
      onEvent: (event) => {
        if (event.type === "start") options.onEvent?.({ ...event, type: "download-start", name: file.name });
        else if (event.type === "progress") options.onEvent?.({ ...event, type: "download-progress", name: file.name });
        else options.onEvent?.({ ...event, name: file.name });
      },
    });
    let stored: Uint8Array;
    try {
      stored = (await readRegularFile(part, { maxBytes })).bytes;
    } catch (error) {
      throw ioError("read", part, error);
    }
    try {
      return { ...(await verifiedPayload(stored, dataset, file, url)), gzip: isGzip(stored) };
    } catch (error) {
      await discardPart(part);
      if (resumed && !fromScratch) continue;
      throw error;
    }
  }
}

/** Copies one file from `fromDir` (NAME, else NAME.gz), verified. */
async function copyFrom(
  dataset: DatasetSpec,
  file: FileSpec,
  fromDir: string,
  options: FetchOptions,
): Promise<FileResult> {
  let source: LocalCopy | null = null;
  let rawError: unknown;
  try {
    source = await readRawCopy(fromDir, dataset, file, false);
  } catch (error) {
    // A raw copy that cannot be verified on its own (KMNIST's) may still come with its .gz.
    if (!(error instanceof DataError)) throw error;
    rawError = error;
  }
  source ??= await readGzCopy(fromDir, dataset, file);
  if (source === null) {
    if (rawError !== undefined) throw rawError;
    throw new DataError(`${fromDir} holds neither ${file.name} nor ${file.name}.gz`, {
      hint: `give --from a directory holding the four ${dataset.title} files`,
    });
  }
  if (source.path.endsWith(".gz")) {
    const stored = await readRegularFile(source.path, { maxBytes: storedByteCap(file) });
    const target = gzPath(options.dataDir, file);
    await writeFileAtomic(target, stored.bytes).catch((error: unknown) => {
      throw ioError("write", target, error);
    });
  }
  const path = await writeRawCache(options.dataDir, file, source, options);
  return result(file, path, source, "copy", source.path, "sha256");
}

async function underLock<T>(file: FileSpec, options: FetchOptions, task: () => Promise<T>): Promise<T> {
  try {
    return await withLock(lockPath(options.dataDir, file), task, {
      pollMs: options.lockPollMs,
      staleMs: options.lockStaleMs,
      signal: options.signal,
      onWait: (pid) => options.onEvent?.({ type: "waiting", name: file.name, pid }),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).syscall !== undefined)
      throw ioError("lock", lockPath(options.dataDir, file), error);
    throw error;
  }
}

/**
 * A valid copy already in the data directory (raw, else .gz, writing the raw file from it when the
 * directory allows), or null. A corrupt copy is reported as a warning: it is about to be replaced.
 */
async function presentCopy(dataset: DatasetSpec, file: FileSpec, options: FetchOptions): Promise<FileResult | null> {
  const found = await findLocalCopy(dataset, file, {
    dataDir: options.dataDir,
    systemDir: null,
    records: options,
    onEvent: options.warnCorrupt === false ? undefined : options.onEvent,
  });
  const copy = found.copy;
  if (copy === null) return null;
  let path = copy.path;
  if (path !== rawPath(options.dataDir, file)) {
    try {
      path = await writeRawCache(options.dataDir, file, copy, options);
    } catch (error) {
      if (!(error instanceof FileError)) throw error;
      options.onEvent?.({ type: "warning", message: `${error.message}; every start will decompress ${copy.path}` });
    }
  }
  return result(file, path, copy, "data-dir", copy.path, copy.verified);
}

function result(
  file: FileSpec,
  path: string,
  payload: { raw: Uint8Array; sha256: string },
  origin: FileOrigin,
  source: string,
  verified: "sha256" | "record",
): FileResult {
  return {
    name: file.name,
    path,
    bytes: payload.raw.length,
    sha256: payload.sha256,
    origin,
    source,
    verified,
    raw: payload.raw,
  };
}

function reasonOf(error: unknown): string {
  if (error instanceof DataError) return error.message.replace(/^https?:\/\/\S+: /, "");
  if (error instanceof Error) return error.message;
  return String(error);
}
