// A dataset whose only published digests are its .gz files' (KMNIST's case): a .gz matching its
// digest vouches for its payload, whose own digest is recorded on that first verification and
// checks the raw file from then on. Small synthetic files in KMNIST's shape, a loopback mirror.
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DatasetSpec, type FileSpec, KMNIST } from "../../src/data/datasets.js";
import { downloadDataset } from "../../src/data/download.js";
import type { DataEvent } from "../../src/data/events.js";
import { loadDataset } from "../../src/data/resolve.js";
import { DataError } from "../../src/errors.js";
import { serveFiles, startServer, type TestServer } from "../helpers/http-server.js";
import { FAST_HTTP, syntheticDataset } from "../helpers/synthetic-dataset.js";

const base = syntheticDataset();
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
/** KMNIST's entry with the synthetic files, known (as KMNIST's are) only by their .gz digests. */
const spec: DatasetSpec = {
  ...KMNIST,
  mirrors: [],
  files: base.files.map(
    (file): FileSpec => ({
      name: file.name,
      split: file.split,
      kind: file.kind,
      rawBytes: file.rawBytes,
      gz: { bytes: base.gz.get(file.name)!.length, sha256: sha256(base.gz.get(file.name)!) },
    }),
  ),
};
const labels = spec.files[1]!;

let dir: string;
let mirror: TestServer;
let events: DataEvent[];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "softmax-gz-only-"));
  mirror = await startServer(serveFiles(base.served));
  events = [];
});
afterEach(async () => {
  await mirror.close();
  await rm(dir, { recursive: true, force: true });
});

const load = () =>
  loadDataset({
    dataset: spec,
    dataDir: dir,
    systemDir: null,
    offline: true,
    records: { recordMarginMs: 0 },
    onEvent: (event) => events.push(event),
  });

describe("a dataset known only by its .gz digests (KMNIST)", () => {
  it("is downloaded from the mirror, accepted by its .gz digest, and its payload digest recorded", async () => {
    const results = await downloadDataset({
      ...FAST_HTTP,
      dataset: spec,
      dataDir: dir,
      mirrors: [mirror.url],
      recordMarginMs: 0,
    });
    expect(results.map((result) => result.sha256)).toEqual(base.files.map((file) => file.sha256));
    const record = JSON.parse(await readFile(join(dir, `.${labels.name}.verified`), "utf8")) as { sha256: string };
    expect(record.sha256).toBe(base.files[1]!.sha256);

    const data = await load();
    expect(data.classes).toEqual(KMNIST.classes);
    expect(data.train.count).toBe(base.trainCount);
    expect(events.filter((event) => event.type === "warning")).toEqual([]);
  });

  it("rejects a raw file changed after it was recorded, and heals it from the .gz", async () => {
    await downloadDataset({ ...FAST_HTTP, dataset: spec, dataDir: dir, mirrors: [mirror.url], recordMarginMs: 0 });
    const raw = Uint8Array.from(base.raw.get(labels.name)!);
    raw[raw.length - 1] = (raw[raw.length - 1]! + 1) % 10; // still a valid label file, another payload
    await writeFile(join(dir, labels.name), raw);
    await load();
    expect(events).toContainEqual({
      type: "warning",
      message: expect.stringMatching(
        new RegExp(`^${join(dir, labels.name)}: not ${labels.name}: .*; looking for another copy$`),
      ),
    });
    expect(await readFile(join(dir, labels.name))).toEqual(Buffer.from(base.raw.get(labels.name)!));
  });

  it("cannot vouch for a raw file with neither a record nor its .gz, and says why", async () => {
    for (const file of base.files) await writeFile(join(dir, file.name), base.raw.get(file.name)!);
    const error = await load().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toContain(
      `cannot verify KMNIST's train-images-idx3-ubyte: only the digest of train-images-idx3-ubyte.gz is published`,
    );
  });

  it("refuses a re-compressed .gz: its payload may be right, but nothing published vouches for it", async () => {
    const recompressed = new Map(
      base.files.map((file) => [`${file.name}.gz`, new Uint8Array(gzipSync(base.raw.get(file.name)!, { level: 1 }))]),
    );
    const other = await startServer(serveFiles(recompressed));
    try {
      const error = await downloadDataset({ ...FAST_HTTP, dataset: spec, dataDir: dir, mirrors: [other.url] }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(DataError);
      expect((error as DataError).message).toContain("cannot verify KMNIST's train-images-idx3-ubyte");
    } finally {
      await other.close();
    }
  });
});
