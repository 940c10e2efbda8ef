// Transparent huge pages for the kernel's shared memory, through the optional native helper
// native/huge-pages.c (built into dist/kernels/huge-pages.node by `npm run build` where a C
// compiler is at hand; scripts/build-native.js).
// Why: on the VMs this is measured on, the first touch of each fresh 4 KiB page costs ~13 µs, and
// a run puts 55 MB of images into fresh memory (~13 400 pages); pages that asked for 2 MiB
// backing take one fault each instead of 512. Linux's usual THP mode, "madvise", gives huge pages
// only to memory that asked, and JavaScript cannot ask. Without the helper (another platform,
// no compiler, SOFTMAX_HUGE_PAGES=0), everything works the same on 4 KiB pages, only the start
// of a run is slower (docs/performance.md).
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

// The same path from src/kernels (vitest) and dist/kernels; the CLI's bundle imports this module
// from dist/kernels rather than inlining it (scripts/bundle-cli.js).
const HELPER_URL = new URL("../../dist/kernels/huge-pages.node", import.meta.url);

interface HugePagesAddon {
  /** 0 when the kernel took the advice for the whole pages under `view`, else its errno. */
  adviseHugePages(view: Uint8Array): number;
}

/**
 * The helper at `url`, or null where it was not built, does not load (another architecture, not
 * a helper) or is turned off with SOFTMAX_HUGE_PAGES=0.
 */
export function loadHugePages(url: URL = HELPER_URL, env: NodeJS.ProcessEnv = process.env): HugePagesAddon | null {
  if (env.SOFTMAX_HUGE_PAGES === "0") return null;
  try {
    const loaded = createRequire(import.meta.url)(fileURLToPath(url)) as Partial<HugePagesAddon>;
    return typeof loaded.adviseHugePages === "function" ? (loaded as HugePagesAddon) : null;
  } catch {
    return null;
  }
}

let addon: HugePagesAddon | null | undefined;

/**
 * Asks for huge pages under `view` (pages not yet touched; no byte is read or written). True if
 * the kernel took the advice, false without the helper or where the kernel refused (THP off).
 */
export function adviseHugePages(view: Uint8Array): boolean {
  addon ??= loadHugePages();
  return addon !== null && addon.adviseHugePages(view) === 0;
}
