// The optional native helper that asks Linux for transparent huge pages under the kernel's shared
// memory (native/huge-pages.c, src/kernels/huge-pages.ts): built by `npm run build` where a C
// compiler and node_api.h are at hand, used by KernelMemory as the memory grows, and never needed.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { adviseHugePages, loadHugePages } from "../../src/kernels/huge-pages.js";
import { createSharedMemory } from "../../src/kernels/kernel.js";

const HELPER = "dist/kernels/huge-pages.node";
const canBuild =
  process.platform === "linux" &&
  existsSync(join(dirname(process.execPath), "..", "include", "node", "node_api.h")) &&
  spawnSync(process.env.CC || "cc", ["--version"]).status === 0;
const helper = loadHugePages();
/** Linux's THP mode (always, madvise or never), or null where there is none. */
const thpMode = (() => {
  try {
    return /\[(\w+)\]/.exec(readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8"))?.[1] ?? null;
  } catch {
    return null;
  }
})();

/** kB of anonymous huge pages a fresh process maps after filling a 32 MiB region of a KernelMemory. */
function hugeKilobytesAfterFilling(env: NodeJS.ProcessEnv): number {
  const script = `
    import { readFileSync } from "node:fs";
    import { KernelMemory } from "./dist/kernels/kernel-memory.js";
    const huge = () => Number(/AnonHugePages:\\s+(\\d+)/.exec(readFileSync("/proc/self/smaps_rollup", "utf8"))[1]);
    const before = huge();
    new KernelMemory().allocate(32 << 20).fill(7);
    process.stdout.write(String(huge() - before));`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env });
  expect(child.stderr).toBe("");
  return Number(child.stdout);
}

describe("huge pages for the kernel's memory", () => {
  it.runIf(canBuild)("npm run build compiled the helper, and it loads", () => {
    expect(existsSync(HELPER)).toBe(true);
    expect(helper).not.toBeNull();
  });

  it("goes on without the helper: a missing file, another build, or SOFTMAX_HUGE_PAGES=0", () => {
    expect(loadHugePages(new URL("file:///nonexistent/huge-pages.node"))).toBeNull();
    expect(loadHugePages(new URL("../../package.json", import.meta.url))).toBeNull();
    expect(loadHugePages(undefined, { SOFTMAX_HUGE_PAGES: "0" })).toBeNull();
  });

  it.runIf(helper !== null)("takes only a Uint8Array, and advises only whole pages inside it", () => {
    const addon = helper as NonNullable<typeof helper>;
    expect(() => addon.adviseHugePages(new Float32Array(4) as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => addon.adviseHugePages({} as Uint8Array)).toThrow(TypeError);
    const memory = createSharedMemory(64);
    // less than a page from its start: nothing to advise, and nothing refused
    expect(addon.adviseHugePages(new Uint8Array(memory.buffer, 100, 1000))).toBe(0);
    expect(adviseHugePages(new Uint8Array(memory.buffer))).toBe(thpMode === "always" || thpMode === "madvise");
  });

  it.runIf(helper !== null && thpMode === "madvise")(
    "KernelMemory's regions get 2 MiB pages with the helper and 4 KiB pages without it",
    () => {
      // some 2 MiB blocks at the region's ends share a mapping with 4 KiB neighbours
      expect(hugeKilobytesAfterFilling(process.env)).toBeGreaterThanOrEqual(24 * 1024);
      expect(hugeKilobytesAfterFilling({ ...process.env, SOFTMAX_HUGE_PAGES: "0" })).toBe(0);
    },
  );

  it("the CLI's bundle imports the module from dist/kernels, where it finds the helper", () => {
    expect(readFileSync("dist/softmax-cli.js", "utf8")).toContain('from "./kernels/huge-pages.js"');
  });
});
