// The dataset files in one directory and how they are laid out:
//   NAME            raw IDX payload (what loading reads: no gunzip on a warm start)
//   NAME.gz         the compressed file as downloaded or copied
//   NAME.gz.part    a download in progress (resumable), never loaded
//   .NAME.verified  the record of the last full SHA-256 check of NAME (see recordMatches)
//   .NAME.lock      held while a process fetches NAME
// Reading returns only verified payloads; writing goes through temp + rename. No network here.
import type { BigIntStats } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { DataError } from "../errors.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import type { FileSpec } from "./fashion-mnist.js";
import { readWholeWithStat, storedByteCap, verifiedPayload } from "./payload.js";

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

/**
 * The raw file `dir/NAME`, verified, or null when absent. With `records`, a file unchanged since
 * its last full hash (same size, mtime, ctime, inode, device) is not hashed again; any change to it
 * makes it hashed again. Throws DataError when the file is present but not the right payload.
 */
export async function readRawCopy(
  dir: string,
  file: FileSpec,
  records: RecordOptions | false,
): Promise<LocalCopy | null> {
  const path = rawPath(dir, file);
  const read = await readIfPresent(path, storedByteCap(file));
  if (read === null) return null;
  if (records !== false && (await recordMatches(dir, file, read.stat))) {
    if (read.bytes.length === file.rawBytes) return { path, raw: read.bytes, verified: "record" };
  }
  const raw = await verifiedPayload(read.bytes, file, path);
  if (records !== false && raw === read.bytes) await writeRecord(dir, file, read.stat, records);
  return { path, raw, verified: "sha256" };
}

/** The compressed file `dir/NAME.gz`, gunzipped and verified, or null when absent. */
export async function readGzCopy(dir: string, file: FileSpec): Promise<LocalCopy | null> {
  const path = gzPath(dir, file);
  const read = await readIfPresent(path, storedByteCap(file));
  if (read === null) return null;
  return { path, raw: await verifiedPayload(read.bytes, file, path), verified: "sha256" };
}

/** Writes the verified raw payload as `dir/NAME` (atomically) and records that it was verified. */
export async function writeRawCache(
  dir: string,
  file: FileSpec,
  raw: Uint8Array,
  options: RecordOptions = {},
): Promise<string> {
  const path = rawPath(dir, file);
  await writeFileAtomic(path, raw);
  await writeRecord(dir, file, await stat(path, { bigint: true }), options);
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

function recordOf(file: FileSpec, info: BigIntStats): VerificationRecord {
  return {
    sha256: file.sha256,
    size: String(info.size),
    mtimeNs: String(info.mtimeNs),
    ctimeNs: String(info.ctimeNs),
    ino: String(info.ino),
    dev: String(info.dev),
  };
}

/**
 * True when the record says this very file (same inode and device, size, mtime and ctime) was
 * hashed and matched `file.sha256`. ctime cannot be set by users (touch -r, cp -p set only mtime),
 * so any write, truncation, rename over or copy shows up as a change.
 */
async function recordMatches(dir: string, file: FileSpec, info: BigIntStats): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(recordPath(dir, file), "utf8");
  } catch {
    return false;
  }
  try {
    const record = JSON.parse(text) as Partial<VerificationRecord>;
    const now = recordOf(file, info);
    return (Object.keys(now) as (keyof VerificationRecord)[]).every((key) => record[key] === now[key]);
  } catch {
    return false;
  }
}

async function writeRecord(dir: string, file: FileSpec, info: BigIntStats, options: RecordOptions): Promise<void> {
  const margin = BigInt(options.recordMarginMs ?? 2000) * 1_000_000n;
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  if (nowNs - info.ctimeNs < margin || nowNs - info.mtimeNs < margin) return;
  try {
    await writeFileAtomic(recordPath(dir, file), `${JSON.stringify(recordOf(file, info))}\n`);
  } catch {
    // A read-only data directory only means the next start hashes the file again.
  }
}

async function readIfPresent(path: string, maxBytes: number): Promise<{ bytes: Uint8Array; stat: BigIntStats } | null> {
  try {
    return await readWholeWithStat(path, maxBytes);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    if (code === undefined) throw error;
    throw new DataError(`${path}: cannot be read (${code})`, {
      hint: "check its permissions, or point --data-dir elsewhere",
      cause: error,
    });
  }
}
