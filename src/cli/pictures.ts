// What the picture-writing commands share: the --scale and --cols flags, writing a rendered PNG
// atomically and reporting it, the check of a picture's file name, and the class names a model file
// records. Formatting and I/O only; rendering lives in src/pictures/.
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import {
  CLASSES,
  DEFAULT_SCALE,
  findDataset,
  type GridItem,
  type GridOptions,
  gridSize,
  ioError,
  MAX_CANVAS_PIXELS,
  NUM_CLASSES,
  picturePathProblem,
  UsageError,
  writeFileAtomic,
} from "../index.js";
import { integerAtLeast } from "./options.js";
import type { Output } from "./output.js";

/** Largest --scale: a 28-pixel item at 16× is already 448 pixels wide. */
export const MAX_SCALE = 16;

/** Parses --scale: an integer in 1..MAX_SCALE. */
export function parseScale(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 1 || n > MAX_SCALE) {
    throw new InvalidArgumentError(`expected an integer from 1 to ${MAX_SCALE}.`);
  }
  return n;
}

/** Parses the path of a picture flag (--out, --plot, --confusion): a .png name or none (a device); exit 2 otherwise. */
export function picturePath(value: string): string {
  const problem = picturePathProblem(value);
  if (problem !== undefined) throw new InvalidArgumentError(`${problem}.`);
  return value;
}

/** --scale and --cols, shared by predict and show. */
export function addGridOptions(command: Command): Command {
  return command
    .option("--scale <n>", `integer upscaling of each 28×28 image (1..${MAX_SCALE})`, parseScale, DEFAULT_SCALE)
    .option(
      "--cols <n>",
      "images per row (default: one row up to 10, then even rows of at most 10)",
      integerAtLeast(1),
    );
}

/** Whether the user typed `flag` (as opposed to commander filling in its default). */
export function givenOnCommandLine(command: Command, flag: string): boolean {
  const source = command.getOptionValueSource(flag);
  return source === "cli" || source === "env";
}

/** Names of stdout a picture flag may be given ("-" is the Unix convention). */
const STDOUT_PATHS = new Set(["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]);

/** Whether a picture flag's path sends the PNG to stdout, which must then carry nothing else. */
export function writesToStdout(path: string | undefined): boolean {
  return path !== undefined && STDOUT_PATHS.has(path);
}

/** Reads the PNG's size from its IHDR (bytes 16..23), for the report line. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * Writes `png` to `path` atomically ("-" or /dev/stdout: to stdout, unreported) and returns the function that reports it: an NDJSON `file` event
 * on stdout with --json, otherwise `report(path)` (stdout for commands whose result is the picture,
 * stderr for the others). Reporting is separate so a command can print its results first.
 */
export async function writePicture(
  path: string,
  png: Uint8Array,
  kind: string,
  output: Output,
  report: (path: string) => void,
): Promise<() => void> {
  const target = path === "-" ? "/dev/stdout" : path;
  try {
    await writeFileAtomic(target, png);
  } catch (cause) {
    throw ioError("write", target, cause);
  }
  // A picture sent to stdout is the output: a report after it would corrupt the PNG.
  if (writesToStdout(path)) return () => {};
  const { width, height } = pngSize(png);
  return () => {
    if (output.json) output.event("file", { kind, path, width, height, bytes: png.byteLength });
    else report(path);
  };
}

/** Class names recorded in a model file's metadata, else those of its dataset, else Fashion-MNIST's. */
export function classNamesOf(metadata: Record<string, string>): readonly string[] {
  const recorded = metadata.classes;
  if (recorded !== undefined) {
    try {
      const parsed: unknown = JSON.parse(recorded);
      if (
        Array.isArray(parsed) &&
        parsed.length === NUM_CLASSES &&
        parsed.every((name) => typeof name === "string" && name.length > 0)
      ) {
        return parsed as string[];
      }
    } catch {
      // A file written elsewhere may carry no usable class list; the dataset's names are the right ones.
    }
  }
  return findDataset(metadata.dataset ?? "")?.classes ?? CLASSES;
}

/** --offset and --n must select images inside the split: an error (exit 2), not a silent clamp. */
export function checkDatasetRange(offset: number, n: number, split: string, count: number): void {
  if (offset + n <= count) return;
  const flag = offset >= count ? "--offset" : "--n";
  throw new UsageError(
    `${flag}: images ${offset}..${offset + n - 1} go past the end of the ${split} split (${count} images)`,
    { hint: `keep --offset + --n <= ${count}` },
  );
}

/** Refuses a grid too large to draw, before drawing it (exit 2, naming --n and --scale). */
export function checkGridSize(items: readonly GridItem[], options: GridOptions): void {
  const { width, height } = gridSize(items, options);
  if (width * height > MAX_CANVAS_PIXELS) {
    throw new UsageError(
      `--n: a grid of ${items.length} images at --scale ${options.scale} would be ${width}×${height} pixels, more than ${MAX_CANVAS_PIXELS / 1e6} megapixels`,
      { hint: "lower --n or --scale" },
    );
  }
}
