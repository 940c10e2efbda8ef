// Shared pieces of the benchmarks (scripts/bench.js, scripts/bench-peers.js): running
// `softmax train` as a child process and collecting its per-epoch times, wall time and peak
// RSS, loading the data once to time it, medians and table formatting. Measurement only.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "bin/softmax.js");

/** The job every run does: the hyperparameters. */
export const JOB = { epochs: 10, lr: 0.1, batchSize: 256, seed: 0 };

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `command args` to completion; resolves with stdout, stderr, status and wall seconds. */
export function run(command, args, env = {}) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (status) => {
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ stdout, stderr, status, wall });
    });
  });
}

/**
 * One `softmax train --epochs 10` process with `--json`: the whole process's wall time, its peak
 * RSS (getrusage maxrss, main thread and workers together, written at exit by a preloaded probe)
 * and the epoch seconds as the CLI prints them (rounded to 0.01 s, hence bench-runner.js).
 */
export async function runOurs(extraArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), "softmax-bench-"));
  const probe = join(dir, "rss-probe.mjs");
  const rssFile = join(dir, "rss");
  writeFileSync(
    probe,
    `import { writeFileSync } from "node:fs";\nprocess.on("exit", () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
  );
  try {
    const args = [
      "--import",
      probe,
      BIN,
      "train",
      "--epochs",
      String(JOB.epochs),
      "--lr",
      String(JOB.lr),
      "--batch-size",
      String(JOB.batchSize),
      "--seed",
      String(JOB.seed),
      "--json",
      "--quiet",
      "--offline",
      "--out",
      join(dir, "model.safetensors"),
      ...extraArgs,
    ];
    const result = await run(process.execPath, args);
    if (result.status !== 0) throw new Error(`softmax train exited with ${result.status}: ${result.stderr.trim()}`);
    const events = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const epochSeconds = events.filter((e) => e.event === "epoch").map((e) => e.seconds);
    const done = events.find((e) => e.event === "done");
    return {
      epochSeconds,
      wall: result.wall,
      peakRssMiB: Number(readFileSync(rssFile, "utf8")) / 1024,
      testAcc: done?.test_acc ?? null,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One scripts/bench-runner.js process: unrounded data-load and per-epoch seconds of the same job, and its wall time. */
export async function runEpochs(extraArgs = []) {
  const result = await run(process.execPath, [join(ROOT, "scripts/bench-runner.js"), ...extraArgs]);
  if (result.status !== 0) throw new Error(`bench-runner exited with ${result.status}: ${result.stderr.trim()}`);
  return { ...JSON.parse(result.stdout), wall: result.wall };
}

/** Median of epochs 2..10 of one run (epoch 1 includes compilation and first-touch costs). */
export function steadyEpoch(epochSeconds) {
  return median(epochSeconds.slice(1));
}

export function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}
