// `softmax train` under adverse conditions, end to end through the built CLI: a closed stdout or
// stderr, output paths that cannot work, a picture that cannot be written, an absurd batch size,
// and signals. The model the user trained for is never lost. Real Fashion-MNIST (skipped with a
// reason when absent, required when CI=true), except the checks made before any data is read.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadModel } from "../src/model-file/model-file.js";
import { assertBuilt, BIN, realDataRequired } from "./helpers/pictures-cli.js";

let dir: string;
beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "softmax-train-hardening-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `during` gets the child to close its pipes or signal it. */
function run(args: readonly string[], during: (child: ChildProcess, output: { stdout: string }) => void = () => {}) {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, DEBUG: "" } });
    const output = { stdout: "", stderr: "" };
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output.stdout += chunk;
      during(child, output);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output.stderr += chunk));
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal, ...output }));
    during(child, output);
  });
}

const lines = (text: string) => text.split("\n").filter((line) => line !== "");
/** The stderr lines that report something (not the data layer's "using … / caching …" log lines). */
const reports = (stderr: string) => lines(stderr).filter((line) => line.startsWith("softmax: "));
const noData = ["--offline", "--data-dir", "no-data-here"];
// Relative to the test's directory: the loader finds the system copy and caches its raw files
// there (never --data-dir on the system directory itself, which would write into it).
const realData = ["--offline", "--data-dir", "data"];
const leftovers = (where: string) => readdirSync(where).filter((name) => name.endsWith(".tmp"));

describe("softmax train: output paths are checked before training (exit 2, one line naming the flag)", () => {
  const cases: [string, string[], RegExp][] = [
    ["--out ''", ["--out", ""], /^softmax: --out is empty/],
    ["--plot ''", ["--plot", ""], /^softmax: .*--plot.* (is )?empty/],
    [
      "--out naming a directory",
      ["--out", "."],
      /^softmax: --out \. is a directory; it must name the file for the model/,
    ],
    ["--out ending in /", ["--out", "models/"], /^softmax: --out models\/ is a directory/],
    ["--plot naming a directory", ["--plot", "."], /^softmax: --plot \. is a directory/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => {
      const r = await run(["train", ...args, ...noData]);
      expect(r.status).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stdout).toBe("");
    });
  }
});

describe("softmax train with stderr closed", () => {
  it("a usage error still exits 2, not 1 from an uncaught EPIPE", async () => {
    const r = await run(["train", "--epochs", "0", ...noData], (child) => child.stderr?.destroy());
    expect(r.status).toBe(2);
  });
});

describe.skipIf(!realDataRequired())("softmax train on the real Fashion-MNIST, adversely", () => {
  it("`softmax train --epochs 3 --out F | head -1` leaves a valid F: training goes on without stdout, exit 0", async () => {
    const out = join(dir, "head.safetensors");
    const r = await run(["train", "--epochs", "3", "--out", out, ...realData], (child, output) => {
      if (output.stdout.includes("\n")) child.stdout?.destroy(); // head -1 has its line and goes
    });
    expect(r.status, r.stderr).toBe(0);
    expect(lines(r.stdout)[0]).toMatch(/^epoch 1\/3 /);
    expect(reports(r.stderr)).toEqual(["softmax: stdout was closed; carrying on without it"]);
    const model = await loadModel(out);
    expect(model.metadata.epochs).toBe("3");
    expect(leftovers(dir)).toEqual([]);
  }, 120_000);

  it("a --plot that cannot be written during training is one warning; the model is saved, exit 0", async () => {
    // The check before training passes (the directory is writable), but the temporary file's name,
    // longer than the picture's, is over the 255-byte limit: the write fails with ENAMETOOLONG.
    const plot = join(dir, `${"p".repeat(240)}.png`);
    const out = join(dir, "plot-failed.safetensors");
    const r = await run(["train", "--epochs", "2", "--plot", plot, "--out", out, ...realData]);
    expect(r.status, r.stderr).toBe(0);
    const warnings = reports(r.stderr);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^softmax: warning: cannot write .*p\.png: .*\(ENAMETOOLONG\); no more training curves/,
    );
    expect(lines(r.stderr).at(-1)).toBe(`saved ${out}`);
    expect((await loadModel(out)).metadata.epochs).toBe("2");
  }, 120_000);

  it("--batch-size 1e9 trains on the whole split in one step instead of failing to allocate", async () => {
    const out = join(dir, "full-batch.safetensors");
    const r = await run(["train", "--epochs", "1", "--batch-size", "1e9", "--json", "--out", out, ...realData]);
    expect(r.status, r.stderr).toBe(0);
    expect(reports(r.stderr)).toEqual([]);
    const done = JSON.parse(lines(r.stdout).at(-1)!) as { event: string; test_acc: number };
    expect(done.event).toBe("done");
    // One full-batch step from the initial weights already beats chance (0.1) by far.
    expect(done.test_acc).toBeGreaterThan(0.3);
    expect((await loadModel(out)).metadata.batch_size).toBe("1000000000");
  }, 120_000);

  it("SIGTERM stops after the current step, saves the model trained so far and exits 143", async () => {
    const out = join(dir, "terminated.safetensors");
    let sent = false;
    const r = await run(["train", "--epochs", "50", "--json", "--out", out, ...realData], (child, output) => {
      if (!sent && output.stdout.includes('"event":"epoch"')) {
        sent = true;
        child.kill("SIGTERM");
      }
    });
    expect(r.status, r.stderr).toBe(143);
    expect(reports(r.stderr)).toHaveLength(1);
    const done = /interrupted after (\d+) complete epochs?; saved the model trained so far/.exec(r.stderr);
    expect(done, r.stderr).not.toBeNull();
    expect((await loadModel(out)).metadata.epochs).toBe(done![1]);
    expect(leftovers(dir)).toEqual([]);
  }, 120_000);

  it("a second Ctrl-C while the model is being saved lets the save finish: a valid file, no temporary file, exit 130", async () => {
    const where = mkdtempSync(join(dir, "twice-"));
    const out = join(where, "twice.safetensors");
    let signals = 0;
    const r = await run(["train", "--epochs", "50", "--json", "--out", out, ...realData], (child, output) => {
      // The first once an epoch is reported; the second as soon as the cut-short epoch is reported,
      // which is the moment the save starts.
      if (signals === 0 && output.stdout.includes('"event":"epoch"')) {
        signals = 1;
        child.kill("SIGINT");
      } else if (signals === 1 && output.stdout.includes('"interrupted":true')) {
        signals = 2;
        child.kill("SIGINT");
      }
    });
    expect(r.status, r.stderr).toBe(130);
    expect(leftovers(where)).toEqual([]);
    if (signals === 2) expect((await loadModel(out)).params.weight).toHaveLength(7840);
  }, 120_000);

  it("with stderr closed, training that has a warning to give still saves and exits 0", async () => {
    mkdirSync(join(dir, "quiet"), { recursive: true });
    const out = join(dir, "quiet", "m.safetensors");
    const plot = join(dir, "quiet", `${"q".repeat(240)}.png`);
    const r = await run(["train", "--epochs", "1", "--plot", plot, "--out", out, ...realData], (child) =>
      child.stderr?.destroy(),
    );
    expect(r.status).toBe(0);
    expect((await loadModel(out)).metadata.epochs).toBe("1");
  }, 120_000);
});
