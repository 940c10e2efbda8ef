// `softmax download` end to end through the built binary, against a local server serving the
// real files from Debian's dataset-fashion-mnist (the CLI always checks the real digests).
// Required when CI=true; skipped with a printed reason when the files or the build are absent.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FASHION_MNIST_FILES } from "../src/data/datasets.js";
import { SYSTEM_DATA_DIR } from "../src/data/locations.js";
import { sha256Hex } from "../src/data/payload.js";
import { BUILT, lines, runCli } from "./helpers/cli.js";
import { serveFiles, startServer, type TestServer } from "./helpers/http-server.js";

const present = FASHION_MNIST_FILES.every((file) => existsSync(join(SYSTEM_DATA_DIR, `${file.name}.gz`)));
const required = process.env.CI === "true";
if (!present && !required) console.log(`skipping download e2e tests: no .gz files in ${SYSTEM_DATA_DIR}`);
if (!BUILT) console.log("skipping download e2e tests: run `npm run build` first (npm test does)");

/** What a mirror of the real dataset serves: Debian's `.gz` files by name. */
async function debianGzFiles(): Promise<Map<string, Uint8Array>> {
  const served = new Map<string, Uint8Array>();
  for (const file of FASHION_MNIST_FILES) {
    served.set(`${file.name}.gz`, await readFile(join(SYSTEM_DATA_DIR, `${file.name}.gz`)));
  }
  return served;
}

describe.skipIf((!present && !required) || !BUILT)("softmax download (e2e)", () => {
  let root: string;
  let dataDir: string;
  let mirror: TestServer;
  let stalled: TestServer;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "softmax-cli-download-"));
    mirror = await startServer(serveFiles(await debianGzFiles()));
    stalled = await startServer((_, response) => {
      response.writeHead(200, { "content-length": 100_000 });
      response.write("x");
    });
  });
  afterAll(async () => {
    await Promise.all([mirror.close(), stalled.close()]);
    await rm(root, { recursive: true, force: true });
  });
  let run = 0;
  beforeEach(() => {
    dataDir = join(root, `data${++run}`);
  });

  async function expectVerifiedFiles(dir: string): Promise<void> {
    for (const file of FASHION_MNIST_FILES) {
      expect(sha256Hex(await readFile(join(dir, file.name))), file.name).toBe(file.sha256);
    }
    expect((await readdir(dir)).filter((name) => /\.(part|lock|tmp)$/.test(name))).toEqual([]);
  }

  it("downloads and verifies the four files, one line each on stdout, then skips them", async () => {
    const first = await runCli(["download", "--data-dir", dataDir, "--mirror", mirror.url]);
    expect(first.status).toBe(0);
    const out = lines(first.stdout);
    expect(out).toHaveLength(4);
    FASHION_MNIST_FILES.forEach((file, i) => {
      expect(out[i]).toMatch(
        new RegExp(
          `^${file.name} +${file.rawBytes} bytes  downloaded from ${mirror.url}${file.name}\\.gz  sha256 verified$`,
        ),
      );
    });
    // Not a TTY: no progress bars; what is created and fetched where, then one log line per file.
    expect(lines(first.stderr)).toEqual([
      `created ${dataDir}`,
      `downloading Fashion-MNIST (31 MB) into ${dataDir}`,
      ...FASHION_MNIST_FILES.map((file) => `downloading ${file.name} from ${mirror.url}${file.name}.gz`),
    ]);
    await expectVerifiedFiles(dataDir);

    const requests = mirror.requests.length;
    const second = await runCli(["download", "--data-dir", dataDir, "--mirror", mirror.url, "--json", "--quiet"]);
    expect(second.status).toBe(0);
    expect(second.stderr).toBe("");
    const events = lines(second.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events).toEqual(
      FASHION_MNIST_FILES.map((file) =>
        expect.objectContaining({
          event: "file",
          name: file.name,
          bytes: file.rawBytes,
          sha256: file.sha256,
          origin: "data-dir",
          path: join(dataDir, file.name),
          verified: true,
        }),
      ),
    );
    expect(mirror.requests.length).toBe(requests);
  });

  it("copies from a local directory with --from, without the network", async () => {
    const result = await runCli(["download", "--data-dir", dataDir, "--from", SYSTEM_DATA_DIR, "--quiet"], {
      env: { SOFTMAX_MIRROR: stalled.url },
    });
    expect(result.status).toBe(0);
    expect(lines(result.stdout)[0]).toMatch(
      /^train-images-idx3-ubyte +47040016 bytes {2}copied from .*train-images-idx3-ubyte(\.gz)? {2}sha256 verified$/,
    );
    await expectVerifiedFiles(dataDir);
    expect(stalled.connections).toBe(0);
  });

  it("carries on when the reader of stdout goes away (download | head -1): every file ends up verified", async () => {
    const result = await runCli(["download", "--data-dir", dataDir, "--from", SYSTEM_DATA_DIR, "--quiet"], {
      onSpawn: (child) => child.stdout?.once("data", () => child.stdout?.destroy()),
    });
    expect(result.status, result.stderr).toBe(0);
    await expectVerifiedFiles(dataDir);
  });

  it("lets two processes download into one directory at once; both end with valid files", async () => {
    const args = ["download", "--data-dir", dataDir, "--mirror", mirror.url, "--json", "--quiet"];
    const [a, b] = await Promise.all([runCli(args), runCli(args)]);
    expect([a.status, b.status, a.stderr, b.stderr]).toEqual([0, 0, "", ""]);
    for (const result of [a, b]) {
      const events = lines(result.stdout).map((line) => JSON.parse(line) as { sha256: string });
      expect(events.map((event) => event.sha256)).toEqual(FASHION_MNIST_FILES.map((file) => file.sha256));
    }
    await expectVerifiedFiles(dataDir);
  });

  it("stops on SIGINT with status 130 and one line, keeping no file under a final name", async () => {
    const result = await runCli(["download", "--data-dir", dataDir, "--mirror", stalled.url, "--quiet"], {
      onSpawn: (child) => {
        const timer = setInterval(() => {
          if (stalled.requests.length > 0) {
            clearInterval(timer);
            child.kill("SIGINT");
          }
        }, 20);
      },
    });
    expect(result.status, JSON.stringify(result)).toBe(130);
    expect(lines(result.stderr)).toEqual([
      "softmax: download interrupted (partial files are kept as NAME.gz.part; run `softmax download` again to resume)",
    ]);
    expect(existsSync(join(dataDir, FASHION_MNIST_FILES[0]!.name))).toBe(false);
    expect(existsSync(join(dataDir, `.${FASHION_MNIST_FILES[0]!.name}.lock`))).toBe(false);
  });
});

// Every command that reads the dataset, end to end: where it finds, fetches and caches the files,
// and what it says about it. Real Fashion-MNIST (the CLI checks the real digests), served from the
// system directory's .gz files by a loopback mirror.
describe.skipIf((!present && !required) || !BUILT)("data for every command (e2e)", () => {
  let root: string;
  let mirror: TestServer;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "softmax-cli-data-"));
    mirror = await startServer(serveFiles(await debianGzFiles()));
  });
  afterAll(async () => {
    await mirror.close();
    await rm(root, { recursive: true, force: true });
  });

  it("train --data-dir EMPTY fetches from $SOFTMAX_MIRROR when the system directory is hidden", async () => {
    const dataDir = join(root, "empty");
    const out = join(root, "mirror.safetensors");
    const result = await runCli(["train", "--epochs", "1", "--data-dir", dataDir, "--out", out, "--quiet"], {
      env: { SOFTMAX_MIRROR: mirror.url, SOFTMAX_SYSTEM_DATA_DIR: "" },
    });
    expect(result.status, result.stderr).toBe(0);
    expect(mirror.requests.map((request) => request.path)).toEqual(
      FASHION_MNIST_FILES.map((file) => `/${file.name}.gz`),
    );
    for (const file of FASHION_MNIST_FILES) {
      expect(sha256Hex(await readFile(join(dataDir, file.name))), file.name).toBe(file.sha256);
    }
    expect(existsSync(out)).toBe(true);
  });

  it("with XDG_CACHE_HOME and no data dir, train caches under $XDG_CACHE_HOME/softmax, says where, writes nothing in cwd", async () => {
    const cwd = join(root, "cwd");
    const cache = join(root, "xdg");
    await mkdir(cwd, { recursive: true });
    const requests = mirror.requests.length;
    const result = await runCli(["train", "--epochs", "1", "--out", join(root, "xdg.safetensors")], {
      cwd,
      env: { XDG_CACHE_HOME: cache, SOFTMAX_MIRROR: mirror.url },
    });
    expect(result.status, result.stderr).toBe(0);
    const dataDir = join(cache, "softmax", "fashion-mnist");
    expect(lines(result.stderr).slice(0, 2)).toEqual([
      `using Fashion-MNIST from ${SYSTEM_DATA_DIR}; caching 55 MB in ${dataDir}`,
      `created ${dataDir}`,
    ]);
    for (const file of FASHION_MNIST_FILES) expect(existsSync(join(dataDir, file.name)), file.name).toBe(true);
    expect(await readdir(cwd)).toEqual([]);
    expect(mirror.requests.length).toBe(requests); // the system directory had it all

    // The second start finds the cache and says nothing about the data.
    const again = await runCli(["evaluate", "--model", join(root, "xdg.safetensors")], {
      cwd,
      env: { XDG_CACHE_HOME: cache },
    });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toBe("");
  });

  it("a FIFO named like a data file does not hang train --offline: one line naming it, exit 1", async () => {
    const dataDir = join(root, "fifo");
    await mkdir(dataDir, { recursive: true });
    execFileSync("mkfifo", [join(dataDir, "train-labels-idx1-ubyte")]);
    const result = await runCli(["train", "--offline", "--data-dir", dataDir, "--out", join(root, "fifo.safetensors")]);
    expect(result.status).toBe(1);
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^softmax: ${join(dataDir, "train-labels-idx1-ubyte")} is a FIFO \\(named pipe\\), not a regular file`,
        ),
      ),
    ]);
  });

  it("Ctrl-C during the first load leaves no temporary file, and exits 130", async () => {
    const dataDir = join(root, "interrupted");
    const result = await runCli(
      ["train", "--epochs", "1", "--data-dir", dataDir, "--out", join(root, "i.safetensors")],
      {
        onSpawn: (child) => {
          // As soon as the first raw copy is being written (a temporary file appears), interrupt.
          const timer = setInterval(() => {
            let names: string[] = [];
            try {
              names = readdirSync(dataDir);
            } catch {
              return;
            }
            if (names.some((name) => name.endsWith(".tmp"))) {
              clearInterval(timer);
              child.kill("SIGINT");
            }
          }, 2);
          child.on("exit", () => clearInterval(timer));
        },
      },
    );
    expect(result.status, result.stderr).toBe(130);
    expect(lines(result.stderr).at(-1)).toBe("softmax: interrupted while loading the data");
    expect((await readdir(dataDir)).filter((name) => /\.(tmp|lock)$/.test(name))).toEqual([]);
  });
});
