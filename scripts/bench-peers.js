#!/usr/bin/env node
// `npm run bench:peers`: the same job (10 epochs of Fashion-MNIST, lr 0.1, batch 256, then the
// test accuracy after each epoch) in this program and in its peers on the machine, interleaved
// round by round (A B C D, A B C D, ...) so that a change in the machine's load hits all of them:
//   ours        scripts/bench-runner.js (wasm backend, default threads, and 1 thread)
//   numpy       scripts/peer_numpy.py   (vectorised float32, one BLAS thread)
//   torch       scripts/peer_torch.py   (nn.Linear + CrossEntropyLoss + SGD, 1 and 2 threads)
// with /usr/bin/python3 (Debian's python3-numpy and python3-torch). For each: the median over
// rounds of the median seconds per epoch over epochs 2–10, and the ratio peer/ours (how many
// times faster ours is). JSON on stdout, a table on stderr. Measurement only.
// Usage: node scripts/bench-peers.js [ROUNDS]   (default 3)
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { median, ROOT, run, runEpochs, steadyEpoch, table } from "./bench-lib.js";

const ROUNDS = Number(process.argv[2] ?? 3);
const PYTHON = "/usr/bin/python3";

async function python(script, args = []) {
  const result = await run(PYTHON, [join(ROOT, "scripts", script), ...args]);
  if (result.status !== 0) throw new Error(`${script} exited with ${result.status}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout);
}

async function blasInUse() {
  const result = await run(PYTHON, [
    "-c",
    "import numpy, os; print(os.path.realpath('/usr/lib/x86_64-linux-gnu/libblas.so.3'))",
  ]);
  return result.stdout.trim() || "unknown";
}

const contenders = [
  { name: "ours (wasm, 2 threads)", go: () => runEpochs(["--threads", "2"]) },
  { name: "ours (wasm, 1 thread)", go: () => runEpochs(["--threads", "1"]) },
  { name: "numpy (1 BLAS thread)", go: () => python("peer_numpy.py") },
  { name: "torch (1 thread)", go: () => python("peer_torch.py", ["--threads", "1"]) },
  { name: "torch (2 threads)", go: () => python("peer_torch.py", ["--threads", "2"]) },
];

if (!existsSync(PYTHON)) throw new Error(`${PYTHON} not found: install python3-numpy and python3-torch`);
await runEpochs(); // warm-up: page cache, decompressed-data cache
const samples = new Map(contenders.map((c) => [c.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const contender of contenders) {
    const result = await contender.go();
    samples.get(contender.name).push({ steady: steadyEpoch(result.epochSeconds), ...result });
    process.stderr.write(
      `round ${round + 1}/${ROUNDS}: ${contender.name} ${steadyEpoch(result.epochSeconds).toFixed(4)} s/epoch\n`,
    );
  }
}

const ours = median(samples.get(contenders[0].name).map((s) => s.steady));
const rows = contenders.map((c) => {
  const runs = samples.get(c.name);
  const epoch = median(runs.map((s) => s.steady));
  return {
    name: c.name,
    epoch_seconds_median: epoch,
    samples_per_second: Math.round(60000 / epoch),
    load_seconds_median: median(runs.map((s) => s.loadSeconds)),
    test_acc: runs[0]?.testAcc ?? null,
    peer_over_ours: epoch / ours,
    rounds: runs.map((s) => s.steady),
  };
});
const result = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version, blas: await blasInUse() },
  rounds: ROUNDS,
  contenders: rows,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.stderr.write(
  `${table(
    ["contender", "s/epoch (median)", "samples/s", "load (s)", "test acc", "× slower than ours"],
    rows.map((r) => [
      r.name,
      r.epoch_seconds_median.toFixed(4),
      r.samples_per_second,
      r.load_seconds_median.toFixed(3),
      r.test_acc === null ? "" : r.test_acc.toFixed(4),
      r.peer_over_ours.toFixed(2),
    ]),
  )}\n${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, BLAS ${result.machine.blas}; ${ROUNDS} rounds, epochs 2-10\n`,
);
