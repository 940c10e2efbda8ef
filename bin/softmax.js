#!/usr/bin/env node
// Thin launcher: everything lives in dist/cli (built from src/cli by `npm run build`).
// Where Node has it (≥ 22.1), the on-disk compile cache lets later runs skip parsing and
// compiling the CLI's modules (in the OS temp dir; NODE_DISABLE_COMPILE_CACHE=1 turns it off).
// The modules are imported only after it is enabled, hence the dynamic import.
import module from "node:module";

module.enableCompileCache?.();
const { main } = await import("../dist/cli/main.js");
// For scripts/cold-start.js: the moment the CLI's module graph is loaded (a no-op otherwise).
performance.mark("softmax:modules-loaded");

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
