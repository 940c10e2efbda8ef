// The real Fashion-MNIST from Debian's dataset-fashion-mnist: the four files verify against
// the registry's digests (docs/data.md), and loading gives 60000/10000 images with 6000/1000 of each class.
// Required when CI=true; skipped with a printed reason elsewhere when the files are absent.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLASSES, FASHION_MNIST, FASHION_MNIST_FILES } from "../../src/data/datasets.js";
import type { DataEvent } from "../../src/data/events.js";
import { readGzCopy, readRawCopy } from "../../src/data/local.js";
import { SYSTEM_DATA_DIR } from "../../src/data/locations.js";
import { loadFashionMnist } from "../../src/data/resolve.js";
import type { ImageSet } from "../../src/types.js";

const present = FASHION_MNIST_FILES.every(
  (file) => existsSync(join(SYSTEM_DATA_DIR, file.name)) || existsSync(join(SYSTEM_DATA_DIR, `${file.name}.gz`)),
);
const required = process.env.CI === "true";
if (!present && !required) {
  console.log(`skipping real-data tests: ${SYSTEM_DATA_DIR} is missing (apt-get install dataset-fashion-mnist)`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

function perClass(set: ImageSet): number[] {
  const counts = new Array<number>(CLASSES.length).fill(0);
  for (const label of set.labels) counts[label]!++;
  return counts;
}

describe.skipIf(!present && !required)("real Fashion-MNIST", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "softmax-real-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("has the four files, each matching its SHA-256", async () => {
    for (const file of FASHION_MNIST_FILES) {
      const copy =
        (await readRawCopy(SYSTEM_DATA_DIR, FASHION_MNIST, file, false)) ??
        (await readGzCopy(SYSTEM_DATA_DIR, FASHION_MNIST, file));
      expect(copy, `${file.name} in ${SYSTEM_DATA_DIR}`).not.toBeNull();
      expect(copy!.raw.length).toBe(file.rawBytes);
      expect(copy!.verified).toBe("sha256");
    }
  });

  it("loads 60000 train and 10000 test images, 6000 and 1000 per class, offline", async () => {
    const events: DataEvent[] = [];
    const data = await loadFashionMnist({ dataDir, offline: true, onEvent: (event) => events.push(event) });
    expect(data.train.count).toBe(60000);
    expect(data.test.count).toBe(10000);
    expect(data.train.images.length).toBe(60000 * 784);
    expect(data.test.images.length).toBe(10000 * 784);
    expect(perClass(data.train)).toEqual(new Array(10).fill(6000));
    expect(perClass(data.test)).toEqual(new Array(10).fill(1000));
    expect(events.filter((event) => event.type === "warning")).toEqual([]);

    // The second start reads the raw copies cached in the data directory, with the same bytes.
    const warm = await loadFashionMnist({ dataDir, offline: true });
    expect(warm.source).toBe(dataDir);
    // Compared as buffers: vitest's element-by-element toEqual is far too slow for 47 MB.
    expect(sameBytes(warm.train.images, data.train.images)).toBe(true);
    expect(sameBytes(warm.test.labels, data.test.labels)).toBe(true);
  });
});
