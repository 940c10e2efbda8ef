// The dataset files in one directory, how they are laid out, and finding a verified local copy:
//   NAME            raw IDX payload (what loading reads: no gunzip on a warm start)
//   NAME.gz         the compressed file as downloaded or copied
//   NAME.gz.part    a download in progress (resumable), never loaded
//   .NAME.verified  the record of the last full SHA-256 check of NAME (see recordMatches)
//   .NAME.lock      held while a process fetches NAME
// `findLocalCopy` is the one search used by the loader and by `softmax download`. Reading returns
// only verified payloads, through a bounded reader that refuses FIFOs and devices; writing goes
// through temp + rename. No network here.
import type { BigIntStats } from "node:fs";
import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { DataError, FileError } from "../errors.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { ioError } from "../fs/io-error.js";
import { readRegularFile } from "../fs/read-regular-file.js";
import type { DatasetSpec, FileSpec } from "./datasets.js";
import type { DataEventHandler, FileOrigin } from "./events.js";
import { storedByteCap, verifiedPayload } from "./payload.js";

export const rawPath = (dir: string, file: FileSpec): string => join(dir, file.name);
export const gzPath = (dir: string, file: FileSpec): string => join(dir, `${file.name}.gz`);
export const partPath = (dir: string, file: FileSpec): string => join(dir, `${file.name}.gz.part`);
export const recordPath = (dir: string, file: FileSpec): string => join(dir, `.${file.name}.verified`);
export const lockPath = (dir: string, file: FileSpec): string => join(dir, `.${file.name}.lock`);

export interface LocalCopy {
  /** The file read. */
  readonly path: string;
  /** Its verified raw IDX payload. */
  readonly raw: Uint8Array;
  /** SHA-256 of `raw`. */
  readonly sha256: string;
  readonly verified: "sha256" | "record";
}

export interface RecordOptions {
  /**
   * Trust and write verification records (data directory only). A record is written only for a
   * file last changed at least this long ago (ms), so that a rewrite within the same timestamp tick
   * cannot go unnoticed (git's "racy clean" rule). Default 2000.
   */
  recordMarginMs?: number;
}

export interface FindOptions {
  dataDir: string;
  /** Where a raw payload of the expected size is read (LoadOptions.allocate); default a new array. */
  allocate?: (bytes: number) => Uint8Array;
  /** The read-only system directory searched after the data directory; null for none. */
  systemDir: string | null;
  records?: RecordOptions;
  onEvent?: DataEventHandler;
}

export interface Found {
  readonly copy: LocalCopy | null;
  readonly origin: FileOrigin | null;
  /** Corrupt copies met on the way, with what was wrong. */
  readonly corrupt: readonly string[];
}

/**
 * The first verified local copy of `file`: data directory (raw, then .gz), then the system
 * directory (raw, then .gz). A corrupt copy is reported as a warning event and skipped; a path that
 * is not a regular file (a FIFO, a device) is an error, never opened for reading in a way that blocks.
 */
export async function findLocalCopy(dataset: DatasetSpec, file: FileSpec, options: FindOptions): Promise<Found> {
  const records = options.records ?? {};
  const candidates: { origin: FileOrigin; read: () => Promise<LocalCopy | null> }[] = [
    { origin: "data-dir", read: () => readRawCopy(options.dataDir, dataset, file, records, options.allocate) },
    { origin: "data-dir", read: () => readGzCopy(options.dataDir, dataset, file) },
  ];
  const systemDir = options.systemDir;
  if (systemDir !== null && systemDir !== options.dataDir) {
    candidates.push(
      { origin: "system", read: () => readRawCopy(systemDir, dataset, file, false, options.allocate) },
      { origin: "system", read: () => readGzCopy(systemDir, dataset, file) },
    );
  }
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
    if (copy !== null) return { copy, origin: candidate.origin, corrupt };
  }
  return { copy: null, origin: null, corrupt };
}

/**
 * The raw file `dir/NAME`, verified, or null when absent. With `records`, a file unchanged since
 * its last full hash (same size, mtime, ctime, inode, device) is not hashed again; any change to it
 * makes it hashed again. Throws DataError when the file is present but not the right payload.
 * A file of the payload's size is read into `allocate(size)` (a file of any other size is not
 * the payload, and is read into an array of its own to say so).
 */
export async function readRawCopy(
  dir: string,
  dataset: DatasetSpec,
  file: FileSpec,
  records: RecordOptions | false,
  allocate?: (bytes: number) => Uint8Array,
): Promise<LocalCopy | null> {
  const path = rawPath(dir, file);
  const into = allocate && ((size: number) => (size === file.rawBytes ? allocate(size) : new Uint8Array(size)));
  const read = await readIfPresent(path, file, into);
  if (read === null) return null;
  const record = records === false ? null : await readRecord(dir, file);
  if (record !== null && recordMatches(record, file, read.stat) && read.bytes.length === file.rawBytes) {
    return { path, raw: read.bytes, sha256: record.sha256, verified: "record" };
  }
  const verified = await verifiedPayload(read.bytes, dataset, file, path, record?.sha256);
  if (records !== false && verified.raw === read.bytes)
    await writeRecord(dir, file, verified.sha256, read.stat, records);
  return { path, raw: verified.raw, sha256: verified.sha256, verified: "sha256" };
}

/** The compressed file `dir/NAME.gz`, gunzipped and verified, or null when absent. */
export async function readGzCopy(dir: string, dataset: DatasetSpec, file: FileSpec): Promise<LocalCopy | null> {
  const path = gzPath(dir, file);
  const read = await readIfPresent(path, file);
  if (read === null) return null;
  const verified = await verifiedPayload(read.bytes, dataset, file, path);
  return { path, raw: verified.raw, sha256: verified.sha256, verified: "sha256" };
}

/**
 * Writes the verified raw payload as `dir/NAME` (atomically) and records that it was verified.
 * Throws FileError naming the file when it cannot be written (a full disk, a read-only directory).
 */
export async function writeRawCache(
  dir: string,
  file: FileSpec,
  copy: Pick<LocalCopy, "raw" | "sha256">,
  options: RecordOptions = {},
): Promise<string> {
  const path = rawPath(dir, file);
  try {
    await writeFileAtomic(path, copy.raw);
  } catch (error) {
    throw ioError("write", path, error);
  }
  await writeRecord(dir, file, copy.sha256, await stat(path, { bigint: true }), options);
  return path;
}

interface VerificationRecord {
  sha256: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
  dev: string;
}

function recordOf(sha256: string, info: BigIntStats): VerificationRecord {
  return {
    sha256,
    size: String(info.size),
    mtimeNs: String(info.mtimeNs),
    ctimeNs: String(info.ctimeNs),
    ino: String(info.ino),
    dev: String(info.dev),
  };
}

async function readRecord(dir: string, file: FileSpec): Promise<VerificationRecord | null> {
  try {
    const record = JSON.parse(await readFile(recordPath(dir, file), "utf8")) as Partial<VerificationRecord>;
    return typeof record.sha256 === "string" && /^[0-9a-f]{64}$/.test(record.sha256)
      ? (record as VerificationRecord)
      : null;
  } catch {
    return null;
  }
}

/**
 * True when the record says this very file (same inode and device, size, mtime and ctime) was
 * hashed and matched the payload digest (the published one, or the one recorded from a verified
 * `.gz` where none is published). ctime cannot be set by users (touch -r, cp -p set only mtime),
 * so any write, truncation, rename over or copy shows up as a change.
 */
function recordMatches(record: VerificationRecord, file: FileSpec, info: BigIntStats): boolean {
  if (file.sha256 !== undefined && record.sha256 !== file.sha256) return false;
  const now = recordOf(record.sha256, info);
  return (Object.keys(now) as (keyof VerificationRecord)[]).every((key) => record[key] === now[key]);
}

async function writeRecord(
  dir: string,
  file: FileSpec,
  sha256: string,
  info: BigIntStats,
  options: RecordOptions,
): Promise<void> {
  const margin = BigInt(options.recordMarginMs ?? 2000) * 1_000_000n;
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  // For a payload whose digest is not published the record is what vouches for it: keep it always.
  // (Date.now() has millisecond resolution and may lag the file's timestamps: a margin of 0 is "never".)
  const recent = margin > 0n && (nowNs - info.ctimeNs < margin || nowNs - info.mtimeNs < margin);
  if (recent && file.sha256 !== undefined) return;
  // Within the margin, the stat part is left unmatched: the file is hashed again next time (against
  // this digest) and recorded in full once it is older than the margin.
  const record = recent ? { ...recordOf(sha256, info), ctimeNs: "0" } : recordOf(sha256, info);
  try {
    await writeFileAtomic(recordPath(dir, file), `${JSON.stringify(record)}\n`);
  } catch {
    // A read-only data directory only means the next start hashes the file again.
  }
}

/** The bytes and stat of `path` (read into `allocate`'s buffer, if given), or null when it does not exist. */
async function readIfPresent(
  path: string,
  file: FileSpec,
  allocate?: (size: number) => Uint8Array,
): Promise<{ bytes: Uint8Array; stat: BigIntStats } | null> {
  try {
    return await readRegularFile(path, {
      allocate,
      maxBytes: storedByteCap(file),
      hint: "remove it or point --data-dir elsewhere; run `softmax download --force` for a fresh copy",
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    if (error instanceof FileError) {
      // Too large is a wrong file (look for another copy); not a regular file is refused outright.
      if (error.reason === "too-large") throw new DataError(error.message, { hint: error.hint });
      throw error;
    }
    throw ioError("read", path, error, "check its permissions, or point --data-dir elsewhere");
  }
}

/** Creates `dir` (and its parents) when missing, reporting a creation; a FileError naming it when it cannot be. */
export async function ensureDirectory(dir: string, onEvent?: DataEventHandler): Promise<void> {
  let created: string | undefined;
  try {
    created = await mkdir(dir, { recursive: true });
  } catch (error) {
    throw ioError("create the data directory", dir, error, "choose another with --data-dir or $SOFTMAX_DATA_DIR");
  }
  if (created !== undefined) onEvent?.({ type: "directory-created", path: dir });
}

/**
 * Where `dataset`'s four files are present (raw or .gz) without reading or verifying them: the
 * data directory, else the system directory, else null. For listings (`softmax datasets`);
 * stat(2) only, so a FIFO named like a file cannot block it (it is simply not a file here).
 */
export async function presentDirectory(
  dataset: DatasetSpec,
  dirs: { dataDir: string; systemDir: string | null },
): Promise<string | null> {
  for (const dir of [dirs.dataDir, dirs.systemDir]) {
    if (dir === null) continue;
    const present = await Promise.all(
      dataset.files.map(async (file) => (await isFile(rawPath(dir, file))) || (await isFile(gzPath(dir, file)))),
    );
    if (present.every(Boolean)) return dir;
  }
  return null;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
