// `softmax predict` end to end, through the built binary: TSV and NDJSON on stdout, the prediction
// grid (decoded and checked cell by cell), own PNG files and stdin, bad inputs and flags, and a
// reader that closes the pipe early.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveModel } from "../src/model-file/model-file.js";
import { DEFAULT_SCALE, gridPictureOrigin, itemPicture } from "../src/pictures/grid.js";
import { predictionItem } from "../src/pictures/predictions.js";
import type { Params } from "../src/types.js";
import { besidesDataNotices, runCli as runCliAsync } from "./helpers/cli.js";
import {
  assertBuilt,
  BIN,
  CLASS_NAMES,
  classMeanParams,
  predictedClass,
  readRealIdx,
  realDataRequired,
  realTestSplitDir,
  runCli,
} from "./helpers/pictures-cli.js";
import { decodeRgba, encodeRawPng, grayPng } from "./helpers/raw-png.js";

let dir: string;
let model: string;
let data: string;

/** A model that is not trained but fixed: class c responds to a different stripe of the image. */
function stripeParams(): Params {
  const weight = new Float32Array(10 * 784);
  for (let c = 0; c < 10; c++)
    for (let i = 0; i < 784; i++) weight[c * 784 + i] = Math.floor(i / 28) % 10 === c ? 0.05 : -0.01;
  return { weight, bias: new Float32Array(10) };
}

/**
 * A light item on black (bytes, 28×28), full height and centred like the dataset's items: rows 10..19
 * bright, so the stripe model leans to some classes.
 */
function item(): Uint8Array {
  const pixels = new Uint8Array(784);
  for (let y = 0; y < 28; y++) for (let x = 6; x < 22; x++) pixels[y * 28 + x] = y >= 10 && y < 20 ? 230 : 90 + y;
  return pixels;
}

/** The same item dark on light, k times larger, as 8-bit RGB. */
function invertedRgb(pixels: Uint8Array, k: number): Buffer {
  const side = 28 * k;
  const samples = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++)
      samples.fill(
        255 - pixels[Math.floor(y / k) * 28 + Math.floor(x / k)]!,
        (y * side + x) * 3,
        (y * side + x) * 3 + 3,
      );
  }
  return encodeRawPng({ width: side, height: side, colorType: 2, bitDepth: 8, samples });
}

function tsvRows(stdout: string): string[][] {
  return stdout
    .trimEnd()
    .split("\n")
    .map((line) => line.split("\t"));
}

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "softmax-predict-"));
  data = join(dir, "data");
  model = join(dir, "stripes.safetensors");
  await saveModel(model, stripeParams(), { classes: JSON.stringify(CLASS_NAMES) });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("softmax predict: flags", () => {
  it.each([
    [["--n", "0"], "--n"],
    [["--n", "abc"], "--n"],
    [["--offset", "-1"], "--offset"],
    [["--offset", "1.5"], "--offset"],
    [["--split", "validation"], "--split"],
    [["--scale", "0"], "--scale"],
    [["--scale", "17"], "--scale"],
    [["--cols", "0"], "--cols"],
    [["--bogus"], "--bogus"],
  ])("%j exits 2 with one line naming %s", (args, flag) => {
    const result = runCli(["predict", "--model", model, ...args], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(flag);
  });

  it("refuses dataset flags together with image files (exit 2)", () => {
    writeFileSync(join(dir, "flag.png"), grayPng(28, 28, item()));
    const result = runCli(["predict", "--model", model, "--n", "3", "flag.png"], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^softmax: --n selects dataset images/);
  });

  it("names a missing model file (exit 1)", () => {
    const result = runCli(["predict", "--model", "missing.safetensors", "x.png"], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^softmax: missing\.safetensors: no such file .*\n$/);
  });

  it("prints help with examples", () => {
    const result = runCli(["predict", "--help"], { cwd: dir });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("index<TAB>true<TAB>pred<TAB>confidence");
    expect(result.stdout).toContain("Examples:");
  });
});

describe("softmax predict IMAGE.png", () => {
  it("classifies a dark-on-light RGB PNG 5× larger as the 28×28 original, with the same confidence", () => {
    writeFileSync(join(dir, "small.png"), grayPng(28, 28, item()));
    writeFileSync(join(dir, "large.png"), invertedRgb(item(), 5));
    const result = runCli(["predict", "--model", model, "small.png", "large.png"], { cwd: dir });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const [header, small, large] = tsvRows(result.stdout);
    expect(header).toEqual(["index", "true", "pred", "confidence"]);
    expect(small).toEqual(["small.png", "", small![2], small![3]]);
    expect(CLASS_NAMES).toContain(small![2]);
    expect(small![3]).toMatch(/^[01]\.\d{3}$/);
    expect(large).toEqual(["large.png", "", small![2], small![3]]);
  });

  it("forced --no-invert changes the dark-on-light image's input, and --json reports it", () => {
    const auto = runCli(["predict", "--model", model, "--json", "large.png"], { cwd: dir });
    const kept = runCli(["predict", "--model", model, "--json", "--no-invert", "large.png"], { cwd: dir });
    const a = JSON.parse(auto.stdout);
    const k = JSON.parse(kept.stdout);
    expect(a).toMatchObject({ event: "prediction", index: "large.png", true: null, correct: null, inverted: true });
    expect(k.inverted).toBe(false);
    expect(k.top3).not.toEqual(a.top3);
  });

  it("reads 16-bit and palette PNGs, and one PNG from stdin with -", () => {
    const samples16 = Array.from(item(), (v) => v * 257);
    writeFileSync(
      join(dir, "deep.png"),
      encodeRawPng({ width: 28, height: 28, colorType: 0, bitDepth: 16, samples: samples16 }),
    );
    const palette = Array.from({ length: 256 }, (_, v) => [v, v, v] as const);
    writeFileSync(
      join(dir, "pal.png"),
      encodeRawPng({ width: 28, height: 28, colorType: 3, bitDepth: 8, samples: item(), palette }),
    );
    const result = runCli(["predict", "--model", model, "small.png", "deep.png", "pal.png", "-"], {
      cwd: dir,
      input: grayPng(28, 28, item()),
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const rows = tsvRows(result.stdout).slice(1);
    expect(rows.map((row) => row[0])).toEqual(["small.png", "deep.png", "pal.png", "-"]);
    for (const row of rows) expect(row.slice(1)).toEqual(rows[0]!.slice(1));
  });

  it.each([
    ["notpng.png", Buffer.from("hello, I am text\n"), /^softmax: notpng\.png is not a PNG image/],
    ["cut.png", grayPng(28, 28, item()).subarray(0, 60), /^softmax: cut\.png is a damaged or truncated PNG/],
    ["bomb.png", null, /^softmax: bomb\.png is 100000×100000 pixels/],
    ["nothere.png", undefined, /^softmax: nothere\.png: no such file/],
  ])("fails on %s with exit 1 and one line naming the file; the good file is still classified and drawn", (name, bytes, pattern) => {
    if (bytes === null) {
      // Only the signature and IHDR: a 33-byte file claiming 100000×100000 pixels.
      const ihdr = Buffer.alloc(13);
      ihdr.writeUInt32BE(100_000, 0);
      ihdr.writeUInt32BE(100_000, 4);
      ihdr[8] = 8;
      const header = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
      writeFileSync(join(dir, name), Buffer.concat([header, ihdr, Buffer.alloc(4)]));
    } else if (bytes !== undefined) {
      writeFileSync(join(dir, name), bytes);
    }
    const out = `good-of-${name}`;
    const result = runCli(["predict", "--model", model, "small.png", name, "--out", out], { cwd: dir });
    expect(result.status).toBe(1);
    // Own images are read one at a time (docs/pictures.md): the good one's row and picture, the bad one's error line.
    expect(
      result.stdout
        .split("\n")
        .slice(1, -1)
        .map((row) => row.split("\t")[0]),
    ).toEqual(["small.png"]);
    const stderr = result.stderr.trimEnd().split("\n");
    expect(stderr).toHaveLength(2);
    expect(stderr[0]).toMatch(pattern);
    expect(stderr[1]).toBe(`wrote ${out}`);
    expect(readdirSync(dir).filter((file) => file.startsWith(out))).toEqual([out]);
  });

  it("draws own images titled by file name with --out, reported on stderr (or as a file event with --json)", () => {
    const args = ["predict", "--model", model, "--out", "own.png", "--scale", "2", "small.png", "large.png"];
    const human = runCli(args, { cwd: dir });
    expect(human.status).toBe(0);
    expect(human.stderr).toBe("wrote own.png\n");
    const json = runCli([...args, "--json"], { cwd: dir });
    expect(json.stderr).toBe("");
    const events = json.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    const decoded = decodeRgba(readFileSync(join(dir, "own.png")));
    expect(events[2]).toMatchObject({ event: "file", kind: "predictions", path: "own.png", width: decoded.width });
    const items = events.slice(0, 2).map((event) =>
      predictionItem({
        picture: itemPicture(item()),
        label: event.index,
        predictedClass: event.pred,
        confidence: event.confidence,
      }),
    );
    // Both cells hold the item as the model saw it: bright rows 10..19, columns 6..21, each pixel 2×2.
    for (const index of [0, 1]) {
      const origin = gridPictureOrigin(items, index, { scale: 2 });
      expect(decoded.at(origin.x + 2 * 10, origin.y + 2 * 12 + 1)).toEqual([230, 230, 230]);
      expect(decoded.at(origin.x + 2 * 2, origin.y + 2 * 2)).toEqual([0, 0, 0]);
      expect(decoded.at(origin.x + 2 * 6 + 1, origin.y + 2 * 3)).toEqual([93, 93, 93]);
    }
  });
});

describe.runIf(realDataRequired())("softmax predict on Fashion-MNIST", () => {
  let params: Params;
  let testImages: Uint8Array;
  let testLabels: Uint8Array;
  let meanModel: string;

  beforeAll(async () => {
    const trainImages = readRealIdx("train-images-idx3-ubyte", 16);
    const trainLabels = readRealIdx("train-labels-idx1-ubyte", 8);
    testImages = readRealIdx("t10k-images-idx3-ubyte", 16);
    testLabels = readRealIdx("t10k-labels-idx1-ubyte", 8);
    params = classMeanParams(trainImages, trainLabels, 6000);
    meanModel = join(dir, "means.safetensors");
    await saveModel(meanModel, params, { classes: JSON.stringify(CLASS_NAMES) });
  });

  const dataFlags = () => ["--model", meanModel, "--offline", "--data-dir", data];

  it("prints a TSV table of the first 6 test images: true and predicted class, confidence", () => {
    const result = runCli(["predict", ...dataFlags()], { cwd: dir });
    expect(besidesDataNotices(result.stderr)).toBe("");
    expect(result.status).toBe(0);
    const rows = tsvRows(result.stdout);
    expect(rows[0]).toEqual(["index", "true", "pred", "confidence"]);
    expect(rows).toHaveLength(7);
    rows.slice(1).forEach((row, i) => {
      expect(row[0]).toBe(String(i));
      expect(row[1]).toBe(CLASS_NAMES[testLabels[i]!]);
      const expected = predictedClass(params, testImages.subarray(i * 784, (i + 1) * 784));
      if (expected.margin > 1e-3) expect(row[2]).toBe(CLASS_NAMES[expected.best]);
      expect(row[3]).toMatch(/^[01]\.\d{3}$/);
    });
  });

  it("reads only the split it predicts: the t10k files alone do for the test split, not for --split train", async () => {
    const testOnly = realTestSplitDir(join(dir, "test-only"));
    const env = { SOFTMAX_SYSTEM_DATA_DIR: join(dir, "no-system") };
    const flags = ["--model", meanModel, "--offline", "--data-dir", testOnly];
    const result = await runCliAsync(["predict", ...flags, "--quiet"], { cwd: dir, env });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(
      tsvRows(result.stdout)
        .slice(1)
        .map((row) => row[1]),
    ).toEqual(Array.from(testLabels.subarray(0, 6), (label) => CLASS_NAMES[label]));
    const train = await runCliAsync(["predict", ...flags, "--split", "train"], { cwd: dir, env });
    expect(train.status).toBe(1);
    expect(train.stderr).toContain(
      `softmax: Fashion-MNIST not found: train-images-idx3-ubyte, train-labels-idx1-ubyte missing from ${testOnly} and`,
    );
  });

  it("prints NDJSON prediction events with the top 3 classes, from --offset in --split", () => {
    const result = runCli(["predict", ...dataFlags(), "--json", "--n", "3", "--offset", "100", "--split", "train"], {
      cwd: dir,
    });
    expect(result.status).toBe(0);
    const trainLabels = readRealIdx("train-labels-idx1-ubyte", 8);
    const events = result.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events.map((event) => event.index)).toEqual([100, 101, 102]);
    for (const event of events) {
      expect(event.event).toBe("prediction");
      expect(event.true).toBe(CLASS_NAMES[trainLabels[event.index]!]);
      expect(event.top3).toHaveLength(3);
      expect(event.top3[0]).toEqual({ class: event.pred, probability: event.confidence });
      expect(event.top3[0].probability).toBeGreaterThanOrEqual(event.top3[1].probability);
      expect(event.top3[1].probability).toBeGreaterThanOrEqual(event.top3[2].probability);
      expect(event.correct).toBe(event.true === event.pred);
    }
  });

  it("draws the grid: each cell holds its test image at the right scale, wrong predictions titled in red", () => {
    const n = 12;
    const result = runCli(["predict", ...dataFlags(), "--n", String(n), "--out", "predictions.png", "--json"], {
      cwd: dir,
    });
    expect(result.status).toBe(0);
    const lines = result.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    const predictions = lines.filter((event) => event.event === "prediction");
    const file = lines.at(-1);
    expect(predictions).toHaveLength(n);
    const decoded = decodeRgba(readFileSync(join(dir, "predictions.png")));
    expect(file).toMatchObject({ event: "file", kind: "predictions", path: "predictions.png" });
    expect([file.width, file.height]).toEqual([decoded.width, decoded.height]);

    const items = predictions.map((p, i) =>
      predictionItem({
        picture: itemPicture(testImages.subarray(i * 784, (i + 1) * 784)),
        trueClass: p.true,
        predictedClass: p.pred,
        confidence: p.confidence,
      }),
    );
    // Default layout: 12 images → 2 rows of 6.
    expect(gridPictureOrigin(items, 6).x).toBe(gridPictureOrigin(items, 0).x);
    const wrong = predictions.map((p) => !p.correct);
    expect(wrong).toContain(true);
    expect(wrong).toContain(false);
    for (let i = 0; i < n; i++) {
      const origin = gridPictureOrigin(items, i);
      for (const [x, y] of [
        [0, 0],
        [13, 14],
        [27, 27],
        [5, 20],
      ] as const) {
        const v = testImages[i * 784 + y * 28 + x]!;
        expect(decoded.at(origin.x + x * DEFAULT_SCALE + 1, origin.y + y * DEFAULT_SCALE + 2)).toEqual([v, v, v]);
      }
      let red = 0;
      for (let y = origin.y + 28 * DEFAULT_SCALE; y < origin.y + 28 * DEFAULT_SCALE + 34; y++) {
        for (let x = origin.x - 4; x < origin.x + 28 * DEFAULT_SCALE + 4; x++) {
          const [r, g, b] = decoded.at(x, y);
          if (r > 150 && g < 80 && b < 80) red++;
        }
      }
      expect(red > 0, `cell ${i}: ${predictions[i].true} → ${predictions[i].pred}`).toBe(wrong[i]);
    }
  });

  it("predicts the same for real test images saved as 28×28 gray PNGs and as dark-on-light RGB 5× larger", () => {
    const names: string[] = [];
    for (const index of [0, 1, 2, 3]) {
      const pixels = testImages.subarray(index * 784, (index + 1) * 784);
      writeFileSync(join(dir, `test${index}.png`), grayPng(28, 28, pixels));
      writeFileSync(join(dir, `test${index}-large.png`), invertedRgb(pixels, 5));
      names.push(`test${index}.png`, `test${index}-large.png`);
    }
    const result = runCli(["predict", "--model", meanModel, "--json", ...names], { cwd: dir });
    expect(result.status).toBe(0);
    const events = result.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events).toHaveLength(8);
    for (let i = 0; i < 8; i += 2) {
      expect(events[i].inverted).toBe(false);
      expect(events[i + 1].inverted).toBe(true);
      expect(events[i + 1].pred).toBe(events[i].pred);
      expect(events[i + 1].confidence).toBeCloseTo(events[i].confidence, 4);
    }
  });

  it("refuses --offset and --n beyond the split (exit 2, naming the flag)", () => {
    const pastEnd = runCli(["predict", ...dataFlags(), "--offset", "9998", "--n", "5"], { cwd: dir });
    expect(pastEnd.status).toBe(2);
    expect(pastEnd.stderr).toMatch(
      /^softmax: --n: images 9998\.\.10002 go past the end of the test split \(10000 images\)/,
    );
    const offset = runCli(["predict", ...dataFlags(), "--offset", "10000"], { cwd: dir });
    expect(offset.status).toBe(2);
    expect(offset.stderr).toMatch(/^softmax: --offset:/);
  });

  it("ends quietly with status 0 when the reader closes the pipe: predict --n 10000 | head -1", () => {
    const shell = spawnSync(
      "bash",
      [
        "-c",
        `set -o pipefail; "${process.execPath}" "${BIN}" predict ${dataFlags().join(" ")} --n 10000 2>err.txt | head -1`,
      ],
      { cwd: dir, encoding: "utf8" },
    );
    expect(shell.stdout).toBe("index\ttrue\tpred\tconfidence\n");
    expect(shell.status).toBe(0);
    expect(readFileSync(join(dir, "err.txt"), "utf8")).toBe("");
  });

  it("ends quietly when the reader goes away after the first NDJSON line", async () => {
    const child = spawn(process.execPath, [BIN, "predict", ...dataFlags(), "--json", "--n", "10000"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    let first = "";
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (chunk: Buffer) => {
        first += chunk.toString();
        if (first.includes("\n")) {
          child.stdout.destroy();
          resolve();
        }
      });
    });
    const status = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    expect(JSON.parse(first.split("\n")[0]!).event).toBe("prediction");
    expect(status).toBe(0);
    expect(stderr).toBe("");
  });
});
