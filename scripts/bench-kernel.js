#!/usr/bin/env node
// The kernel's parts, timed one by one on one thread over the real data (Fashion-MNIST where
// `softmax train` finds it). For each kernel build it trains epochs of SGD (seed 0's init, lr 0.1,
// batch 256, the epochs' shuffles) step by step as main_step does with one thread, and reports
// the milliseconds of CPU per epoch of one thread's share with two threads: the forward pass of
// one half (gather + partial logits), the loss and its gradient (cross-entropy, as the main
// thread runs it), the backward pass + SGD update of one half, and one half of the test
// evaluation's forward pass; also the forward pass alone in file order and over rows drawn from
// 2 000 images that stay in the caches, for the cost of the images' cache misses. The kernels run
// interleaved (A B A B …), and each figure is the minimum over the epochs after the first, of
// process CPU time, so that other tenants of a shared machine inflate it less than wall time.
// Measurement only: it asserts nothing, and drives the kernel's exports directly, as
// wasm-backend.ts does.
//   node scripts/bench-kernel.js [--epochs N] [--kernel plain|fma|both]
//   node --no-liftoff --no-wasm-lazy-compilation --print-wasm-code scripts/bench-kernel.js --compile-only
//     (V8's machine code of both kernels, to count the instructions of the hot loops)
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    epochs: { type: "string", default: "6" },
    kernel: { type: "string", default: "both" },
    "compile-only": { type: "boolean", default: false },
  },
});
const dist = new URL("../dist/", import.meta.url);
const load = (path) => import(new URL(path, dist).href);
const { epochOrder, initParams, loadDataset } = await load("index.js");
const { compileKernel, instantiateKernel, resolveKernel } = await load("kernels/kernel.js");
const { KernelMemory } = await load("kernels/kernel-memory.js");
const { HALF, X_ROW_BYTES } = await load("kernels/abi.js");

const kernels = values.kernel === "both" ? ["plain", "fma"] : [values.kernel];
for (const name of kernels) resolveKernel(name); // turns relaxed SIMD on (Node 20), or fails
if (values["compile-only"]) {
  for (const name of kernels) instantiateKernel(compileKernel(name), new KernelMemory().memory);
  process.exit(0);
}

const BATCH = 256;
/** Images the "rows in cache" forward draws from: 2 000 × 784 bytes stay in the caches. */
const CACHED = 2000;
const data = await loadDataset({ offline: true });
const n = data.train.count;
const cpuMs = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

/** One kernel instance with the data resident and its buffers laid out, as the backend has them. */
function setUp(name) {
  const memory = new KernelMemory();
  const k = instantiateKernel(compileKernel(name), memory.memory);
  // room for the epoch's order and a second one over the first CACHED images only
  memory.ensureCapacity(BATCH, data.test.count, 2 * n);
  const train = memory.makeResident(data.train);
  const test = memory.makeResident(data.test);
  memory.paramsIn(initParams(0));
  const L = memory.layout;
  const order = new Uint32Array(memory.buffer, L.order, n);
  const cached = new Uint32Array(memory.buffer, L.order + 4 * n, n);
  const part1 = L.part + L.partStride;
  const steps = Math.ceil(n / BATCH);
  const count = (s) => Math.min(BATCH, n - s * BATCH);
  const forwardOnly = (orderPtr) => {
    for (let s = 0; s < steps; s++)
      k.forward_partial(train.images, orderPtr, s * BATCH, count(s), 0, L.w[0], L.x[0], X_ROW_BYTES, L.part);
  };
  /** One epoch of SGD as main_step runs it on one thread (both halves), each part's CPU ms added up. */
  const trainEpoch = (spent) => {
    for (let s = 0; s < steps; s++) {
      const start = s * BATCH;
      const B = count(s);
      let t = cpuMs();
      k.forward_partial(train.images, L.order, start, B, 0, L.w[0], L.x[0], X_ROW_BYTES, L.part);
      k.forward_partial(train.images, L.order, start, B, HALF, L.w[1], L.x[1], X_ROW_BYTES, part1);
      spent["forward, shuffled"] += (cpuMs() - t) / 2;
      t = cpuMs();
      k.loss_step(L.part, part1, L.bias[0], train.labels, L.order, start, B, 0, L.g[0], L.out[0], L.scratch, 0);
      k.bias_update(L.g[0], B, L.bias[0], 0.1);
      spent["loss + gradient"] += cpuMs() - t;
      t = cpuMs();
      k.backward_update(L.x[0], B, L.g[0], L.w[0], 0.1, 0, L.norms[0]);
      k.backward_update(L.x[1], B, L.g[0], L.w[1], 0.1, 0, L.norms[1]);
      spent["backward + update"] += (cpuMs() - t) / 2;
    }
  };
  return {
    name,
    best: {},
    epoch(index) {
      order.set(epochOrder(0, index, n));
      cached.set(order.map((i) => i % CACHED));
      const spent = { "forward, shuffled": 0, "loss + gradient": 0, "backward + update": 0 };
      trainEpoch(spent);
      const time = (fn) => {
        const t = cpuMs();
        fn();
        return cpuMs() - t;
      };
      // forward passes alone, for the cost of the images' cache misses (the values do not matter)
      spent["forward, file order"] = time(() => forwardOnly(0));
      spent["forward, rows in cache"] = time(() => forwardOnly(L.order + 4 * n));
      spent["test evaluation forward"] =
        time(() => {
          k.forward_partial(test.images, 0, 0, data.test.count, 0, L.w[0], L.x[0], 0, L.evalPart[0]);
          k.forward_partial(test.images, 0, 0, data.test.count, HALF, L.w[1], L.x[1], 0, L.evalPart[1]);
        }) / 2;
      return spent;
    },
  };
}

const PARTS = [
  "forward, shuffled",
  "forward, file order",
  "forward, rows in cache",
  "loss + gradient",
  "backward + update",
  "test evaluation forward",
];
const runs = kernels.map(setUp);
const epochs = Number(values.epochs);
for (let epoch = 0; epoch < epochs; epoch++) {
  for (const run of runs) {
    const spent = run.epoch(epoch);
    if (epoch > 0) for (const part of PARTS) run.best[part] = Math.min(run.best[part] ?? Infinity, spent[part]);
  }
}
const parts = PARTS;
const width = Math.max(...parts.map((p) => p.length));
process.stderr.write(
  `ms of CPU per epoch, one thread's share (half of the columns), min over epochs 2-${epochs}\n` +
    `${"".padEnd(width)}  ${runs.map((r) => r.name.padStart(7)).join("  ")}\n` +
    parts.map((p) => `${p.padEnd(width)}  ${runs.map((r) => r.best[p].toFixed(2).padStart(7)).join("  ")}`).join("\n") +
    `\n${process.version}\n`,
);
process.stdout.write(`${JSON.stringify(Object.fromEntries(runs.map((r) => [r.name, r.best])))}\n`);
