#!/usr/bin/env node
// `npm run bench:compare`: how `softmax compare` should use the two cores, and what it costs.
// Round by round (so a change in the machine's load hits every contender), it times:
//   A  two runs at once, one thread each: two `softmax train --threads 1` processes side by side;
//   B  the same two runs one after another on two threads each (`--threads 2`), as compare does;
//   C  `softmax compare --seed 0,1` itself (the two runs of A and B in one process);
//   D  `softmax compare --loss cross-entropy,mse,hinge` against E, one `softmax train`.
// Every run is the bench job (10 epochs, lr 0.1, batch 256). Wall seconds of whole processes,
// median over rounds; JSON on stdout, a table on stderr. Measurement only; it asserts nothing.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { median, ROOT, run, table } from "./bench-lib.js";

const ROUNDS = Number(process.argv[2] ?? 3);
const BIN = join(ROOT, "bin/softmax.js");
const dir = mkdtempSync(join(tmpdir(), "softmax-bench-compare-"));
const job = ["--epochs", "10", "--lr", "0.1", "--batch-size", "256", "--quiet", "--offline"];

async function softmax(args) {
  const result = await run(process.execPath, [BIN, ...args]);
  if (result.status !== 0) throw new Error(`softmax ${args[0]} exited with ${result.status}: ${result.stderr.trim()}`);
  return result.wall;
}

async function timed(work) {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const train = (seed, threads) =>
  softmax([
    "train",
    ...job,
    "--seed",
    String(seed),
    "--threads",
    String(threads),
    "--out",
    join(dir, `${seed}.safetensors`),
  ]);

const contenders = {
  "A two at once, 1 thread each": () => timed(() => Promise.all([train(0, 1), train(1, 1)])),
  "B one at a time, 2 threads": () => timed(async () => (await train(0, 2)) + (await train(1, 2))),
  "C softmax compare --seed 0,1": () => softmax(["compare", ...job, "--seed", "0,1"]),
  "D softmax compare --loss cross-entropy,mse,hinge": () =>
    softmax(["compare", ...job, "--loss", "cross-entropy,mse,hinge"]),
  "E softmax train (one run)": () => train(0, 2),
};

try {
  await train(0, 2); // warm-up: page cache, decompressed-data cache
  const seconds = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++)
    for (const [name, contender] of Object.entries(contenders)) seconds[name].push(await contender());
  const medians = Object.fromEntries(Object.entries(seconds).map(([name, values]) => [name, median(values)]));
  const e = medians["E softmax train (one run)"];
  const result = {
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version },
    rounds: ROUNDS,
    wall_seconds: seconds,
    wall_seconds_median: medians,
    compare_three_losses_over_one_train: medians["D softmax compare --loss cross-entropy,mse,hinge"] / e,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  const rows = Object.entries(medians).map(([name, m]) => [
    name,
    m.toFixed(2),
    (m / e).toFixed(2),
    seconds[name].map((s) => s.toFixed(2)).join(" "),
  ]);
  process.stderr.write(`${table(["contender", "median s", "× E", "rounds"], rows)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
