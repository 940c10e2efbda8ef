// The resolver: data directory → system directory → download, the raw cache and its verification
// record, corrupt copies healed with a warning or reported, --offline never opening a socket.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CLASSES } from "../../src/data/datasets.js";
import type { DataEvent } from "../../src/data/events.js";
import { type LoadOptions, loadFashionMnist, loadSplit } from "../../src/data/resolve.js";
import { serveFiles, startServer, type TestServer } from "../helpers/http-server.js";
import { FAST_HTTP, failure, syntheticDataset, syntheticSpec, writeDataset } from "../helpers/synthetic-dataset.js";

const dataset = syntheticDataset();
const [trainImages, trainLabels] = dataset.files;

let root: string;
let dataDir: string;
let systemDir: string;
let events: DataEvent[];
let servers: TestServer[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "softmax-resolve-"));
  dataDir = join(root, "data");
  systemDir = join(root, "system");
  events = [];
  servers = [];
});
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await rm(root, { recursive: true, force: true });
});

function options(extra: Partial<LoadOptions> = {}): LoadOptions {
  return {
    dataDir,
    systemDir,
    offline: true,
    dataset: dataset.spec,
    records: { recordMarginMs: 0 },
    http: FAST_HTTP,
    onEvent: (event) => events.push(event),
    ...extra,
  };
}

const fileEvents = () => events.filter((event): event is Extract<DataEvent, { type: "file" }> => event.type === "file");
const warnings = () =>
  events.filter((event) => event.type === "warning").map((event) => (event as { message: string }).message);

describe("loadFashionMnist", () => {
  it("loads both splits from raw files in the data directory", async () => {
    await writeDataset(dataDir, dataset, "raw");
    const data = await loadFashionMnist(options());
    expect(data.train.count).toBe(20);
    expect(data.test.count).toBe(10);
    expect(data.train.images).toEqual(dataset.raw.get(trainImages!.name)!.subarray(16));
    expect(Array.from(data.train.labels)).toEqual(Array.from({ length: 20 }, (_, i) => i % 10));
    expect(data.classes).toEqual(CLASSES);
    expect(data.source).toBe(dataDir);
    expect(fileEvents().map((event) => [event.origin, event.path])).toEqual(
      dataset.files.map((file) => ["data-dir", join(dataDir, file.name)]),
    );
  });

  it("falls back to the system directory's .gz files and caches them raw in the data directory", async () => {
    await writeDataset(systemDir, dataset, "gz");
    const cold = await loadFashionMnist(options());
    expect(cold.source).toBe(systemDir);
    expect(fileEvents().every((event) => event.origin === "system" && event.source.startsWith(systemDir))).toBe(true);
    for (const file of dataset.files) {
      expect(await readFile(join(dataDir, file.name))).toEqual(Buffer.from(dataset.raw.get(file.name)!));
    }

    events = [];
    const warm = await loadFashionMnist(options());
    expect(warm.source).toBe(dataDir);
    expect(warm.train.images).toEqual(cold.train.images);
    // Written, recorded, unchanged since: not hashed again.
    expect(fileEvents().map((event) => event.verified)).toEqual(["record", "record", "record", "record"]);
  });

  it("hashes a raw file again when it changed since it was verified, and heals it", async () => {
    await writeDataset(systemDir, dataset, "gz");
    await loadFashionMnist(options());
    await new Promise((resolve) => setTimeout(resolve, 30)); // past the file system's timestamp tick
    const path = join(dataDir, trainImages!.name);
    const bytes = await readFile(path);
    bytes[bytes.length - 1]! ^= 0x01; // same size, same inode, one pixel different
    await writeFile(path, bytes);

    events = [];
    const data = await loadFashionMnist(options());
    expect(warnings()).toEqual([
      expect.stringMatching(new RegExp(`^${path}: not ${trainImages!.name}: .*; looking for another copy$`)),
    ]);
    expect(fileEvents()[0]).toMatchObject({ origin: "system", verified: "sha256" });
    expect(data.train.images).toEqual(dataset.raw.get(trainImages!.name)!.subarray(16));
    expect(await readFile(path)).toEqual(Buffer.from(dataset.raw.get(trainImages!.name)!));
  });

  it("does not trust a record for a file changed within the margin", async () => {
    await writeDataset(dataDir, dataset, "raw");
    await loadFashionMnist(options({ records: { recordMarginMs: 60_000 } }));
    events = [];
    await loadFashionMnist(options({ records: { recordMarginMs: 60_000 } }));
    expect(fileEvents().map((event) => event.verified)).toEqual(["sha256", "sha256", "sha256", "sha256"]);
  });

  it("heals a corrupt raw file from the .gz beside it, with a warning naming it", async () => {
    await writeDataset(dataDir, dataset, "gz");
    await writeFile(join(dataDir, trainLabels!.name), "garbage");
    const data = await loadFashionMnist(options());
    expect(data.train.count).toBe(20);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain(`${join(dataDir, trainLabels!.name)}: not ${trainLabels!.name}`);
    expect(await readFile(join(dataDir, trainLabels!.name))).toEqual(Buffer.from(dataset.raw.get(trainLabels!.name)!));
  });

  it("fails naming a corrupt file when there is no other copy, and suggests --force", async () => {
    await writeDataset(dataDir, dataset, "raw");
    await writeFile(join(dataDir, `${trainLabels!.name}`), dataset.raw.get(dataset.files[3]!.name)!);
    const error = await failure(loadFashionMnist(options()));
    expect(error.message).toContain(
      `Fashion-MNIST is corrupt and no valid copy was found: ${join(dataDir, trainLabels!.name)}`,
    );
    expect(error.message).toContain("--offline is set");
    expect(error.hint).toMatch(/^run `softmax download --force`/);
  });

  it("with --offline and no copy, fails listing every way to get the data and opens no socket", async () => {
    const mirror = await startServer(serveFiles(dataset.served));
    servers.push(mirror);
    const error = await failure(loadFashionMnist(options({ mirrors: [mirror.url] })));
    expect(error.message).toBe(
      `Fashion-MNIST not found: ${dataset.files.map((file) => file.name).join(", ")} missing from ${dataDir} and ${systemDir}; ` +
        "--offline is set, so nothing was downloaded",
    );
    expect(error.hint).toContain("softmax download");
    expect(error.hint).toContain("apt-get install dataset-fashion-mnist");
    expect(error.hint).toContain("--data-dir / $SOFTMAX_DATA_DIR");
    expect(error.hint).toContain("--from DIR");
    expect(mirror.connections).toBe(0);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("downloads what is missing into the data directory when online", async () => {
    const mirror = await startServer(serveFiles(dataset.served));
    servers.push(mirror);
    await writeDataset(systemDir, { ...dataset, files: dataset.files.slice(0, 2) }, "gz");
    const data = await loadFashionMnist(options({ offline: false, mirrors: [mirror.url] }));
    expect(data.test.count).toBe(10);
    expect(fileEvents().map((event) => event.origin)).toEqual(["system", "system", "mirror", "mirror"]);
    expect(mirror.requests.map((request) => request.path)).toEqual(
      dataset.files.slice(2).map((file) => `/${file.name}.gz`),
    );
    expect(data.source).toBe(`${systemDir}, ${dataDir}`);
  });

  it("reports a failed download with every mirror's reason and the ways to provide the data", async () => {
    const mirror = await startServer((_, response) => response.writeHead(404).end());
    servers.push(mirror);
    const error = await failure(loadFashionMnist(options({ offline: false, mirrors: [mirror.url] })));
    expect(error.message).toContain(
      `cannot download ${trainImages!.name} from any mirror: ${mirror.url}${trainImages!.name}.gz: HTTP 404`,
    );
    expect(error.hint).toContain("apt-get install dataset-fashion-mnist");
  });

  it("still loads when the raw cache cannot be written, with a warning", async () => {
    await writeDataset(systemDir, dataset, "gz");
    await writeFile(join(root, "not-a-dir"), "");
    const data = await loadFashionMnist(options({ dataDir: join(root, "not-a-dir") }));
    expect(data.train.count).toBe(20);
    expect(warnings()).toEqual([
      expect.stringMatching(
        /^cannot create the data directory .*not-a-dir: .*; every start will decompress the files again$/,
      ),
    ]);
  });

  it("reads raw payloads into the buffers allocate gives, and parses the sets in place there", async () => {
    await writeDataset(dataDir, dataset, "raw");
    await loadFashionMnist(options()); // writes the verification records
    for (const verified of ["record", "sha256"] as const) {
      const memory = new ArrayBuffer(1 << 20);
      let used = 0;
      const asked: number[] = [];
      const allocate = (bytes: number) => {
        asked.push(bytes);
        used += bytes;
        return new Uint8Array(memory, used - bytes, bytes);
      };
      events = [];
      const records = verified === "record" ? { recordMarginMs: 0 } : { recordMarginMs: 60_000 };
      if (verified === "sha256") await rm(join(dataDir, `.${trainImages!.name}.verified`));
      const data = await loadFashionMnist(options({ allocate, records }));
      expect(asked.sort()).toEqual(dataset.files.map((file) => file.rawBytes).sort());
      for (const array of [data.train.images, data.train.labels, data.test.images, data.test.labels]) {
        expect(array.buffer).toBe(memory);
      }
      expect(data.train.images).toEqual(dataset.raw.get(trainImages!.name)!.subarray(16));
      expect(fileEvents()[0]!.verified).toBe(verified);
    }
  });

  it("reads a raw file of another size into an array of its own and heals it as without allocate", async () => {
    await writeDataset(dataDir, dataset, "gz");
    const labels = dataset.raw.get(trainLabels!.name)!;
    await writeFile(join(dataDir, trainLabels!.name), labels.subarray(0, labels.length - 1)); // one byte short
    const asked: number[] = [];
    const allocate = (bytes: number) => {
      asked.push(bytes);
      return new Uint8Array(bytes);
    };
    const data = await loadFashionMnist(options({ allocate }));
    expect(asked).toEqual([]); // the other files are .gz only: gunzipped, not read into allocate's buffers
    expect(Array.from(data.train.labels)).toEqual(Array.from(labels.subarray(8)));
    expect(warnings()).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${join(dataDir, trainLabels!.name)}: not ${trainLabels!.name}: expected ${labels.length} bytes .* got ${labels.length - 1} bytes`,
        ),
      ),
    ]);
  });

  it("rejects a valid IDX pair whose counts disagree, naming the file", async () => {
    const small = syntheticDataset(20, 10);
    const other = syntheticDataset(30, 10);
    const files = [other.files[0]!, small.files[1]!, small.files[2]!, small.files[3]!];
    await mkdirAndWrite(dataDir, other.files[0]!.name, other.raw.get(other.files[0]!.name)!);
    for (const file of small.files.slice(1)) await mkdirAndWrite(dataDir, file.name, small.raw.get(file.name)!);
    const error = await failure(loadFashionMnist(options({ dataset: syntheticSpec(files) })));
    expect(error.message).toBe(
      `${join(dataDir, small.files[1]!.name)}: holds 20 labels but ${join(dataDir, other.files[0]!.name)} holds 30 images`,
    );
  });
});

async function mkdirAndWrite(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const { mkdir } = await import("node:fs/promises");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, name), bytes);
}

describe("loadSplit", () => {
  const testFiles = dataset.files.filter((file) => file.split === "test");

  it("reads only the test split's two files: a data directory without the training files is enough", async () => {
    await writeDataset(dataDir, { ...dataset, files: testFiles }, "raw");
    const loaded = await loadSplit({ ...options(), split: "test" });
    expect(loaded.split).toBe("test");
    expect(loaded.set.count).toBe(10);
    expect(loaded.set.images).toEqual(dataset.raw.get(testFiles[0]!.name)!.subarray(16));
    expect(Array.from(loaded.set.labels)).toEqual(Array.from({ length: 10 }, (_, i) => i % 10));
    expect(loaded.classes).toEqual(CLASSES);
    expect(loaded.source).toBe(dataDir);
    expect(Object.keys(loaded)).not.toContain("train");
    expect(fileEvents().map((event) => event.name)).toEqual(testFiles.map((file) => file.name));
    // loadDataset still needs all four.
    const error = await failure(loadFashionMnist(options()));
    expect(error.message).toContain(`${trainImages!.name}, ${trainLabels!.name} missing from`);
  });

  it("verifies what it reads: a corrupt test file with no other copy fails naming it", async () => {
    await writeDataset(dataDir, { ...dataset, files: testFiles }, "raw");
    await writeFile(join(dataDir, testFiles[1]!.name), dataset.raw.get(trainLabels!.name)!);
    const error = await failure(loadSplit({ ...options(), split: "test" }));
    expect(error.message).toContain(
      `Fashion-MNIST is corrupt and no valid copy was found: ${join(dataDir, testFiles[1]!.name)}`,
    );
  });

  it("with --offline and no copy, fails naming the split's missing files; online, downloads only those", async () => {
    const mirror = await startServer(serveFiles(dataset.served));
    servers.push(mirror);
    const error = await failure(loadSplit({ ...options({ mirrors: [mirror.url] }), split: "test" }));
    expect(error.message).toBe(
      `Fashion-MNIST not found: ${testFiles.map((file) => file.name).join(", ")} missing from ${dataDir} and ${systemDir}; ` +
        "--offline is set, so nothing was downloaded",
    );
    expect(mirror.connections).toBe(0);
    const loaded = await loadSplit({ ...options({ offline: false, mirrors: [mirror.url] }), split: "test" });
    expect(loaded.set.count).toBe(10);
    expect(mirror.requests.map((request) => request.path)).toEqual(testFiles.map((file) => `/${file.name}.gz`));
  });

  it("loads the training split alone too (predict and show --split train)", async () => {
    await writeDataset(systemDir, { ...dataset, files: dataset.files.filter((file) => file.split === "train") }, "gz");
    const loaded = await loadSplit({ ...options(), split: "train" });
    expect(loaded.set.count).toBe(20);
    expect(loaded.source).toBe(systemDir);
    expect(events.find((event) => event.type === "caching")).toMatchObject({
      bytes: trainImages!.rawBytes + trainLabels!.rawBytes,
    });
  });
});
