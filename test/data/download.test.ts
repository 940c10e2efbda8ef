// The downloader against a real HTTP server on 127.0.0.1 that injects faults: 404, 500 then
// success, reset mid-body then resume with Range, corrupt bytes, the wrong file, a redirect loop,
// a stalled server, and two downloads at once. Small synthetic files with their own hash table.
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileSpec } from "../../src/data/datasets.js";
import { copyDataset, downloadDataset, type FetchOptions, type FileResult } from "../../src/data/download.js";
import type { DataEvent } from "../../src/data/events.js";
import { DownloadError } from "../../src/errors.js";
import { type Handler, sendWithRange, serveFiles, startServer, type TestServer } from "../helpers/http-server.js";
import { FAST_HTTP, failure, syntheticDataset, writeDataset } from "../helpers/synthetic-dataset.js";

const dataset = syntheticDataset();
const trainImages = dataset.files[0]!;
const trainLabels = dataset.files[1]!;

let dir: string;
let servers: TestServer[];
let events: DataEvent[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "softmax-download-"));
  servers = [];
  events = [];
});
afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await rm(dir, { recursive: true, force: true });
});

async function server(handler: Handler): Promise<TestServer> {
  const started = await startServer(handler);
  servers.push(started);
  return started;
}

function options(mirrors: string[], extra: Partial<FetchOptions> = {}): FetchOptions {
  return {
    ...FAST_HTTP,
    dataDir: dir,
    mirrors,
    dataset: dataset.spec,
    recordMarginMs: 0,
    onEvent: (event) => events.push(event),
    ...extra,
  };
}

/** One file of the dataset, as `softmax download` fetches each. */
async function downloadFile(file: FileSpec, fetchOptions: FetchOptions): Promise<FileResult> {
  const [result] = await downloadDataset({ ...fetchOptions, files: [file] });
  return result!;
}

async function expectValidFiles(): Promise<void> {
  for (const file of dataset.files) {
    expect(await readFile(join(dir, file.name))).toEqual(Buffer.from(dataset.raw.get(file.name)!));
    expect(await readFile(join(dir, `${file.name}.gz`))).toEqual(Buffer.from(dataset.gz.get(file.name)!));
  }
  expect((await readdir(dir)).filter((name) => name.endsWith(".part") || name.endsWith(".lock"))).toEqual([]);
}

describe("downloadDataset", () => {
  it("fetches, verifies and stores every file, then skips them when valid", async () => {
    const mirror = await server(serveFiles(dataset.served));
    const results = await downloadDataset(options([mirror.url]));
    expect(results.map((result) => [result.name, result.origin, result.bytes])).toEqual(
      dataset.files.map((file) => [file.name, "mirror", file.rawBytes]),
    );
    expect(results[0]!.source).toBe(`${mirror.url}${trainImages.name}.gz`);
    await expectValidFiles();
    expect(events.filter((event) => event.type === "file")).toHaveLength(4);
    expect(events.some((event) => event.type === "download-progress")).toBe(true);

    const requests = mirror.requests.length;
    const again = await downloadDataset(options([mirror.url]));
    expect(again.every((result) => result.origin === "data-dir")).toBe(true);
    expect(mirror.requests.length).toBe(requests);

    const forced = await downloadDataset(options([mirror.url], { force: true }));
    expect(forced.every((result) => result.origin === "mirror")).toBe(true);
    expect(mirror.requests.length).toBe(requests + 4);
  });

  it("moves to the next mirror after a 404, without retrying it", async () => {
    const missing = await server((_, response) => response.writeHead(404).end());
    const good = await server(serveFiles(dataset.served));
    const results = await downloadDataset(options([missing.url, good.url]));
    expect(results.every((result) => result.source.startsWith(good.url))).toBe(true);
    expect(missing.count(`/${trainImages.name}.gz`)).toBe(1);
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "mirror-failed",
        url: `${missing.url}${trainImages.name}.gz`,
        reason: "HTTP 404",
      }),
    );
    expect(events.some((event) => event.type === "retry")).toBe(false);
    await expectValidFiles();
  });

  it("retries a 500 with backoff and succeeds", async () => {
    const flaky = await server((request, response, self) => {
      if (self.count(request.url!) === 1) response.writeHead(500).end("busy");
      else serveFiles(dataset.served)(request, response, self);
    });
    await downloadDataset(options([flaky.url]));
    expect(flaky.count(`/${trainImages.name}.gz`)).toBe(2);
    const retries = events.filter((event) => event.type === "retry");
    expect(retries).toHaveLength(4);
    expect(retries[0]).toMatchObject({ attempt: 1, delayMs: FAST_HTTP.backoffMs, reason: "HTTP 500" });
    await expectValidFiles();
  });

  it("backs off exponentially up to the ceiling, then gives up on the mirror", async () => {
    const down = await server((_, response) => response.writeHead(503).end());
    const error = await failure(
      downloadFile(trainImages, options([down.url], { retries: 4, backoffMs: 4, maxBackoffMs: 10 })),
    );
    expect(error).toBeInstanceOf(DownloadError);
    expect(
      events.filter((event) => event.type === "retry").map((event) => (event as { delayMs: number }).delayMs),
    ).toEqual([4, 8, 10, 10]);
    expect(down.count(`/${trainImages.name}.gz`)).toBe(5);
    expect(error.message).toContain(`${down.url}${trainImages.name}.gz: HTTP 503`);
  });

  it("resumes with Range after the connection is reset mid-body", async () => {
    const body = dataset.gz.get(trainImages.name)!;
    const half = Math.floor(body.length / 2);
    const resetting = await server((request, response, self) => {
      if (request.url === `/${trainImages.name}.gz` && self.count(request.url) === 1) {
        response.writeHead(200, { "content-length": body.length, etag: '"v1"' });
        response.write(body.subarray(0, half), () => setTimeout(() => response.socket?.destroy(), 50));
        return;
      }
      serveFiles(dataset.served)(request, response, self);
    });
    await downloadFile(trainImages, options([resetting.url]));
    const ranges = resetting.requests
      .filter((request) => request.path === `/${trainImages.name}.gz`)
      .map((r) => r.range);
    expect(ranges).toEqual([undefined, `bytes=${half}-`]);
    expect(events.find((event) => event.type === "retry")).toMatchObject({
      reason: expect.stringMatching(/connection lost|closed/),
    });
    expect(await readFile(join(dir, trainImages.name))).toEqual(Buffer.from(dataset.raw.get(trainImages.name)!));
  });

  it("resumes a .part left by an earlier run, and restarts when the server answers 200 to the Range", async () => {
    const body = dataset.gz.get(trainImages.name)!;
    const url = (base: string) => `${base}${trainImages.name}.gz`;
    const ranged = await server(serveFiles(dataset.served));
    await writeFile(join(dir, `${trainImages.name}.gz.part`), body.subarray(0, 100));
    await writeFile(join(dir, `${trainImages.name}.gz.part.json`), JSON.stringify({ url: url(ranged.url) }));
    await downloadFile(trainImages, options([ranged.url]));
    expect(ranged.requests.map((request) => request.range)).toEqual(["bytes=100-"]);

    await rm(join(dir, trainImages.name));
    await rm(join(dir, `${trainImages.name}.gz`));
    const noRanges = await server((request, response) => {
      response.writeHead(200, { "content-length": body.length }).end(body);
      void request;
    });
    await writeFile(join(dir, `${trainImages.name}.gz.part`), Buffer.from("garbage that is not the start"));
    await writeFile(join(dir, `${trainImages.name}.gz.part.json`), JSON.stringify({ url: url(noRanges.url) }));
    await downloadFile(trainImages, options([noRanges.url]));
    expect(noRanges.requests.map((request) => request.range)).toEqual([
      `bytes=${"garbage that is not the start".length}-`,
    ]);
    expect(await readFile(join(dir, trainImages.name))).toEqual(Buffer.from(dataset.raw.get(trainImages.name)!));
  });

  it("removes corrupt bytes, names the hashes and the mirror, and leaves no file under the final name", async () => {
    const raw = Uint8Array.from(dataset.raw.get(trainImages.name)!);
    raw[raw.length - 1]! ^= 0xff; // one pixel changed: a valid gzip of the wrong payload
    const corrupt = await server((request, response) => sendWithRange(request, response, gzipSync(raw)));
    const error = await failure(downloadFile(trainImages, options([corrupt.url])));
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.message).toContain(`${corrupt.url}${trainImages.name}.gz`);
    expect(error.message).toContain(`expected ${trainImages.rawBytes} bytes with sha256 ${trainImages.sha256}`);
    expect(error.message).toMatch(/got \d+ bytes with sha256 [0-9a-f]{64}/);
    expect(await readdir(dir)).toEqual([]);
    expect(corrupt.requests).toHaveLength(1); // bad content is not retried on the same mirror
  });

  it("rejects a damaged gzip stream and tries the next mirror", async () => {
    const gz = Uint8Array.from(dataset.gz.get(trainImages.name)!);
    gz[gz.length - 6]! ^= 0xff; // inside the CRC-32 trailer
    const damaged = await server((request, response) => sendWithRange(request, response, gz));
    const good = await server(serveFiles(dataset.served));
    const result = await downloadFile(trainImages, options([damaged.url, good.url]));
    expect(result.source).toBe(`${good.url}${trainImages.name}.gz`);
    expect(events).toContainEqual(
      expect.objectContaining({ type: "mirror-failed", reason: expect.stringMatching(/not a valid gzip stream/) }),
    );
  });

  it("rejects the images file served under the labels name", async () => {
    const wrong = await server((request, response) =>
      sendWithRange(request, response, dataset.gz.get(trainImages.name)!),
    );
    const error = await failure(downloadFile(trainLabels, options([wrong.url])));
    expect(error.message).toContain(`${wrong.url}${trainLabels.name}.gz: `);
    expect(error.message).toContain(`too large to be ${trainLabels.name}`);
    expect(error.message).toContain(`sha256 ${trainLabels.sha256}`);
    expect(await readdir(dir)).toEqual([]);
  });

  it("stops decompressing past the expected size (a small gzip of a large payload)", async () => {
    const bomb = gzipSync(new Uint8Array(1_000_000));
    expect(bomb.length).toBeLessThan(trainLabels.rawBytes * 1.01 + 4096);
    const wrong = await server((request, response) => sendWithRange(request, response, bomb));
    const error = await failure(downloadFile(trainLabels, options([wrong.url])));
    expect(error.message).toContain(
      `not ${trainLabels.name}: expected ${trainLabels.rawBytes} bytes with sha256 ${trainLabels.sha256}`,
    );
    expect(error.message).toContain(`got more than ${trainLabels.rawBytes} bytes`);
    expect(await readdir(dir)).toEqual([]);
  });

  it("follows redirects, but at most 5", async () => {
    const redirecting = await server((request, response) => {
      const match = /^\/hop(\d+)\/(.*)$/.exec(request.url!);
      const hop = match ? Number(match[1]) : 0;
      const name = match ? match[2]! : request.url!.slice(1);
      if (hop < 5) response.writeHead(302, { location: `/hop${hop + 1}/${name}` }).end();
      else sendWithRange(request, response, dataset.served.get(name)!);
    });
    await downloadFile(trainImages, options([redirecting.url]));
    expect(redirecting.requests).toHaveLength(6);

    const looping = await server((request, response) => {
      response.writeHead(301, { location: request.url!.startsWith("/a/") ? "/b/x" : "/a/x" }).end();
    });
    const error = await failure(downloadFile(trainLabels, options([looping.url])));
    expect(error.message).toContain("more than 5 redirects");
    expect(looping.requests).toHaveLength(6);
  });

  it("gives up on a server too slow for the idle timeout and says so", async () => {
    const stalled = await server((_, response) => {
      response.writeHead(200, { "content-length": 1000 });
      response.write("x"); // then nothing
    });
    const silent = await server(() => {}); // never answers
    // undici checks body and header timeouts on a coarse (about 1 s) clock, so each one costs ~1 s here.
    const error = await failure(
      downloadFile(trainImages, options([stalled.url, silent.url], { idleTimeoutMs: 150, retries: 0 })),
    );
    expect(error.message).toContain(`${stalled.url}${trainImages.name}.gz: no data for 150 ms`);
    expect(error.message).toContain(`${silent.url}${trainImages.name}.gz: no response within 150 ms`);
    expect(stalled.requests).toHaveLength(1);
    expect(events.filter((event) => event.type === "mirror-failed")).toHaveLength(2);
    expect(existsSync(join(dir, trainImages.name))).toBe(false);
  });

  it("refuses a body larger than the size cap", async () => {
    const huge = await server((_, response) => {
      response.writeHead(200, { "content-length": 10_000_000 }).end();
    });
    const error = await failure(downloadFile(trainLabels, options([huge.url])));
    expect(error.message).toMatch(
      /10000000 bytes or more, too large to be train-labels-idx1-ubyte \(at most \d+ bytes/,
    );
    expect(huge.requests).toHaveLength(1);
  });

  it("lists every mirror and why it failed", async () => {
    const missing = await server((_, response) => response.writeHead(404).end());
    const refused = "http://127.0.0.1:1/";
    const error = await failure(downloadFile(trainLabels, options([missing.url, refused], { retries: 0 })));
    expect(error.message).toMatch(
      new RegExp(
        `cannot download ${trainLabels.name} from any mirror: .*${missing.url}.*: HTTP 404; http://127.0.0.1:1/.*ECONNREFUSED`,
      ),
    );
    expect(error.hint).toMatch(/--mirror.*--from.*apt-get install dataset-fashion-mnist/);
  });

  it("lets two concurrent downloads into one directory both end with valid files", async () => {
    const slow = await server((request, response, self) => {
      setTimeout(() => serveFiles(dataset.served)(request, response, self), 30);
    });
    const [first, second] = await Promise.all([
      downloadDataset(options([slow.url])),
      downloadDataset(options([slow.url])),
    ]);
    expect(first.map((result) => result.sha256)).toEqual(dataset.files.map((file) => file.sha256));
    expect(second.map((result) => result.sha256)).toEqual(dataset.files.map((file) => file.sha256));
    // Each file was fetched once: the waiting download found it verified.
    for (const file of dataset.files) expect(slow.count(`/${file.name}.gz`)).toBe(1);
    expect(events.some((event) => event.type === "waiting")).toBe(true);
    await expectValidFiles();
  });

  it("takes over a lock left by a dead process", async () => {
    await writeFile(join(dir, `.${trainLabels.name}.lock`), "999999999\n");
    const mirror = await server(serveFiles(dataset.served));
    await downloadFile(trainLabels, options([mirror.url]));
    expect(existsSync(join(dir, `.${trainLabels.name}.lock`))).toBe(false);
  });

  it("takes over a lock of a live pid that has not been refreshed (pid reuse)", async () => {
    const lock = join(dir, `.${trainLabels.name}.lock`);
    await writeFile(lock, `${process.pid}\n`);
    const old = new Date(Date.now() - 120_000);
    await utimes(lock, old, old);
    const mirror = await server(serveFiles(dataset.served));
    await downloadFile(trainLabels, options([mirror.url], { lockStaleMs: 60_000 }));
    expect(existsSync(lock)).toBe(false);
    expect(events.filter((event) => event.type === "waiting")).toEqual([]);
  });

  it("replaces a corrupt copy in the data directory, with a warning", async () => {
    await writeFile(join(dir, trainLabels.name), "not an IDX file");
    const mirror = await server(serveFiles(dataset.served));
    const result = await downloadFile(trainLabels, options([mirror.url]));
    expect(result.origin).toBe("mirror");
    expect(events).toContainEqual(
      expect.objectContaining({
        type: "warning",
        message: expect.stringContaining(`${join(dir, trainLabels.name)}: not ${trainLabels.name}`),
      }),
    );
    expect(await readFile(join(dir, trainLabels.name))).toEqual(Buffer.from(dataset.raw.get(trainLabels.name)!));
  });
});

describe("proxies", () => {
  it("goes through HTTP_PROXY (undici's EnvHttpProxyAgent)", async () => {
    const origin = await server(serveFiles(dataset.served));
    const originPort = Number(new URL(origin.url).port);
    // A CONNECT proxy that sends every tunnel to the local origin, whatever host was asked for.
    const proxy = createServer();
    const tunnels: string[] = [];
    proxy.on("connect", (request, client, head) => {
      tunnels.push(request.url ?? "");
      const upstream = connect(originPort, "127.0.0.1", () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
    });
    proxy.on("request", (request, response) => {
      tunnels.push(`absolute-form ${request.url}`);
      const target = new URL(request.url ?? "/");
      serveFiles(dataset.served)(
        { ...request, url: target.pathname, headers: request.headers } as typeof request,
        response,
        origin,
      );
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    delete process.env.NO_PROXY;
    try {
      // The .invalid name cannot resolve: only the proxy can have fetched it.
      const result = await downloadFile(trainLabels, options(["http://fashion-mnist.invalid/"]));
      expect(result.source).toBe(`http://fashion-mnist.invalid/${trainLabels.name}.gz`);
      expect(tunnels.length).toBeGreaterThan(0);
      expect(tunnels[0]).toMatch(/fashion-mnist\.invalid/);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe("copyDataset (--from)", () => {
  it("copies and verifies raw or .gz files", async () => {
    const from = join(dir, "from");
    await writeDataset(from, dataset, "gz");
    await writeFile(join(from, trainLabels.name), dataset.raw.get(trainLabels.name)!); // raw wins over .gz
    const target = join(dir, "data");
    const results = await copyDataset(from, options([], { dataDir: target }));
    expect(results.map((result) => result.source)).toEqual([
      join(from, `${trainImages.name}.gz`),
      join(from, trainLabels.name),
      join(from, `${dataset.files[2]!.name}.gz`),
      join(from, `${dataset.files[3]!.name}.gz`),
    ]);
    for (const file of dataset.files) {
      expect(await readFile(join(target, file.name))).toEqual(Buffer.from(dataset.raw.get(file.name)!));
    }
  });

  it("fails naming the directory when a file is missing or corrupt", async () => {
    const from = join(dir, "from");
    await writeDataset(from, dataset, "raw");
    await rm(join(from, trainLabels.name));
    let error = await failure(copyDataset(from, options([], { dataDir: join(dir, "data") })));
    expect(error.message).toBe(`${from} holds neither ${trainLabels.name} nor ${trainLabels.name}.gz`);

    await writeFile(join(from, trainLabels.name), dataset.raw.get(dataset.files[3]!.name)!);
    error = await failure(copyDataset(from, options([], { dataDir: join(dir, "data") })));
    expect(error.message).toContain(`${join(from, trainLabels.name)}: not ${trainLabels.name}`);
    expect(existsSync(join(dir, "data", trainLabels.name))).toBe(false);
  });
});
