// Preloaded by scripts/cold-start.js into a `softmax train` process (`node --import THIS`): it
// records when the data files are read (the first open of an IDX file to the last close), when
// the WebAssembly kernel is compiled (from the call to its module), and when the worker thread
// starts and reports ready; at exit it writes those moments, Node's own start-up milestones, bin/softmax.js's "modules loaded"
// mark and the CPU time used so far to the file named by $SOFTMAX_COLD_START_FILE, as JSON. Times are milliseconds since the
// process's time origin. It wraps fs/promises' open, WebAssembly.Module and .compile, and Worker without
// changing what they do. Measurement only.
import { writeFileSync } from "node:fs";
import fsPromises from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import workerThreads from "node:worker_threads";

const marks = {};
const once = (name) => {
  marks[name] ??= performance.now();
};

const originalOpen = fsPromises.open;
fsPromises.open = async function open(path, ...rest) {
  const data = /-idx\d-ubyte(\.gz)?$/.test(String(path)); // the dataset's files, not their records
  if (data) once("dataStart");
  const handle = await originalOpen.call(this, path, ...rest);
  if (data) {
    const close = handle.close.bind(handle);
    handle.close = async () => {
      try {
        return await close();
      } finally {
        marks.dataEnd = performance.now(); // the last one wins
      }
    };
  }
  return handle;
};

// The kernel is compiled with WebAssembly.compile (in the background; the end is when its promise
// resolves), other modules with the synchronous constructor; the first compilation is the kernel's.
const OriginalModule = WebAssembly.Module;
WebAssembly.Module = class Module extends OriginalModule {
  constructor(bytes) {
    once("wasmCompileStart");
    super(bytes);
    once("wasmCompileEnd");
  }
};
const originalCompile = WebAssembly.compile;
WebAssembly.compile = async function compile(bytes) {
  once("wasmCompileStart");
  try {
    return await originalCompile.call(this, bytes);
  } finally {
    once("wasmCompileEnd");
  }
};

const OriginalWorker = workerThreads.Worker;
workerThreads.Worker = class Worker extends OriginalWorker {
  constructor(...args) {
    once("workerStart");
    super(...args);
    this.once("online", () => once("workerOnline"));
    this.once("message", () => once("workerReady")); // the kernel's worker posts "ready" first
  }
};
syncBuiltinESMExports(); // so that `import { Worker } from "node:worker_threads"` etc. see the wrappers

process.on("exit", () => {
  const timing = performance.nodeTiming;
  const loaded = performance.getEntriesByName("softmax:modules-loaded")[0];
  writeFileSync(
    process.env.SOFTMAX_COLD_START_FILE,
    JSON.stringify({
      timeOrigin: performance.timeOrigin,
      nodeStart: timing.nodeStart,
      v8Start: timing.v8Start,
      bootstrapComplete: timing.bootstrapComplete,
      modulesLoaded: loaded?.startTime ?? null,
      ...marks,
      exit: performance.now(),
      // CPU time of every thread of the process until now (ms): steadier than wall time on a shared machine.
      cpu: (({ user, system }) => (user + system) / 1000)(process.cpuUsage()),
    }),
  );
});
