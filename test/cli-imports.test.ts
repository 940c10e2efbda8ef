// The CLI is a client of the public API: every file of src/cli/ imports the library only through
// src/index.ts ("../index.js"), besides node:*, commander, cli-progress and the other CLI files.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const CLI = join(import.meta.dirname, "..", "src", "cli");
const ALLOWED = [/^\.\.\/index\.js$/, /^\.\/[\w-]+\.js$/, /^node:/, /^commander$/, /^cli-progress$/];

/** The module specifiers of every static import/export-from and dynamic import() in `source`. */
function importedModules(source: string): string[] {
  const patterns = [
    /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm, // import … from "x"; export … from "x"
    /^\s*import\s*["']([^"']+)["']/gm, // import "x";
    /\bimport\(\s*["']([^"']+)["']\s*\)/g, // await import("x")
  ];
  return patterns.flatMap((pattern) => Array.from(source.matchAll(pattern), (match) => match[1]!));
}

describe("src/cli imports", () => {
  it("finds static, type-only, re-exported and dynamic imports", () => {
    const source = [
      `import { a } from "../x.js";`,
      `import type { B } from './y.js';`,
      `import {\n  c,\n  d,\n} from "../v.js";`,
      `export { e } from "z";`,
      `const m = await import("../w.js");`,
      `import "side";`,
      `const text = "downloaded from " + where;`,
    ].join("\n");
    expect(importedModules(source).sort()).toEqual(["../v.js", "../w.js", "../x.js", "./y.js", "side", "z"]);
  });

  const files = readdirSync(CLI).filter((name) => name.endsWith(".ts"));
  it.each(files)("src/cli/%s imports the library only from ../index.js", (file) => {
    const imports = importedModules(readFileSync(join(CLI, file), "utf8"));
    const outside = imports.filter((specifier) => !ALLOWED.some((pattern) => pattern.test(specifier)));
    expect(outside).toEqual([]);
  });
});

describe("what loading the CLI loads", () => {
  it("leaves node:zlib and node:crypto to first use (a run with its data in the cache needs neither)", () => {
    // In a process of its own: Node's list of the built-in modules loaded so far, after importing
    // the bundle bin/softmax.js loads. Each of the two took ~5–10 ms of every run's start.
    const bundle = new URL("../dist/softmax-cli.js", import.meta.url).href;
    const script = `await import(${JSON.stringify(bundle)});
      console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.startsWith("NativeModule "))));`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(child.stderr).toBe("");
    const loaded = JSON.parse(child.stdout) as string[];
    expect(loaded).toContain("NativeModule worker_threads"); // the list is what it says
    expect(loaded).not.toContain("NativeModule zlib");
    expect(loaded).not.toContain("NativeModule crypto");
  });
});
