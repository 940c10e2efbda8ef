#!/usr/bin/env node
// Thin launcher: everything lives in dist/cli (built from src/cli by `npm run build`), loaded as
// one bundled file, dist/softmax-cli.js (scripts/bundle-cli.js).
// Where Node has it (≥ 22.1), the on-disk compile cache lets later runs skip parsing and
// compiling the CLI's modules (in the OS temp dir; NODE_DISABLE_COMPILE_CACHE=1 turns it off).
// The modules are imported only after it is enabled, hence the dynamic import.
import module from "node:module";
import { availableParallelism } from "node:os";

module.enableCompileCache?.();
// The commands that may train or evaluate on two threads start the wasm backend's worker thread
// first: Node takes ~90 ms here to start a thread, which then overlaps the loading of the CLI's
// modules, and the thread is ready to touch the pages of the data files as they are read in
// (docs/performance.md, "Where the time of a run goes"). The backend adopts it; main releases it otherwise (e.g.
// --threads 1). Imported from its own small module, not the bundle, which is what loads meanwhile.
const args = process.argv.slice(2);
const kernelThread =
  ["train", "evaluate", "compare"].includes(args[0]) && availableParallelism() >= 2
    ? new (await import("../dist/kernels/worker-thread.js")).KernelThread()
    : undefined;
const { main } = await import("../dist/softmax-cli.js");
// For scripts/cold-start.js: the moment the CLI's module graph is loaded (a no-op otherwise).
performance.mark("softmax:modules-loaded");

main(args, { kernelThread }).then((code) => {
  process.exitCode = code;
  // The command has finished everything it does. Exiting now, rather than letting Node free the
  // heaps, the kernel's memory and the code pages one by one, saves ~50 ms of teardown on a VM
  // where every unmapped page costs (docs/performance.md). Only when stdout and stderr hold no
  // queued bytes: writes to a pipe may still be pending (asynchronous on POSIX), and those go out
  // before the natural exit.
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) {
    module.flushCompileCache?.(); // written at a natural exit; process.exit skips that
    process.exit(code);
  }
});
