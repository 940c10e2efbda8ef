#!/usr/bin/env node
// One benchmark process: what `softmax train --epochs 10 --lr 0.1 --batch-size 256` runs (its
// defaults included, such as tail averaging over the last epoch), through the built library
// (dist/index.js, as a program using the library would), timed without rounding: data-load seconds, then the seconds of every
// epoch (training pass + test evaluation, as the training loop measures them). Prints one JSON
// object. Arguments: --backend NAME, --threads N, --kernel auto|plain|fma. Used by bench.js and bench-peers.js.
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    threads: { type: "string" },
    kernel: { type: "string", default: "auto" },
  },
});
const dist = new URL("../dist/", import.meta.url);
const { createBackend, DEFAULT_HYPERPARAMETERS, initParams, loadDataset, train } = await import(
  new URL("index.js", dist).href
);

const threads = values.threads === undefined ? Math.min(2, availableParallelism()) : Number(values.threads);
// As `softmax train` does: the backend first (its worker starts while the files are read), then
// the data where train finds it without flags ($SOFTMAX_DATA_DIR, else the per-user cache), read
// straight into the backend's memory where it has one (Backend.allocate).
const backend = await createBackend(values.backend, { threads, kernel: values.kernel });
const loadStarted = performance.now();
const data = await loadDataset({ offline: true, allocate: backend.allocate?.bind(backend) });
const loadSeconds = (performance.now() - loadStarted) / 1000;
const epochSeconds = [];
try {
  const result = await train(
    backend,
    data,
    initParams(0),
    {
      epochs: 10,
      batchSize: 256,
      lr: 0.1,
      weightDecay: 0,
      labelSmoothing: 0,
      loss: "cross-entropy",
      seed: 0,
      schedule: "constant",
      average: DEFAULT_HYPERPARAMETERS.average, // as `softmax train` does: the last epoch runs step by step
      kernel: values.kernel,
    },
    { onEpoch: (report) => epochSeconds.push(report.seconds) },
  );
  process.stdout.write(
    `${JSON.stringify({ backend: values.backend, kernel: backend.kernel, threads, loadSeconds, epochSeconds, testAcc: result.testAccuracy })}\n`,
  );
} finally {
  await backend.close();
}
