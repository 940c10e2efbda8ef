#!/usr/bin/env node
// `npm run bench:peers`: the same job (10 epochs of Fashion-MNIST, lr 0.1, batch 256, then the
// test accuracy after each epoch) in this program and in its peers on the machine, interleaved
// round by round (A B C D, A B C D, ...) so that a change in the machine's load hits all of them:
//   ours        scripts/bench-runner.js (wasm backend, 2 threads and 1 thread), and the whole
//               `softmax train --epochs 10` process (its wall time)
//   native      scripts/peer_native.c   (C, AVX2 + FMA, 2 threads and 1: the hardware's own speed)
//   numpy       scripts/peer_numpy.py   (vectorised float32, one BLAS thread)
//   torch       scripts/peer_torch.py   (nn.Linear + CrossEntropyLoss + SGD, 1 and 2 threads)
// with /usr/bin/python3 (Debian's python3-numpy and python3-torch) and gcc + zlib1g-dev for the
// native reference; a peer whose tools are missing is skipped with a note. For each: the median
// over rounds of the median seconds per epoch over epochs 2–10, the median whole-process wall
// time, and the ratio peer/ours (how many times faster ours is). JSON on stdout, a table and the
// issue's goals as measured ratios on stderr. Measurement only, except that the native reference
// must show it trains (epoch-1 loss < 0.9, test accuracy > 0.8) or the run fails.
// Usage: node scripts/bench-peers.js [ROUNDS] [--skip NAME]...   (default 3 rounds; --skip leaves out
// the contenders whose name starts with NAME, e.g. --skip "torch (2": on a busy machine PyTorch's
// two OpenMP threads spin against the others and one run can take minutes)
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { median, ROOT, run, runEpochs, runOurs, steadyEpoch, table } from "./bench-lib.js";

const { values: flags, positionals } = parseArgs({
  options: { skip: { type: "string", multiple: true, default: [] } },
  allowPositionals: true,
});
const ROUNDS = Number(positionals[0] ?? 3);
const { dataDirFor, FASHION_MNIST, systemDirFor } = await import(new URL("../dist/index.js", import.meta.url).href);
// The peers read the data where `softmax train` finds it: its data directory, then the system one.
process.env.PEER_DATA_DIRS = [dataDirFor(FASHION_MNIST, undefined), systemDirFor(FASHION_MNIST)]
  .filter((dir) => dir !== null)
  .join(":");
const PYTHON = "/usr/bin/python3";
const NATIVE_SOURCE = join(ROOT, "scripts/peer_native.c");
const NATIVE_FLAGS = ["-O3", "-march=native", "-pthread"];
const notes = [];

/** Runs a peer program that prints one JSON object; rejects with its stderr on failure. */
async function peer(command, args, label) {
  const result = await run(command, args);
  if (result.status !== 0) throw new Error(`${label} exited with ${result.status}: ${result.stderr.trim()}`);
  return { ...JSON.parse(result.stdout), wall: result.wall };
}

/** True when `python3 -c "import MODULE"` works; otherwise notes why the peer is skipped. */
async function pythonHas(module, debianPackage) {
  if (!existsSync(PYTHON)) {
    notes.push(`skipped ${module}: ${PYTHON} not found (Debian: apt-get install ${debianPackage})`);
    return false;
  }
  const result = await run(PYTHON, ["-c", `import ${module}`]);
  if (result.status === 0) return true;
  notes.push(`skipped ${module}: it does not import (Debian: apt-get install ${debianPackage})`);
  return false;
}

/**
 * Compiles peer_native.c with gcc for this CPU into a cache directory named for the source, the
 * flags and the compiler (so a changed source or gcc rebuilds it). Returns the binary's path, or
 * null (with a note) when gcc or zlib's header is missing.
 */
async function buildNative() {
  const version = await run("gcc", ["--version"]).catch(() => null);
  if (version === null || version.status !== 0) {
    notes.push("skipped the native reference: gcc not found (Debian: apt-get install gcc zlib1g-dev)");
    return null;
  }
  const key = createHash("sha256")
    .update(readFileSync(NATIVE_SOURCE))
    .update(NATIVE_FLAGS.join(" "))
    .update(version.stdout)
    .digest("hex")
    .slice(0, 16);
  const dir = join(tmpdir(), "softmax-bench-native");
  const binary = join(dir, `peer_native-${key}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}.part`;
  const result = await run("gcc", [...NATIVE_FLAGS, NATIVE_SOURCE, "-lz", "-lm", "-o", partial]);
  if (result.status !== 0) {
    const missingZlib = result.stderr.includes("zlib.h");
    notes.push(
      `skipped the native reference: gcc failed${missingZlib ? " (zlib.h missing: apt-get install zlib1g-dev)" : ""}: ${result.stderr.trim().split("\n")[0]}`,
    );
    return null;
  }
  renameSync(partial, binary);
  return binary;
}

/** The native reference must compute the real thing: a plausible loss and accuracy. */
function checkNative(result) {
  const loss = result.trainLoss?.[0];
  if (!(loss < 0.9) || !(result.testAcc > 0.8))
    throw new Error(
      `native reference does not train: epoch-1 loss ${loss}, test accuracy ${result.testAcc} (expected < 0.9 and > 0.8)`,
    );
  return result;
}

const native = await buildNative();
const hasNumpy = await pythonHas("numpy", "python3-numpy");
const hasTorch = await pythonHas("torch", "python3-torch");
const python = (script, args = []) => peer(PYTHON, [join(ROOT, "scripts", script), ...args], script);
const nativeRun = (threads) => peer(native, ["--threads", String(threads)], "peer_native").then(checkNative);

const OURS = "ours (wasm, 2 threads)";
const NATIVE = "native C (2 threads)";
const NUMPY = "numpy (1 BLAS thread)";
const CLI = "ours: softmax train (whole process)";
const contenders = [
  { name: OURS, go: () => runEpochs(["--threads", "2"]) },
  { name: "ours (wasm, 1 thread)", go: () => runEpochs(["--threads", "1"]) },
  // The CLI's epoch seconds are rounded to 0.01 s: this row is here for its wall time.
  { name: CLI, go: () => runOurs(["--threads", "2"]) },
  ...(native
    ? [
        { name: NATIVE, go: () => nativeRun(2) },
        { name: "native C (1 thread)", go: () => nativeRun(1) },
      ]
    : []),
  ...(hasNumpy ? [{ name: NUMPY, go: () => python("peer_numpy.py") }] : []),
  ...(hasTorch
    ? [
        { name: "torch (1 thread)", go: () => python("peer_torch.py", ["--threads", "1"]) },
        { name: "torch (2 threads)", go: () => python("peer_torch.py", ["--threads", "2"]) },
      ]
    : []),
];

const skipped = contenders.filter((c) => flags.skip.some((prefix) => c.name.startsWith(prefix)));
for (const c of skipped) {
  contenders.splice(contenders.indexOf(c), 1);
  notes.push(`skipped ${c.name}: --skip`);
}

async function blasInUse() {
  if (!hasNumpy) return "none";
  const result = await run(PYTHON, [
    "-c",
    "import numpy, os; print(os.path.realpath('/usr/lib/x86_64-linux-gnu/libblas.so.3'))",
  ]);
  return result.stdout.trim() || "unknown";
}

await runEpochs(); // warm-up: page cache, decompressed-data cache
if (native) await nativeRun(2); // warm-up, and the check that it trains before anything is timed
const samples = new Map(contenders.map((c) => [c.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const contender of contenders) {
    const result = await contender.go();
    samples.get(contender.name).push({ steady: steadyEpoch(result.epochSeconds), ...result });
    process.stderr.write(
      `round ${round + 1}/${ROUNDS}: ${contender.name} ${steadyEpoch(result.epochSeconds).toFixed(4)} s/epoch, ${result.wall.toFixed(2)} s wall\n`,
    );
  }
}

const medianOf = (name, pick) => (samples.has(name) ? median(samples.get(name).map(pick)) : null);
const ours = medianOf(OURS, (s) => s.steady);
const rows = contenders.map((c) => {
  const runs = samples.get(c.name);
  const epoch = median(runs.map((s) => s.steady));
  return {
    name: c.name,
    epoch_seconds_median: epoch,
    samples_per_second: Math.round(60000 / epoch),
    load_seconds_median: c.name === CLI ? null : median(runs.map((s) => s.loadSeconds)),
    wall_seconds_median: median(runs.map((s) => s.wall)),
    test_acc: runs[0]?.testAcc ?? null,
    peer_over_ours: epoch / ours,
    rounds: runs.map((s) => s.steady),
  };
});
const ratio = (a, b) => (a === null || b === null ? null : a / b);
// The same ratios within each round (its contenders ran one after the other): the spread says how
// far the medians can be trusted on a machine whose load changes from minute to minute.
const byRound = (a, b, pick) =>
  samples.has(a) && samples.has(b) ? samples.get(a).map((s, round) => pick(s) / pick(samples.get(b)[round])) : null;
const steady = (s) => s.steady;
const goalsByRound = {
  ours_over_native: byRound(OURS, NATIVE, steady),
  numpy_over_ours: byRound(NUMPY, OURS, steady),
  cli_wall_over_numpy_wall: byRound(CLI, NUMPY, (s) => s.wall),
};
const goals = {
  // per epoch, 2 threads each: ours / native C (goal ≤ 2.0)
  ours_over_native: ratio(
    ours,
    medianOf(NATIVE, (s) => s.steady),
  ),
  // per epoch: numpy / ours (goal ≥ 2.5)
  numpy_over_ours: ratio(
    medianOf(NUMPY, (s) => s.steady),
    ours,
  ),
  // whole process: `softmax train --epochs 10` wall / the NumPy script's wall (goal ≤ 0.5)
  cli_wall_over_numpy_wall: ratio(
    medianOf(CLI, (s) => s.wall),
    medianOf(NUMPY, (s) => s.wall),
  ),
};
const result = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version, blas: await blasInUse() },
  native: native ? { isa: samples.get(NATIVE)[0].isa, flags: NATIVE_FLAGS.join(" ") } : null,
  rounds: ROUNDS,
  contenders: rows,
  goals,
  goals_by_round: goalsByRound,
  notes,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
const f = (x, digits) => (x === null ? "n/a" : x.toFixed(digits));
const rounds = (list) => (list === null ? "" : `; by round ${list.map((x) => x.toFixed(2)).join(" ")}`);
process.stderr.write(
  `${table(
    ["contender", "s/epoch (median)", "samples/s", "load (s)", "wall (s)", "test acc", "epoch / ours"],
    rows.map((r) => [
      r.name,
      // the CLI's NDJSON gives epoch seconds to 0.01
      r.epoch_seconds_median.toFixed(r.name === CLI ? 2 : 4),
      r.samples_per_second,
      f(r.load_seconds_median, 3),
      r.wall_seconds_median.toFixed(2),
      r.test_acc === null ? "" : r.test_acc.toFixed(4),
      r.peer_over_ours.toFixed(2),
    ]),
  )}\n` +
    `ours per epoch = ${f(goals.ours_over_native, 2)}× the native reference (goal <= 2.0${rounds(goalsByRound.ours_over_native)})\n` +
    `NumPy per epoch = ${f(goals.numpy_over_ours, 2)}× ours (goal >= 2.5${rounds(goalsByRound.numpy_over_ours)})\n` +
    `whole softmax train = ${f(goals.cli_wall_over_numpy_wall, 2)}× the whole NumPy script (goal <= 0.5${rounds(goalsByRound.cli_wall_over_numpy_wall)})\n` +
    `${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, BLAS ${result.machine.blas}` +
    `${native ? `, native ${result.native.isa} (gcc ${NATIVE_FLAGS.join(" ")})` : ""}; ${ROUNDS} rounds, epochs 2-10\n` +
    notes.map((n) => `note: ${n}\n`).join(""),
);
