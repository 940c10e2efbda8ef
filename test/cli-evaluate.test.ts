// End-to-end tests of `softmax evaluate` through the built binary: bad model files (no data
// needed) and, on the real dataset, the report of a model with known weights.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initParams } from "../src/model/softmax-regression.js";
import { encodeModel, saveModel } from "../src/model-file/model-file.js";
import { runCli as runCliBytes } from "./helpers/cli.js";
import {
  assertBuilt,
  CLASS_NAMES,
  classMeanParams,
  predictedClass,
  readRealIdx,
  realDataRequired,
  realTestSplitDir,
  runCli,
} from "./helpers/pictures-cli.js";
import { pngChunkTypes } from "./helpers/raw-png.js";

let dir: string;
beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "softmax-cli-evaluate-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l !== "");
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe("softmax evaluate: bad model files (exit 1, one line, no stack trace)", () => {
  const none = () => ["--offline", "--data-dir", join(dir, "none")];
  it("a missing model", () => {
    const r = runCli(["evaluate", "--model", "nope.safetensors", ...none()], { cwd: dir });
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toBe(
      "softmax: nope.safetensors: no such file (train a model first with `softmax train`, or pass --model FILE)",
    );
  });

  it("a truncated model", () => {
    const path = join(dir, "cut.safetensors");
    writeFileSync(path, encodeModel(initParams(0), {}).subarray(0, 5000));
    const r = runCli(["evaluate", "--model", path, ...none()], { cwd: dir });
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/cut\.safetensors: tensor \w+: data_offsets .* run past/);
  });

  it("a model of the wrong shape", () => {
    const path = join(dir, "shape.safetensors");
    const bytes = encodeModel(initParams(0), {});
    const text = Buffer.from(bytes).toString("latin1").replace('"shape":[10,784]', '"shape":[784,10]');
    writeFileSync(path, Buffer.from(text, "latin1"));
    const r = runCli(["evaluate", "--model", path, ...none()], { cwd: dir });
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toContain("tensor weight has shape [784,10], expected [10,784]");
  });

  it("a usage error exits 2", () => {
    const r = runCli(["evaluate", "--bogus"], { cwd: dir });
    expect(r.status).toBe(2);
    oneLine(r.stderr);
  });
});

describe.skipIf(!realDataRequired())("softmax evaluate on the real test set", () => {
  // A nearest-class-mean model with known weights; the expected report is computed here independently.
  const images = () => readRealIdx("t10k-images-idx3-ubyte", 16);
  const labels = () => readRealIdx("t10k-labels-idx1-ubyte", 8);
  let model: string;
  let expected: { correct: number; confusion: number[][] };
  beforeAll(async () => {
    const trainImages = readRealIdx("train-images-idx3-ubyte", 16);
    const trainLabels = readRealIdx("train-labels-idx1-ubyte", 8);
    const params = classMeanParams(trainImages, trainLabels, 60000);
    model = join(dir, "means.safetensors");
    await saveModel(model, params, { format: "pt" });
    const x = images();
    const y = labels();
    const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
    let correct = 0;
    for (let n = 0; n < 10000; n++) {
      const { best } = predictedClass(params, x.subarray(n * 784, (n + 1) * 784));
      confusion[y[n]!]![best]!++;
      if (best === y[n]) correct++;
    }
    expected = { correct, confusion };
  });

  it("--json gives one evaluation object with accuracy, per-class accuracy, confusion and most confused pairs", () => {
    const r = runCli(["evaluate", "--model", model, "--json", "--offline", "--data-dir", join(dir, "data")], {
      cwd: dir,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const e = JSON.parse(lines[0]!);
    expect(e.event).toBe("evaluation");
    expect(e.count).toBe(10000);
    // Float32 rounding in the library vs float64 here may flip a near-tie or two.
    expect(Math.abs(e.correct - expected.correct)).toBeLessThanOrEqual(3);
    expect(e.test_accuracy).toBe(e.correct / 10000);
    expect(e.classes).toEqual(CLASS_NAMES);
    expect(e.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(10000);
    for (let t = 0; t < 10; t++) {
      for (let p = 0; p < 10; p++)
        expect(Math.abs(e.confusion[t][p] - expected.confusion[t]![p]!)).toBeLessThanOrEqual(3);
      const row = e.confusion[t].reduce((a: number, b: number) => a + b, 0);
      expect(e.per_class_accuracy[CLASS_NAMES[t]!]).toBeCloseTo(e.confusion[t][t] / row, 12);
    }
    expect(e.most_confused).toHaveLength(3);
    const cells = e.most_confused.map((p: { true: string; predicted: string; count: number }) => {
      expect(e.confusion[CLASS_NAMES.indexOf(p.true)][CLASS_NAMES.indexOf(p.predicted)]).toBe(p.count);
      return p.count;
    });
    const offDiagonal = e.confusion.flatMap((row: number[], t: number) => row.filter((_, p) => p !== t));
    offDiagonal.sort((a: number, b: number) => b - a);
    expect(cells).toEqual(offDiagonal.slice(0, 3));
  });

  it("--confusion -: stdout carries the heatmap PNG alone, the report goes to stderr", async () => {
    const r = await runCliBytes(["evaluate", "--model", model, "--confusion", "-", "--offline", "--data-dir", "data"], {
      cwd: dir,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(pngChunkTypes(r.stdoutBytes)).toEqual(expect.arrayContaining(["IHDR", "IDAT", "IEND"]));
    expect(r.stderr).toMatch(/^test accuracy 0\.\d{4} {2}\(\d+\/10000\)\n/);
    expect(r.stderr).toContain("confusion matrix (rows: true class");
  });

  it("reads only the test split: a data directory holding only the t10k files and no system directory will do", async () => {
    const data = realTestSplitDir(join(dir, "test-only"));
    const r = await runCliBytes(["evaluate", "--model", model, "--json", "--offline", "--data-dir", data], {
      cwd: dir,
      env: { SOFTMAX_SYSTEM_DATA_DIR: join(dir, "no-system") },
    });
    expect(r.status, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.count).toBe(10000);
    expect(Math.abs(e.correct - expected.correct)).toBeLessThanOrEqual(3);
    expect(r.stderr).toBe(`decompressing Fashion-MNIST's .gz files in ${data}; caching 8 MB there\n`);
  });

  it("prints an aligned table with class names", () => {
    const r = runCli(["evaluate", "--model", model, "--offline", "--data-dir", join(dir, "data")], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^test accuracy 0\.\d{4} {2}\(\d+\/10000\)\n/);
    const lines = out.split("\n");
    const header = lines.findIndex((l) => l.startsWith("confusion matrix"));
    const table = lines.slice(header + 1, header + 12);
    // Columns are headed by class number; each row names its class after the number (the key).
    expect(table[0]!.trim().split(/\s+/)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    const widths = new Set(table.map((l) => l.length));
    expect(widths.size).toBe(1); // every row as wide as the header: aligned
    for (let t = 0; t < 10; t++) {
      expect(table[t + 1]!.startsWith(`  ${t} ${CLASS_NAMES[t]} `)).toBe(true);
      const counts = table[t + 1]!.slice(`  ${t} ${CLASS_NAMES[t]}`.length).trim().split(/\s+/).map(Number);
      expect(counts).toHaveLength(10);
      for (const [p, n] of counts.entries()) expect(Math.abs(n - expected.confusion[t]![p]!)).toBeLessThanOrEqual(3);
    }
    // An 80-column terminal shows every line without wrapping.
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(out).toContain("most confused (true -> predicted)");
    expect(out).toContain("per-class accuracy");
  });
});
