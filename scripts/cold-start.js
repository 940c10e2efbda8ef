#!/usr/bin/env node
// Where the time of a whole `softmax train --epochs 10 --lr 0.1` process goes outside the epochs.
// It runs the CLI (bin/softmax.js, --json) with scripts/cold-start-probe.js preloaded, after one
// warm-up process (page cache, the data cache, Node's compile cache), and splits each process's
// wall time with the probe's marks (Node's start-up milestones, bin/softmax.js's "modules loaded"
// mark, the data files' reads, the WebAssembly compilation, the worker's start) and the moments
// the NDJSON epoch and done lines reach this process. Some of these overlap (the worker may start
// while the data loads), so each is a duration of its own:
//   exec              spawn → the child's time origin (exec, dynamic linking of node)
//   node start        time origin → Node's bootstrap complete
//   modules           bootstrap → the CLI's module graph loaded (includes the ~1 ms probe)
//   data load         first open of an IDX file → its last close (reads of the cached raw files)
//   wasm compile      WebAssembly.compile of the kernel (V8's background threads, while the data loads)
//   worker start      new Worker → the worker thread reports ready (2 threads only)
//   to epoch 1        modules loaded → the later of data loaded, kernel compiled, worker ready
//   epoch 1           → epoch 1's line (copies into the wasm memory, JIT tiers, epoch 1)
//   epochs 2-10       epoch 1's line → epoch 10's line
//   save              epoch 10's line → the done line (metadata, atomic write of the model)
//   close             done line → the process's exit event (backend close, the event loop drains)
//   teardown          exit event → the process is gone (Node's and the worker's teardown)
// and "epoch 1 extra" = epoch 1 − the median of epochs 2–10 (what the first epoch costs on top);
// "cpu to exit" is the CPU time of all the process's threads up to the exit event, which swings
// less than wall time when other processes share the cores.
// exec + node start + modules + to epoch 1 + epoch 1 + epochs 2-10 + save + close + teardown = wall.
// Medians over the processes; JSON on stdout, a table on stderr. Measurement only.
// Usage: node scripts/cold-start.js [--runs N] [--threads N] [--no-compile-cache] [--node-flags="--flag ..."]
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { JOB, median, ROOT, table } from "./bench-lib.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    threads: { type: "string", default: "2" },
    "no-compile-cache": { type: "boolean", default: false },
    // Node/V8 flags for the CLI process, to try a cut before making it (e.g. --no-wasm-dynamic-tiering).
    "node-flags": { type: "string", default: "" },
  },
});
const RUNS = Number(values.runs);
const PROBE = join(ROOT, "scripts/cold-start-probe.js");
const now = () => performance.timeOrigin + performance.now();

/** One CLI process: the probe's marks and the arrival time of each NDJSON line, in the child's clock (ms since its time origin). */
function runOnce() {
  const dir = mkdtempSync(join(tmpdir(), "softmax-cold-start-"));
  const marksFile = join(dir, "marks.json");
  const args = [
    ...values["node-flags"].split(" ").filter((flag) => flag !== ""),
    "--import",
    PROBE,
    join(ROOT, "bin/softmax.js"),
    "train",
    ...["--epochs", String(JOB.epochs), "--lr", String(JOB.lr), "--batch-size", String(JOB.batchSize)],
    ...["--seed", String(JOB.seed), "--threads", values.threads],
    ...["--json", "--quiet", "--offline", "--out", join(dir, "model.safetensors")],
  ];
  const env = { ...process.env, SOFTMAX_COLD_START_FILE: marksFile };
  if (values["no-compile-cache"]) env.NODE_DISABLE_COMPILE_CACHE = "1";
  return new Promise((resolve, reject) => {
    const spawned = now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    const lines = [];
    let pending = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      const at = now();
      pending += chunk;
      const parts = pending.split("\n");
      pending = parts.pop();
      for (const line of parts) if (line.trim() !== "") lines.push({ at, event: JSON.parse(line) });
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (status) => {
      const closed = now();
      try {
        if (status !== 0) throw new Error(`softmax train exited with ${status}: ${stderr.trim()}`);
        const marks = JSON.parse(readFileSync(marksFile, "utf8"));
        const clock = (t) => t - marks.timeOrigin; // this process's wall clock → the child's
        resolve({
          marks,
          spawned: clock(spawned),
          closed: clock(closed),
          epochs: lines.filter((l) => l.event.event === "epoch").map((l) => clock(l.at)),
          done: clock(lines.find((l) => l.event.event === "done").at),
        });
      } catch (error) {
        reject(error);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/** Phase durations (ms) of one run. */
function phases(run) {
  const m = run.marks;
  const epochs = run.epochs;
  const ready = Math.max(m.dataEnd, m.wasmCompileEnd, m.workerReady ?? 0);
  const steady = median(epochs.slice(1).map((t, i) => t - epochs[i]));
  return {
    exec: -run.spawned,
    "node start": m.bootstrapComplete,
    modules: m.modulesLoaded - m.bootstrapComplete,
    "data load": m.dataEnd - m.dataStart,
    "wasm compile": m.wasmCompileEnd - m.wasmCompileStart,
    "worker start": m.workerReady === undefined ? 0 : m.workerReady - m.workerStart,
    "to epoch 1": ready - m.modulesLoaded,
    "epoch 1": epochs[0] - ready,
    "epochs 2-10": epochs.at(-1) - epochs[0],
    save: run.done - epochs.at(-1),
    close: m.exit - run.done,
    teardown: run.closed - m.exit,
    wall: run.closed - run.spawned,
    "cpu to exit": m.cpu,
    "epoch 1 extra": epochs[0] - ready - steady,
    "steady epoch": steady,
  };
}

await runOnce(); // warm-up
const runs = [];
for (let i = 0; i < RUNS; i++) runs.push(phases(await runOnce()));
const names = Object.keys(runs[0]);
const medians = Object.fromEntries(names.map((n) => [n, median(runs.map((r) => r[n]))]));
const outside = medians.wall - medians["epochs 2-10"] - medians["steady epoch"];
const result = {
  date: new Date().toISOString(),
  machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version },
  job: { ...JOB, threads: Number(values.threads) },
  compile_cache: !values["no-compile-cache"],
  node_flags: values["node-flags"],
  runs: RUNS,
  median_ms: medians,
  outside_epochs_ms: outside,
  per_run_ms: runs,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.stderr.write(
  `${table(
    ["phase", "ms (median)"],
    names.map((n) => [n, medians[n].toFixed(1)]),
  )}\noutside the 10 epochs' steady-state time: ${outside.toFixed(0)} ms of ${medians.wall.toFixed(0)} ms\n` +
    `${result.machine.cpu}, ${result.machine.cores} cores, Node ${process.version}, ${values.threads} threads, ` +
    `compile cache ${result.compile_cache ? "on where Node has it" : "off"}` +
    `${values["node-flags"] ? `, node flags ${values["node-flags"]}` : ""}; ${RUNS} processes\n`,
);
