// End-to-end tests of `softmax train` through the built binary. Usage errors need no data; the
// rest runs on the real Fashion-MNIST (skipped with a printed reason when it is absent, required
// when CI=true), kept short: one epoch per run except the accuracy bar's 10-epoch run.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFashionMnist } from "../src/data/resolve.js";
import { relaxedSimdAvailable } from "../src/kernels/kernel.js";
import { ReferenceBackend } from "../src/model/reference-backend.js";
import { loadModel } from "../src/model-file/model-file.js";
import { evaluateModel } from "../src/train/evaluate.js";
import { besidesDataNotices, runCli as runCliAsync } from "./helpers/cli.js";
import { assertBuilt, BIN, CLASS_NAMES, realDataRequired, runCli } from "./helpers/pictures-cli.js";

let dir: string;
beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "softmax-cli-train-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "");
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe.concurrent("softmax train: usage errors (exit 2, one line naming the flag)", () => {
  const cases: [string[], string][] = [
    [["--epochs", "0"], "--epochs"],
    [["--epochs", "1.5"], "--epochs"],
    [["--lr", "abc"], "--lr"],
    [["--lr", "0"], "--lr"],
    [["--lr", "-0.1"], "--lr"],
    [["--lr", "Infinity"], "--lr"],
    [["--batch-size", "-1"], "--batch-size"],
    [["--batch-size", "0"], "--batch-size"],
    [["--seed", "-1"], "--seed"],
    [["--seed", "1e300"], "--seed"],
    [["--weight-decay", "-0.001"], "--weight-decay"],
    [["--label-smoothing", "1"], "--label-smoothing"],
    [["--label-smoothing", "-0.1"], "--label-smoothing"],
    [["--loss", "squared"], "--loss"],
    [["--schedule", "step"], "--schedule"],
    [["--average", "-1"], "--average"],
    [["--backend", "gpu"], "--backend"],
    [["--threads", "0"], "--threads"],
    [["--no-such-flag"], "--no-such-flag"],
  ];
  for (const [args, flag] of cases) {
    it(`train ${args.join(" ")}`, async ({ expect }) => {
      // Asynchronous (helpers/cli.ts), so that the many quick usage checks run side by side.
      const r = await runCliAsync(["train", ...args, "--offline", "--data-dir", join(dir, "none")], { cwd: dir });
      expect(r.status).toBe(2);
      const lines = r.stderr.split("\n").filter((l) => l !== "");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(flag);
      expect(r.stdout).toBe("");
    });
  }
});

describe("softmax train --resume with a bad model file (exit 1, one line, nothing written)", () => {
  it("rejects a corrupt file", () => {
    const bad = join(dir, "corrupt.safetensors");
    writeFileSync(bad, "not a model at all");
    const out = join(dir, "never.safetensors");
    const r = runCli(["train", "--resume", bad, "--out", out, "--offline", "--data-dir", join(dir, "none")], {
      cwd: dir,
    });
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/^softmax: .*corrupt\.safetensors: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(() => statSync(out)).toThrow();
  });

  it("fails before training when --out cannot be written", () => {
    const r = runCli(
      ["train", "--out", join(dir, "no-such-dir", "m.safetensors"), "--offline", "--data-dir", join(dir, "none")],
      {
        cwd: dir,
      },
    );
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/m\.safetensors: cannot write the model: directory .*no-such-dir does not exist/);
  });

  it("names a missing file", () => {
    const r = runCli(["train", "--resume", "missing.safetensors", "--offline", "--data-dir", join(dir, "none")], {
      cwd: dir,
    });
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toContain("missing.safetensors: no such file");
  });
});

interface Event {
  event: string;
  [key: string]: unknown;
}

function events(stdout: string): Event[] {
  return stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Event);
}

describe.skipIf(!realDataRequired())("softmax train on the real Fashion-MNIST", () => {
  let dataDir: string;
  const data = () => ["--offline", "--data-dir", dataDir];
  beforeAll(() => {
    dataDir = join(dir, "data");
  });

  it("reaches the quality bar on the reference path: --epochs 10 --lr 0.1 --seed 0 gives test acc >= 0.82 and final loss < 0.50", async () => {
    const out = join(dir, "bar.safetensors");
    const args = ["--epochs", "10", "--lr", "0.1", "--seed", "0", "--backend", "reference", "--json", "--out", out];
    const r = runCli(["train", ...args, ...data()], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    const ev = events(r.stdout);
    expect(ev.map((e) => e.event)).toEqual([...new Array(10).fill("epoch"), "done"]);
    const last = ev[9]!;
    expect(last).toMatchObject({ epoch: 10, epochs: 10 });
    expect(last.test_acc as number).toBeGreaterThanOrEqual(0.82);
    expect(last.train_loss as number).toBeLessThan(0.5);
    expect(ev[10]).toMatchObject({ event: "done", model: out, epochs: 10, test_acc: last.test_acc });
    // Evaluated with the backend that trained it, the saved model gives the same accuracy.
    const { params } = await loadModel(out);
    const { test } = await loadFashionMnist({ dataDir, offline: true, onEvent: () => {} });
    expect((await evaluateModel(new ReferenceBackend(), params, test)).accuracy).toBe(last.test_acc);

    // The wasm kernels, same flags and seed: every epoch's numbers agree with the reference's, and
    // the final test accuracy is identical to 4 decimals (issue 5's bar for the fast path).
    const wasmArgs = ["--epochs", "10", "--lr", "0.1", "--seed", "0", "--backend", "wasm", "--json"];
    const w = runCli(["train", ...wasmArgs, "--out", join(dir, "bar-wasm.safetensors"), ...data()], { cwd: dir });
    expect(w.status, w.stderr).toBe(0);
    const wasmEpochs = events(w.stdout).slice(0, 10);
    expect(wasmEpochs.map((e) => (e.test_acc as number).toFixed(4))).toEqual(
      ev.slice(0, 10).map((e) => (e.test_acc as number).toFixed(4)),
    );
    expect(wasmEpochs.map((e) => e.train_loss)).toEqual(ev.slice(0, 10).map((e) => e.train_loss)); // both rounded to 4 decimals
  }, 300_000);

  it("prints one human line per epoch and the saved path; the same flags and seed give a byte-identical file", async () => {
    const a = join(dir, "a.safetensors");
    const b = join(dir, "b.safetensors");
    const ra = runCli(["train", "--epochs", "1", "--seed", "3", "--out", a, ...data()], { cwd: dir });
    const rb = runCli(["train", "--epochs", "1", "--seed", "3", "--out", b, "--threads", "1", ...data()], { cwd: dir });
    expect(ra.status, ra.stderr).toBe(0);
    expect(rb.status, rb.stderr).toBe(0);
    const lines = ra.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^epoch 1\/1 {2}loss \d\.\d{4} {2}train acc 0\.\d{3} {2}test acc 0\.\d{3} {2}\d+\.\d{2}s$/,
    );
    // Not a TTY: no progress line; the notice of the model saved is on stderr (docs/terminal.md).
    expect(besidesDataNotices(ra.stderr)).toBe(`saved ${a}\n`);
    const strip = (s: string) => s.replace(/\d+\.\d+s$/m, "");
    expect(strip(rb.stdout.split("\n")[0]!)).toBe(strip(lines[0]!));
    expect(readFileSync(b)).toEqual(readFileSync(a));
    const model = await loadModel(a);
    expect(model.metadata).toMatchObject({
      format: "pt",
      epochs: "1",
      lr: "0.1",
      batch_size: "256",
      seed: "3",
      weight_decay: "0",
      classes: JSON.stringify(CLASS_NAMES),
      kernel: relaxedSimdAvailable() ? "fma" : "plain", // the kernel that ran: --kernel auto resolved
    });
    expect(Number(model.metadata.test_accuracy)).toBeGreaterThan(0.7);
    const c = join(dir, "plain.safetensors");
    const rc = runCli(["train", "--epochs", "1", "--seed", "3", "--kernel", "plain", "--out", c, ...data()], {
      cwd: dir,
    });
    expect(rc.status, rc.stderr).toBe(0);
    expect((await loadModel(c)).metadata.kernel).toBe("plain");
    // `softmax evaluate` (default backend, as train's) reports exactly the accuracy train recorded.
    const e = runCli(["evaluate", "--model", a, "--json", ...data()], { cwd: dir });
    expect(e.status, e.stderr).toBe(0);
    expect(String(events(e.stdout)[0]!.test_accuracy)).toBe(model.metadata.test_accuracy);
  }, 120_000);

  it("--resume continues the epoch count; 1 + 1 epochs equal 2 at once (--average 0)", () => {
    const once = join(dir, "two.safetensors");
    const half = join(dir, "half.safetensors");
    const args = ["--average", "0", "--seed", "1", "--batch-size", "512", ...data()];
    expect(runCli(["train", "--epochs", "2", "--out", once, ...args], { cwd: dir }).status).toBe(0);
    expect(runCli(["train", "--epochs", "1", "--out", half, ...args], { cwd: dir }).status).toBe(0);
    const r = runCli(["train", "--epochs", "1", "--resume", half, "--out", half, "--json", ...data()], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(events(r.stdout)[0]).toMatchObject({ event: "epoch", epoch: 2, epochs: 2 });
    // The resumed run took --seed, --batch-size and --average from the file, not the defaults.
    expect(readFileSync(half)).toEqual(readFileSync(once));
  }, 120_000);

  it("stops on divergence: exit 1, one line suggesting a smaller --lr, the existing model untouched", () => {
    const out = join(dir, "kept.safetensors");
    writeFileSync(out, "previous model");
    const r = runCli(["train", "--epochs", "1", "--lr", "10", "--weight-decay", "1", "--out", out, ...data()], {
      cwd: dir,
    });
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(
      /^softmax: training diverged in epoch 1: the loss became (NaN|-?Infinity) at step \d+ of 235 \(try a smaller --lr than 10\)$/,
    );
    expect(readFileSync(out, "utf8")).toBe("previous model");
  }, 60_000);

  it("Ctrl-C (SIGINT) stops after the current step, saves the model and exits 130", async () => {
    const out = join(dir, "interrupted.safetensors");
    // Many epochs, so the signal always lands mid-run however fast the backend is.
    const child = spawn(process.execPath, [BIN, "train", "--epochs", "50", "--json", "--out", out, ...data()], {
      cwd: dir,
      env: { ...process.env, DEBUG: "" },
    });
    let stdout = "";
    let stderr = "";
    let signalled = false;
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const status = await new Promise<number | null>((resolve) => {
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        // Interrupt during the second epoch, once the first has been reported.
        if (!signalled && stdout.includes('"event":"epoch"')) {
          signalled = true;
          child.kill("SIGINT");
        }
      });
      child.on("close", (code) => resolve(code));
    });
    expect(status, stderr).toBe(130);
    const line = oneLine(stderr);
    const match =
      /^softmax: interrupted after (\d+) complete epochs?; saved the model trained so far to .*interrupted\.safetensors \(continue with --resume .*\)$/.exec(
        line,
      );
    expect(match, line).not.toBeNull();
    const done = Number(match![1]);
    expect(done).toBeGreaterThanOrEqual(1);
    expect(done).toBeLessThan(50);
    const ev = events(stdout);
    expect(ev.at(-1)).toMatchObject({ event: "done", interrupted: true, epochs: done, model: out });
    // The epoch that was cut short is reported as such (unless the signal fell between two epochs).
    const lastEpoch = ev.at(-2)!;
    if (lastEpoch.interrupted === true) expect(lastEpoch).toMatchObject({ event: "epoch", epoch: done + 1 });
    else expect(lastEpoch).toMatchObject({ event: "epoch", epoch: done });
    const model = await loadModel(out);
    expect(model.metadata.epochs).toBe(String(done));
  }, 120_000);
});
