// Shared by the predict and show end-to-end tests: running the built binary, finding the real
// dataset, and a model made in the test from known values (a nearest-class-mean classifier).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Params } from "../../src/types.js";

export const ROOT = join(import.meta.dirname, "..", "..");
export const BIN = join(ROOT, "bin", "softmax.js");
export const SYSTEM_DATA = "/usr/share/datasets/fashion-mnist";

const FILES = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
];

/** Whether the real dataset is installed; when CI=true its absence is a failure, not a skip. */
export function realDataPresent(): boolean {
  return FILES.every((name) => existsSync(join(SYSTEM_DATA, `${name}.gz`)) || existsSync(join(SYSTEM_DATA, name)));
}

export function realDataRequired(): boolean {
  const present = realDataPresent();
  if (!present && process.env.CI !== "true") {
    console.log(`skipping real-data tests: Fashion-MNIST not found in ${SYSTEM_DATA} (install dataset-fashion-mnist)`);
  }
  return present || process.env.CI === "true";
}

/** The built CLI must exist (npm test builds first). */
export function assertBuilt(): void {
  if (!existsSync(join(ROOT, "dist", "cli", "main.js"))) {
    throw new Error("dist/cli/main.js is missing: run `npm run build` before the CLI tests");
  }
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `softmax ...args` to completion. */
export function runCli(args: readonly string[], options: { cwd: string; input?: Buffer }): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    input: options.input,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", DEBUG: "" },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** One IDX file of the real dataset, as bytes after its header. */
export function readRealIdx(name: string, headerBytes: number): Uint8Array {
  const gz = join(SYSTEM_DATA, `${name}.gz`);
  const bytes = existsSync(gz) ? gunzipSync(readFileSync(gz)) : readFileSync(join(SYSTEM_DATA, name));
  return bytes.subarray(headerBytes);
}

/**
 * A data directory at `dir` holding only the real test split's two files (copied, as the system
 * directory has them), for the commands that must not need the training split.
 */
export function realTestSplitDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const name of FILES.filter((file) => file.startsWith("t10k-"))) {
    const file = existsSync(join(SYSTEM_DATA, `${name}.gz`)) ? `${name}.gz` : name;
    copyFileSync(join(SYSTEM_DATA, file), join(dir, file));
  }
  return dir;
}

/**
 * A linear classifier with known weights: W_c = mean image of class c, b_c = −|mean_c|²/2, so that the
 * argmax of XWᵀ + b is the nearest class mean. Good enough to be right on most images and wrong on some.
 */
export function classMeanParams(images: Uint8Array, labels: Uint8Array, count: number): Params {
  const weight = new Float32Array(10 * 784);
  const seen = new Float64Array(10);
  const sums = new Float64Array(10 * 784);
  for (let n = 0; n < count; n++) {
    const c = labels[n]!;
    seen[c]!++;
    for (let i = 0; i < 784; i++) sums[c * 784 + i]! += images[n * 784 + i]! / 255;
  }
  const bias = new Float32Array(10);
  for (let c = 0; c < 10; c++) {
    let squared = 0;
    for (let i = 0; i < 784; i++) {
      const mean = sums[c * 784 + i]! / Math.max(1, seen[c]!);
      weight[c * 784 + i] = mean;
      squared += mean * mean;
    }
    bias[c] = -squared / 2;
  }
  return { weight, bias };
}

/** Argmax of XWᵀ + b for one image of bytes, computed here independently of the library, and its lead over the runner-up. */
export function predictedClass(params: Params, pixels: Uint8Array): { best: number; margin: number } {
  const scores = Array.from({ length: 10 }, (_, c) => {
    let score = params.bias[c]!;
    for (let i = 0; i < 784; i++) score += params.weight[c * 784 + i]! * (pixels[i]! / 255);
    return score;
  });
  const order = scores.map((_, c) => c).sort((a, b) => scores[b]! - scores[a]!);
  return { best: order[0]!, margin: scores[order[0]!]! - scores[order[1]!]! };
}

/** The ten class names in label order, written out here as independent truth for the tests. */
export const CLASS_NAMES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];
