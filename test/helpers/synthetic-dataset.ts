// A tiny dataset in the shape of Fashion-MNIST (20 train and 10 test images of 28×28, labels
// 0..9), with its own file table, so the downloader and resolver can be tested on real bytes.
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { expect } from "vitest";
import { type DatasetSpec, FASHION_MNIST, type FileSpec } from "../../src/data/datasets.js";
import { encodeIdx } from "../../src/data/idx.js";
import { DataError } from "../../src/errors.js";

export interface SyntheticDataset {
  /** Fashion-MNIST's registry entry with these files' digests instead (and no default mirrors). */
  readonly spec: DatasetSpec;
  readonly files: readonly FileSpec[];
  /** Raw IDX bytes by file name. */
  readonly raw: ReadonlyMap<string, Uint8Array>;
  /** Gzipped IDX bytes by file name. */
  readonly gz: ReadonlyMap<string, Uint8Array>;
  /** What a mirror serves: `NAME.gz` → bytes. */
  readonly served: ReadonlyMap<string, Uint8Array>;
  readonly trainCount: number;
  readonly testCount: number;
}

/** Pixels from a fixed linear congruential sequence: incompressible enough to make gzip output non-trivial. */
function pixels(count: number, seed: number): Uint8Array {
  const out = new Uint8Array(count * 784);
  let state = seed;
  for (let i = 0; i < out.length; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

export function syntheticDataset(trainCount = 20, testCount = 10): SyntheticDataset {
  const entries: [FileSpec["name"], FileSpec["split"], FileSpec["kind"], Uint8Array][] = [];
  for (const [split, prefix, count] of [
    ["train", "train", trainCount],
    ["test", "t10k", testCount],
  ] as const) {
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
    entries.push([
      `${prefix}-images-idx3-ubyte`,
      split,
      "images",
      encodeIdx("u8", [count, 28, 28], pixels(count, count)),
    ]);
    entries.push([`${prefix}-labels-idx1-ubyte`, split, "labels", encodeIdx("u8", [count], labels)]);
  }
  const raw = new Map<string, Uint8Array>();
  const gz = new Map<string, Uint8Array>();
  const served = new Map<string, Uint8Array>();
  const files: FileSpec[] = entries.map(([name, split, kind, bytes]) => {
    const compressed = new Uint8Array(gzipSync(bytes));
    raw.set(name, bytes);
    gz.set(name, compressed);
    served.set(`${name}.gz`, compressed);
    return { name, split, kind, rawBytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
  });
  return { spec: syntheticSpec(files), files, raw, gz, served, trainCount, testCount };
}

/** Fashion-MNIST's registry entry around `files` (small synthetic ones), with no default mirrors. */
export function syntheticSpec(files: readonly FileSpec[], extra: Partial<DatasetSpec> = {}): DatasetSpec {
  return { ...FASHION_MNIST, files, mirrors: [], ...extra };
}

/** Writes the dataset into `dir`, each file as raw or .gz. */
export async function writeDataset(dir: string, dataset: SyntheticDataset, form: "raw" | "gz"): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const file of dataset.files) {
    if (form === "raw") await writeFile(join(dir, file.name), dataset.raw.get(file.name)!);
    else await writeFile(join(dir, `${file.name}.gz`), dataset.gz.get(file.name)!);
  }
}

/** Fast knobs for tests: short timeouts, tiny backoff, quick lock polling. */
export const FAST_HTTP = {
  connectTimeoutMs: 2000,
  idleTimeoutMs: 1000,
  retries: 2,
  backoffMs: 5,
  maxBackoffMs: 20,
  lockPollMs: 10,
} as const;

/** The DataError `promise` rejects with (the test fails if it resolves or rejects with anything else). */
export async function failure(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}
