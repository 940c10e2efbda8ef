// End-to-end tests of `softmax compare` (and of `train --validation`) through the built binary.
// Usage errors need no data; the rest runs on the real Fashion-MNIST (skipped with a reason when
// it is absent, required when CI=true), kept short: one or two epochs, except the one comparison
// of the three losses over 10 epochs that the accuracy figures of docs/experiments.md come from.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { timeLeft } from "../src/cli/compare.js";
import { assertBuilt, BIN, realDataRequired } from "./helpers/pictures-cli.js";

let dir: string;
beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "softmax-cli-compare-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; `during` may close the child's stdout once it has written something. */
function run(args: readonly string[], during: (child: ChildProcess, stdout: string) => void = () => {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, DEBUG: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      during(child, stdout);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

type Event = Record<string, unknown> & { event: string };
const lines = (text: string) => text.split("\n").filter((line) => line !== "");
const events = (stdout: string) => lines(stdout).map((line) => JSON.parse(line) as Event);
const noData = ["--offline", "--data-dir", "no-data-here"];
// The data directory is the test's own ("data" in its temp dir, empty): the loader finds the system
// copy there (never --data-dir on the system directory itself, which would write into it).
const realData = ["--offline", "--data-dir", "data"];
interface Summary {
  runs: Event[];
  best: string;
  chosen_by: string;
}
/** The one summary event, last of `all`. */
function summaryOf(all: Event[]): Summary {
  expect(all.filter((e) => e.event === "summary")).toHaveLength(1);
  expect(all.at(-1)?.event).toBe("summary");
  return all.at(-1) as unknown as Summary;
}
/** An event without its timing, to compare figures between two processes. */
const figures = ({ seconds: _, ...rest }: Event): Record<string, unknown> => rest;

describe("timeLeft: the comparison's time left, in the format of train's ETA", () => {
  it.each([
    [10, 0, 4, ""],
    [10, 1, 4, ", about 0:30 left"],
    // 119.5 s left rounds to 2:00 (the minutes carry; never "1m60s").
    [119.5, 1, 2, ", about 2:00 left"],
    [65, 1, 2, ", about 1:05 left"],
  ])("%s s for %s of %s epochs: %j", (elapsed, done, total, text) => {
    expect(timeLeft(elapsed, done, total)).toBe(text);
  });
});

describe.concurrent("softmax compare: usage errors (exit 2, one line naming the flag)", () => {
  const cases: [string[], string][] = [
    [["--lr", "0.1,abc"], "--lr"],
    [["--lr", "0.1,0.1"], "--lr lists 0.1 twice"],
    [["--loss", "cross-entropy,l1"], "--loss"],
    [["--batch-size", "64,"], "--batch-size"],
    [["--seed", Array.from({ length: 65 }, (_, i) => i).join(",")], "65 --seed make 65 runs, more than 64"],
    [["--lr", "0.1,0.2,0.3,0.4", "--seed", Array.from({ length: 17 }, (_, i) => i).join(",")], "more than 64"],
    [["--validation", "-1"], "--validation"],
    [["--epochs", "0"], "--epochs"],
    // --plot is checked as train's is: a PNG name, not empty, not a directory.
    [["--plot", "runs.jpg"], "runs.jpg ends in .jpg, but pictures are written as PNG"],
    [["--plot", ""], "--plot"],
    [["--plot", "."], "--plot . is a directory; it must name the file for the comparison curves"],
  ];
  for (const [args, message] of cases) {
    it(`compare ${args.join(" ").slice(0, 60)}`, async () => {
      const r = await run(["compare", ...args, ...noData]);
      expect(r.status).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe("");
    });
  }
});

describe.skipIf(!realDataRequired())("softmax compare on the real Fashion-MNIST", () => {
  it("the three losses over 10 epochs: one summary, accuracy bars, mse's epoch-1 gradient norm below cross-entropy's, a PNG", async () => {
    const plot = join(dir, "losses.png");
    const r = await run([
      "compare",
      "--loss",
      "cross-entropy,mse,hinge",
      "--epochs",
      "10",
      "--json",
      "--plot",
      plot,
      ...realData,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const all = events(r.stdout);
    const summary = summaryOf(all);
    expect(summary.runs.map((run) => run.run)).toEqual(["loss=cross-entropy", "loss=mse", "loss=hinge"]);
    const testAcc = Object.fromEntries(summary.runs.map((run) => [run.loss, run.test_acc as number]));
    expect(testAcc["cross-entropy"]).toBeGreaterThanOrEqual(0.82);
    expect(testAcc.hinge).toBeGreaterThanOrEqual(0.8);
    expect(testAcc.mse).toBeGreaterThanOrEqual(0.78);
    expect(summary.chosen_by).toBe("test");
    const bestAcc = Math.max(...(Object.values(testAcc) as number[]));
    expect(testAcc[summary.best.slice("loss=".length)]).toBe(bestAcc);
    // Every epoch event is train's, with the run's label and settings.
    const epochs = all.filter((e) => e.event === "epoch");
    expect(epochs).toHaveLength(30);
    for (const e of epochs) {
      expect(e).toMatchObject({ run: `loss=${e.loss}`, batch_size: 256, seed: 0, epochs: 10 });
      expect(e.grad_norm).toBeGreaterThan(0);
    }
    const firstNorm = (loss: string) => epochs.find((e) => e.loss === loss && e.epoch === 1)!.grad_norm as number;
    expect(firstNorm("mse")).toBeLessThan(firstNorm("cross-entropy"));
    const png = PNG.sync.read(readFileSync(plot));
    expect(png.width).toBeGreaterThan(300);
  }, 300_000);

  // --kernel plain on both: compare runs every run on the kernel it is given (not auto's choice).
  it("a run gives the figures and the model bytes of the same `softmax train`", async () => {
    const outDir = join(dir, "models");
    const compared = await run([
      "compare",
      "--loss",
      "cross-entropy,mse",
      "--weight-decay",
      "0.0001",
      "--kernel",
      "plain",
      "--epochs",
      "2",
      "--json",
      "--out-dir",
      outDir,
      ...realData,
    ]);
    expect(compared.status, compared.stderr).toBe(0);
    expect(readdirSync(outDir).sort()).toEqual(["loss=cross-entropy.safetensors", "loss=mse.safetensors"]);
    const out = join(dir, "mse.safetensors");
    const trained = await run([
      "train",
      "--loss",
      "mse",
      "--weight-decay",
      "0.0001",
      "--kernel",
      "plain",
      "--epochs",
      "2",
      "--json",
      "--threads",
      "1",
      "--out",
      out,
      ...realData,
    ]);
    expect(trained.status, trained.stderr).toBe(0);
    const fromCompare = events(compared.stdout).filter((e) => e.event === "epoch" && e.loss === "mse");
    const fromTrain = events(trained.stdout).filter((e) => e.event === "epoch");
    // Each of train's fields (but the timing) has the same value in compare's event.
    expect(
      fromCompare.map((e, i) => Object.fromEntries(Object.keys(figures(fromTrain[i]!)).map((key) => [key, e[key]]))),
    ).toEqual(fromTrain.map(figures));
    const summary = summaryOf(events(compared.stdout));
    const done = events(trained.stdout).at(-1)!;
    expect(summary.runs[1]!.test_acc).toBe(done.test_acc);
    expect(readFileSync(join(outDir, "loss=mse.safetensors")).equals(readFileSync(out))).toBe(true);
  }, 300_000);

  it("--lr 0.03,0.1,0.3 --validation 10000: three runs with val_acc, the best chosen on it; the table says so", async () => {
    const args = ["compare", "--lr", "0.03,0.1,0.3", "--validation", "10000", "--epochs", "1", ...realData];
    const r = await run([...args, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const all = events(r.stdout);
    for (const e of all.filter((x) => x.event === "epoch")) {
      expect(e.val_acc).toBeGreaterThan(0.5);
      expect(e).not.toHaveProperty("test_acc");
      expect(e.validation).toBe(10000);
    }
    const summary = summaryOf(all);
    expect(summary.runs.map((run) => run.run)).toEqual(["lr=0.03", "lr=0.1", "lr=0.3"]);
    for (const run of summary.runs) expect(run.val_acc).toBeGreaterThan(0.5);
    expect(summary.chosen_by).toBe("validation");
    const best = summary.runs.reduce((a, b) => ((b.val_acc as number) > (a.val_acc as number) ? b : a));
    expect(summary.best).toBe(best.run);

    const table = await run(args);
    expect(table.status, table.stderr).toBe(0);
    const rows = lines(table.stdout);
    expect(rows[0]).toMatch(/^lr\s+train loss\s+train acc\s+val acc\s+test acc\s+grad norm\s+seconds$/);
    expect(rows).toHaveLength(4);
    expect(rows.filter((row) => row.endsWith("best"))).toEqual([rows[1 + summary.runs.indexOf(best)]]);
    expect(table.stdout).not.toContain("the test set chose it");
  }, 300_000);

  it("--validation beyond the training set is a usage error naming the flag", async () => {
    const r = await run(["compare", "--validation", "60000", ...realData]);
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain("--validation 60000");
  });

  it("outlives a closed stdout: `compare --json | head -1` goes on, saves every model, exits 0", async () => {
    const outDir = join(dir, "headless");
    const r = await run(
      ["compare", "--lr", "0.1,0.2", "--epochs", "2", "--json", "--out-dir", outDir, ...realData],
      (child, stdout) => {
        if (stdout.includes("\n")) child.stdout?.destroy();
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(outDir).sort()).toEqual(["lr=0.1.safetensors", "lr=0.2.safetensors"]);
    expect(r.stderr).toContain("stdout was closed; carrying on without it");
  }, 120_000);
});

describe.skipIf(!realDataRequired())("softmax train --validation on the real Fashion-MNIST", () => {
  it("--validation 5000 --json: val_acc in each epoch event, test_acc once, in the done event", async () => {
    const r = await run([
      "train",
      "--validation",
      "5000",
      "--epochs",
      "2",
      "--json",
      "--out",
      join(dir, "v.safetensors"),
      ...realData,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const all = events(r.stdout);
    expect(all.map((e) => e.event)).toEqual(["epoch", "epoch", "done"]);
    for (const e of all.slice(0, 2)) {
      expect(e.val_acc).toBeGreaterThan(0.7);
      expect(e).not.toHaveProperty("test_acc");
    }
    expect(all[2]!.test_acc).toBeGreaterThan(0.7);
  }, 120_000);

  it("prints val acc per epoch and the test accuracy once at the end", async () => {
    const r = await run([
      "train",
      "--validation",
      "5000",
      "--epochs",
      "1",
      "--out",
      join(dir, "v1.safetensors"),
      ...realData,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^epoch 1\/1 {2}loss \d\.\d{4} {2}train acc 0\.\d{3} {2}val acc 0\.\d{3} {2}\d+\.\d\ds$/);
    expect(out[1]).toMatch(/^test acc 0\.\d{3} {2}\(scored once, after training\)$/);
  }, 120_000);

  it("--validation 60000 leaves nothing to train on: a usage error naming the flag", async () => {
    const r = await run(["train", "--validation", "60000", "--out", join(dir, "never.safetensors"), ...realData]);
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain("--validation 60000");
  });
});
