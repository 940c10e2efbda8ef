// Turning stored bytes into a verified raw IDX payload: gunzip when the bytes are gzip (bounded by
// the expected size), and check size and SHA-256 against the file's spec. Identity is the
// decompressed payload, because mirrors re-compress (docs/data.md); where only the `.gz` digest is
// published (KMNIST), a `.gz` matching it vouches for its payload. A file that is another
// registered dataset's is named as such. Pure apart from the thread-pool gunzip; no file I/O.
import { basename, dirname } from "node:path";
import { promisify } from "node:util";
import { DataError } from "../errors.js";
import { type DatasetSpec, type FileSpec, identifyPayload } from "./datasets.js";

// node:crypto and node:zlib are loaded on first use (process.getBuiltinModule), not with the CLI:
// a run that finds its data verified in the cache needs neither, and loading them took ~5–10 ms of
// its start (docs/performance.md).
function gunzipAsync(bytes: Uint8Array, options: { maxOutputLength: number }): Promise<Buffer> {
  return promisify(process.getBuiltinModule("node:zlib").gunzip)(bytes, options);
}

export function sha256Hex(bytes: Uint8Array): string {
  return process.getBuiltinModule("node:crypto").createHash("sha256").update(bytes).digest("hex");
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Largest stored file accepted for `file`: the raw size plus room for gzip overhead on incompressible data. */
export function storedByteCap(file: FileSpec): number {
  return Math.ceil(file.rawBytes * 1.01) + 4096;
}

export interface VerifiedPayload {
  readonly raw: Uint8Array;
  /** SHA-256 of `raw`. */
  readonly sha256: string;
}

/**
 * The raw payload of `stored` (gunzipped if it is gzip), checked to be `dataset`'s `file`. `origin`
 * names the file or URL in errors. `recordedSha256` is the payload digest recorded when the file
 * was first verified through its `.gz`, for files whose payload digest is not published.
 * Decompression stops past the expected size, so a wrong or hostile file cannot make us allocate
 * more than that.
 */
export async function verifiedPayload(
  stored: Uint8Array,
  dataset: DatasetSpec,
  file: FileSpec,
  origin: string,
  recordedSha256?: string,
): Promise<VerifiedPayload> {
  let raw = stored;
  let vouched = false; // a .gz whose own digest is the published one
  if (isGzip(stored)) {
    vouched = file.sha256 === undefined && file.gz !== undefined && sha256Hex(stored) === file.gz.sha256;
    try {
      raw = await gunzipAsync(stored, { maxOutputLength: file.rawBytes + 1 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ERR_BUFFER_TOO_LARGE") {
        throw mismatch(dataset, file, origin, `more than ${file.rawBytes} bytes`, "not computed");
      }
      throw new DataError(`${origin}: not a valid gzip stream (${(error as Error).message})`, {
        hint: "the file is truncated or damaged; run `softmax download --force`",
        cause: error,
      });
    }
  }
  const actual = sha256Hex(raw);
  if (raw.length !== file.rawBytes) throw mismatch(dataset, file, origin, `${raw.length} bytes`, actual);
  if (vouched) return { raw, sha256: actual };
  const expected = file.sha256 ?? recordedSha256;
  if (expected === undefined) {
    throw new DataError(
      `${origin}: cannot verify ${dataset.title}'s ${file.name}: only the digest of ${file.name}.gz is published, and this copy was never checked against it`,
      { hint: `keep ${file.name}.gz beside it, or run \`softmax download --dataset ${dataset.name} --force\`` },
    );
  }
  if (actual !== expected) throw mismatch(dataset, file, origin, `${raw.length} bytes`, actual);
  return { raw, sha256: actual };
}

function mismatch(dataset: DatasetSpec, file: FileSpec, origin: string, size: string, actual: string): DataError {
  const hint = "the copy is corrupt or a different file; run `softmax download --force`";
  const other = identifyPayload(actual);
  if (other !== undefined) {
    // "t10k-images-idx3-ubyte in DIR is MNIST's t10k-images-idx3-ubyte, not Fashion-MNIST's"
    const where = placeOf(origin);
    const not = other.dataset === dataset ? file.name : `${dataset.title}'s`;
    return new DataError(`${where} is ${other.dataset.title}'s ${other.file.name}, not ${not}`, {
      hint: `put ${dataset.title}'s files there, or choose the dataset with --dataset ${other.dataset.name}`,
    });
  }
  const expected = file.sha256 ?? (file.gz === undefined ? "unknown" : `unknown (its .gz has ${file.gz.sha256})`);
  return new DataError(
    `${origin}: not ${file.name}: expected ${file.rawBytes} bytes with sha256 ${expected}, got ${size} with sha256 ${actual}`,
    { hint },
  );
}

/** "NAME in DIR" for a path, the URL itself for a URL. */
function placeOf(origin: string): string {
  if (/^[a-z]+:\/\//.test(origin)) return origin;
  return `${basename(origin)} in ${dirname(origin)}`;
}
