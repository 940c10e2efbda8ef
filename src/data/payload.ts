// Turning stored bytes into a verified raw IDX payload: read a whole file with a size cap,
// gunzip when the bytes are gzip, and check size and SHA-256 against the file's spec. Identity is
// always the decompressed payload, because mirrors re-compress (DESIGN.md §3).
import { createHash } from "node:crypto";
import type { BigIntStats } from "node:fs";
import { open } from "node:fs/promises";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { DataError } from "../errors.js";
import type { FileSpec } from "./fashion-mnist.js";

const gunzipAsync = promisify(gunzip);

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Largest stored file accepted for `file`: the raw size plus room for gzip overhead on incompressible data. */
export function storedByteCap(file: FileSpec): number {
  return Math.ceil(file.rawBytes * 1.01) + 4096;
}

/** Reads a whole file, refusing one larger than `maxBytes` before allocating for it. */
export async function readWhole(path: string, maxBytes: number): Promise<Uint8Array> {
  return (await readWholeWithStat(path, maxBytes)).bytes;
}

/** Like readWhole, also giving the file's stat taken on the same open handle (same inode as the bytes). */
export async function readWholeWithStat(
  path: string,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; stat: BigIntStats }> {
  const handle = await open(path, "r");
  try {
    const stat = await handle.stat({ bigint: true });
    const size = Number(stat.size);
    if (size > maxBytes) {
      throw new DataError(`${path}: ${size} bytes, more than the ${maxBytes} expected`, {
        hint: "it is not the right file; run `softmax download --force`",
      });
    }
    const bytes = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(bytes, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { bytes: filled === size ? bytes : bytes.subarray(0, filled), stat };
  } finally {
    await handle.close();
  }
}

/**
 * The raw payload of `stored` (gunzipped if it is gzip), checked to be `file`. `origin` names the
 * file or URL in errors. Decompression stops past the expected size, so a wrong or hostile file
 * cannot make us allocate more than that.
 */
export async function verifiedPayload(stored: Uint8Array, file: FileSpec, origin: string): Promise<Uint8Array> {
  let raw = stored;
  if (isGzip(stored)) {
    try {
      raw = await gunzipAsync(stored, { maxOutputLength: file.rawBytes + 1 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ERR_BUFFER_TOO_LARGE") {
        throw mismatch(file, origin, `more than ${file.rawBytes} bytes`, "not computed");
      }
      throw new DataError(`${origin}: not a valid gzip stream (${(error as Error).message})`, {
        hint: "the file is truncated or damaged; run `softmax download --force`",
        cause: error,
      });
    }
  }
  if (raw.length !== file.rawBytes) throw mismatch(file, origin, `${raw.length} bytes`, sha256Hex(raw));
  const actual = sha256Hex(raw);
  if (actual !== file.sha256) throw mismatch(file, origin, `${raw.length} bytes`, actual);
  return raw;
}

function mismatch(file: FileSpec, origin: string, size: string, actual: string): DataError {
  return new DataError(
    `${origin}: not ${file.name}: expected ${file.rawBytes} bytes with sha256 ${file.sha256}, got ${size} with sha256 ${actual}`,
    { hint: "the copy is corrupt or a different file; run `softmax download --force`" },
  );
}
