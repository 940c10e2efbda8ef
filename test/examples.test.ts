// The scripts of examples/ run as a user's program would: from another directory, importing the
// package by name ("softmax", linked into node_modules by the `softmax: file:.` devDependency and
// resolved to the built dist/). The model the first one saves through the library must be one that
// `softmax train --resume` continues.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, ROOT, realDataRequired } from "./helpers/pictures-cli.js";

// Relative to the test's directory: the loader finds the system copy and caches its raw files
// there (never the system directory itself as the data directory, which would write into it).
const DATA_DIR = "data";

let dir: string;
beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "softmax-examples-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(script: string, args: readonly string[]) {
  return spawnSync(process.execPath, [join(ROOT, "examples", script), ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, SOFTMAX_DATA_DIR: DATA_DIR, DEBUG: "" },
  });
}

function pngSize(path: string): { width: number; height: number } {
  const bytes = readFileSync(path);
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe("examples/ type-check", () => {
  it("against the package's published types (dist/index.d.ts), as an editor would check them", () => {
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const options = ["--noEmit", "--allowJs", "--checkJs", "--module", "nodenext", "--target", "es2022"];
    const files = ["train-and-predict.mjs", "draw-pictures.mjs"].map((name) => join(ROOT, "examples", name));
    const r = spawnSync(process.execPath, [tsc, ...options, "--types", "node", "--skipLibCheck", ...files], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  }, 120_000);
});

describe.skipIf(!realDataRequired())("examples/", () => {
  it("train-and-predict.mjs trains 3 epochs, saves a model --resume accepts, and predicts five test images", () => {
    const model = join(dir, "example.safetensors");
    const r = run("train-and-predict.mjs", [model]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 3).map((line) => line.split("  ")[0])).toEqual(["epoch 1/3", "epoch 2/3", "epoch 3/3"]);
    expect(Number(/test acc (\S+)/.exec(lines[2]!)![1])).toBeGreaterThan(0.78);
    expect(lines[3]).toBe(`saved ${model}`);
    const predictions = lines.slice(4).map((line) => line.split("\t"));
    expect(predictions).toHaveLength(5);
    // The first test image is an ankle boot; a 3-epoch model gets it right with high confidence.
    expect(predictions[0]!.slice(0, 3)).toEqual(["0", "Ankle boot", "Ankle boot"]);
    for (const [, , , confidence] of predictions) expect(Number(confidence)).toBeGreaterThan(0.1);

    const resumed = spawnSync(
      process.execPath,
      [BIN, "train", "--resume", model, "--epochs", "1", "--out", join(dir, "resumed.safetensors"), "--json"],
      { cwd: dir, encoding: "utf8", env: { ...process.env, SOFTMAX_DATA_DIR: DATA_DIR, DEBUG: "" } },
    );
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout.split("\n")[0]!)).toMatchObject({ event: "epoch", epoch: 4, epochs: 4 });

    const pictures = run("draw-pictures.mjs", [dir, model]);
    expect(pictures.status, pictures.stderr).toBe(0);
    expect(pictures.stdout).toBe(`wrote ${join(dir, "test-images.png")}\nwrote ${join(dir, "weights.png")}\n`);
    expect(pngSize(join(dir, "test-images.png")).width).toBeGreaterThan(10 * 28 * 2);
    expect(pngSize(join(dir, "weights.png")).width).toBeGreaterThan(28);
  }, 180_000);

  it("draw-pictures.mjs without a model draws the test images only", () => {
    const out = mkdtempSync(join(dir, "only-"));
    const r = run("draw-pictures.mjs", [out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`wrote ${join(out, "test-images.png")}\n`);
  }, 60_000);
});
