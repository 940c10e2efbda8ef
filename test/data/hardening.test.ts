// The data layer against hostile or broken surroundings (issue 11): a server that lies with a 206,
// a read-only directory that already holds valid files, a full disk, a FIFO or a device named like
// a data file, temporary files left by dead processes, and a server trickling bytes. Each case is
// a test of its own, named for it. Small synthetic files; servers on 127.0.0.1 only.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { downloadDataset, type FetchOptions } from "../../src/data/download.js";
import type { DataEvent } from "../../src/data/events.js";
import { type LoadOptions, loadDataset } from "../../src/data/resolve.js";
import { DataError, FileError } from "../../src/errors.js";
import { readRegularFile } from "../../src/fs/read-regular-file.js";
import { sweepStaleTemporaries } from "../../src/fs/temporary.js";
import { type Handler, sendWithRange, serveFiles, startServer, type TestServer } from "../helpers/http-server.js";
import { FAST_HTTP, syntheticDataset, writeDataset } from "../helpers/synthetic-dataset.js";
import { CAN_MOUNT, mountTmpfs, type Tmpfs } from "../helpers/tmpfs.js";

const dataset = syntheticDataset();
const trainImages = dataset.files[0]!;

let dir: string;
let servers: TestServer[];
let mounts: Tmpfs[];
let events: DataEvent[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "softmax-hardening-"));
  servers = [];
  mounts = [];
  events = [];
});
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  for (const mount of mounts) await mount.unmount();
  await rm(dir, { recursive: true, force: true });
});

async function server(handler: Handler): Promise<TestServer> {
  const started = await startServer(handler);
  servers.push(started);
  return started;
}

async function tmpfs(kilobytes: number): Promise<Tmpfs> {
  const mount = await mountTmpfs(kilobytes);
  mounts.push(mount);
  return mount;
}

function fetchOptions(mirrors: string[], extra: Partial<FetchOptions> = {}): FetchOptions {
  return {
    ...FAST_HTTP,
    dataset: dataset.spec,
    dataDir: dir,
    mirrors,
    recordMarginMs: 0,
    onEvent: (event) => events.push(event),
    ...extra,
  };
}

function loadOptions(extra: Partial<LoadOptions> = {}): LoadOptions {
  return {
    dataset: dataset.spec,
    dataDir: dir,
    systemDir: null,
    offline: true,
    records: { recordMarginMs: 0 },
    http: FAST_HTTP,
    onEvent: (event) => events.push(event),
    ...extra,
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

const leftovers = async (path: string) => (await readdir(path)).filter((name) => /\.(tmp|part|lock|new)$/.test(name));

describe("a resumed download that fails its checksum", () => {
  it("is refetched from the start within the same run (a lying 206)", async () => {
    const body = dataset.gz.get(trainImages.name)!;
    const half = Math.floor(body.length / 2);
    const liar = await server((request, response, self) => {
      const path = `/${trainImages.name}.gz`;
      if (request.url !== path) return serveFiles(dataset.served)(request, response, self);
      const seen = self.count(path);
      if (seen === 1) {
        // The first answer breaks off halfway: the retry resumes with a Range.
        response.writeHead(200, { "content-length": body.length, etag: '"v1"' });
        response.write(body.subarray(0, half), () => setTimeout(() => response.socket?.destroy(), 50));
      } else if (seen === 2) {
        // The 206 carries bytes of another file: the assembled payload fails its SHA-256.
        const garbage = new Uint8Array(body.length - half).fill(0x55);
        response.writeHead(206, {
          "content-length": garbage.length,
          "content-range": `bytes ${half}-${body.length - 1}/${body.length}`,
        });
        response.end(garbage);
      } else {
        sendWithRange(request, response, body);
      }
    });
    const [result] = await downloadDataset(fetchOptions([liar.url], { files: [trainImages] }));
    expect(result!.origin).toBe("mirror");
    const ranges = liar.requests.filter((r) => r.path === `/${trainImages.name}.gz`).map((r) => r.range);
    expect(ranges).toEqual([undefined, `bytes=${half}-`, undefined]);
    expect(events.some((event) => event.type === "mirror-failed")).toBe(false);
    expect(await leftovers(dir)).toEqual([]);
  });
});

describe.skipIf(!CAN_MOUNT)("a read-only data directory", () => {
  it("that already holds valid files is a success for download: nothing is locked or written", async () => {
    const mount = await tmpfs(256);
    await writeDataset(mount.path, dataset, "raw");
    mount.readOnly();
    const mirror = await server(serveFiles(dataset.served));
    const results = await downloadDataset(fetchOptions([mirror.url], { dataDir: mount.path }));
    expect(results.map((result) => result.origin)).toEqual(["data-dir", "data-dir", "data-dir", "data-dir"]);
    expect(mirror.connections).toBe(0);
  });

  it("that holds only the .gz files: each is used, with one warning that it cannot be cached raw", async () => {
    const mount = await tmpfs(256);
    await writeDataset(mount.path, dataset, "gz");
    mount.readOnly();
    const results = await downloadDataset(fetchOptions([], { dataDir: mount.path, files: [trainImages] }));
    expect(results[0]!.path).toBe(join(mount.path, `${trainImages.name}.gz`));
    expect(events.filter((event) => event.type === "warning")).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/^cannot write .*train-images-idx3-ubyte: read-only file system \(EROFS\)/),
      }),
    ]);
  });
});

describe.skipIf(!CAN_MOUNT)("a full disk (ENOSPC)", () => {
  it("while downloading: one error naming the file, not retried, not blamed on the mirror, no next mirror", async () => {
    const mount = await tmpfs(8); // two pages: the 16 kB .part cannot fit
    const first = await server(serveFiles(dataset.served));
    const second = await server(serveFiles(dataset.served));
    const error = await rejection(
      downloadDataset(fetchOptions([first.url, second.url], { dataDir: mount.path, files: [trainImages] })),
    );
    expect(error).toBeInstanceOf(FileError);
    expect(error.message).toMatch(
      /^cannot write .*train-images-idx3-ubyte\.gz\.part: no space left on device \(ENOSPC\)$/,
    );
    expect((error as FileError).hint).toMatch(/disk is full/);
    expect(first.requests).toHaveLength(1);
    expect(second.connections).toBe(0);
    expect(events.filter((event) => event.type === "retry" || event.type === "mirror-failed")).toEqual([]);
    expect((await readdir(mount.path)).filter((name) => name.endsWith(".tmp") || name.endsWith(".lock"))).toEqual([]);
  });

  it("while writing the raw cache: loading still works, with a warning naming the file", async () => {
    const mount = await tmpfs(8);
    const system = join(dir, "system");
    await writeDataset(system, dataset, "gz");
    const data = await loadDataset(loadOptions({ dataDir: mount.path, systemDir: system }));
    expect(data.train.count).toBe(dataset.trainCount);
    const warnings = events.filter((event) => event.type === "warning").map((event) => event.message);
    expect(warnings).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^cannot write ${mount.path}/${trainImages.name}: no space left on device \\(ENOSPC\\); every start`,
        ),
      ),
    );
    expect((await readdir(mount.path)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});

describe("a FIFO or a device named like a data file", () => {
  it("is refused at once, even offline, naming it (a FIFO)", async () => {
    await writeDataset(dir, dataset, "raw");
    await rm(join(dir, trainImages.name));
    execFileSync("mkfifo", [join(dir, trainImages.name)]);
    const error = await rejection(loadDataset(loadOptions()));
    expect(error).toBeInstanceOf(FileError);
    expect(error.message).toBe(`${join(dir, trainImages.name)} is a FIFO (named pipe), not a regular file`);
  });

  it("is refused at once (a character device)", async () => {
    await writeDataset(dir, dataset, "raw");
    await rm(join(dir, trainImages.name));
    await symlink("/dev/zero", join(dir, trainImages.name));
    const error = await rejection(loadDataset(loadOptions()));
    expect(error.message).toBe(`${join(dir, trainImages.name)} is a character device, not a regular file`);
  });
});

describe("bounded reads", () => {
  it("refuse a file larger than the cap before reading it (a sparse 1 GB file)", async () => {
    const path = join(dir, "big");
    await writeFile(path, "");
    execFileSync("truncate", ["-s", "1G", path]);
    const error = await rejection(readRegularFile(path, { maxBytes: 1000 }));
    expect(error).toBeInstanceOf(FileError);
    expect(error.message).toBe(`${path}: 1073741824 bytes, more than the 1000 expected`);
  });

  it("treat an oversized data file as a corrupt copy and name it", async () => {
    await writeDataset(dir, dataset, "raw");
    execFileSync("truncate", ["-s", "1G", join(dir, trainImages.name)]);
    const error = await rejection(loadDataset(loadOptions()));
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toContain(`${join(dir, trainImages.name)}: 1073741824 bytes, more than the`);
  });
});

describe("temporary files", () => {
  it("of dead processes are swept when a dataset is loaded; a live process's are kept", async () => {
    await writeDataset(dir, dataset, "raw");
    const dead = join(dir, `.${trainImages.name}.999999999.0123abcd.tmp`);
    const live = join(dir, `.${trainImages.name}.${process.pid}.89abcdef.tmp`);
    const unrelated = join(dir, "notes.tmp");
    for (const path of [dead, live, unrelated]) await writeFile(path, "partial");
    await loadDataset(loadOptions());
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(unrelated)).toBe(true);
    expect(await sweepStaleTemporaries(join(dir, "absent"))).toEqual([]);
  });
});

describe("a server trickling bytes", () => {
  it("is abandoned by the low-speed limit for the next mirror", async () => {
    const trickle = await server((_, response) => {
      response.writeHead(200, { "content-length": 10_000 });
      const timer = setInterval(() => response.write("x"), 100);
      response.on("close", () => clearInterval(timer));
    });
    const good = await server(serveFiles(dataset.served));
    const options = fetchOptions([trickle.url, good.url], {
      files: [trainImages],
      idleTimeoutMs: 10_000,
      lowSpeedBytesPerSecond: 1000,
      lowSpeedTimeMs: 300,
    });
    const [result] = await downloadDataset(options);
    expect(result!.source).toBe(`${good.url}${trainImages.name}.gz`);
    expect(trickle.requests).toHaveLength(1); // too slow is not retried on the same mirror
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "mirror-failed",
        reason: expect.stringMatching(/^slower than 1000 bytes\/s for 0\.3 s \(\d+ bytes in 0\.\d s\)$/),
      }),
    );
    expect(await leftovers(dir)).toEqual([]);
  });
});

describe("the data directory", () => {
  it("is created when missing, and the creation is reported", async () => {
    const target = join(dir, "new", "nested");
    const mirror = await server(serveFiles(dataset.served));
    await downloadDataset(fetchOptions([mirror.url], { dataDir: target, files: [trainImages] }));
    expect(events[0]).toEqual({ type: "directory-created", path: target });
  });
});
