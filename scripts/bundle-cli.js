#!/usr/bin/env node
import { readdirSync } from "node:fs";
// Bundles the CLI for bin/softmax.js: dist/cli/main.js, the library modules it imports and
// commander become one ES module, dist/softmax-cli.js (code imported on first use becomes a
// chunk beside it, dist/softmax-cli-NAME.js). Node 20 has no compile cache, and reading,
// resolving and compiling ~80 modules one by one took ~200 ms of a run's start here, one file
// ~90 ms (docs/performance.md). undici and pngjs stay outside, loaded from node_modules on first
// use; library users import dist/index.js (tsc's output), never this file. Run by `npm run build`
// after tsc.
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { rolldown } from "rolldown";

const DIST = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const ENTRY = "softmax-cli";
const HUGE_PAGES = join(DIST, "kernels/huge-pages.js");

// Chunks of an earlier build would otherwise stay beside the new ones.
for (const name of readdirSync(DIST)) {
  if (name.startsWith(`${ENTRY}.`) || name.startsWith(`${ENTRY}-`)) await rm(join(DIST, name));
}
const bundle = await rolldown({
  input: join(DIST, "cli/main.js"),
  platform: "node",
  // huge-pages.js finds the native helper relative to itself, so it stays in dist/kernels
  external: [/^node:/, "undici", "pngjs", HUGE_PAGES],
});
await bundle.write({
  dir: DIST,
  format: "esm",
  entryFileNames: `${ENTRY}.js`,
  chunkFileNames: `${ENTRY}-[name].js`,
  paths: { [HUGE_PAGES]: "./kernels/huge-pages.js" },
});
await bundle.close();
