// `softmax train` in a terminal, through the built binary in a pseudo-terminal (util-linux's
// `script`): the live line on stderr shows the epoch, the step, a running loss and accuracy and an
// ETA for the run, stays within the terminal's width, and is wiped before each result line; the
// best test accuracy so far is coloured unless NO_COLOR is set. Runs on the real data (two short
// epochs); skipped when `script` is missing.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, BIN, realDataRequired } from "./helpers/pictures-cli.js";

const hasScript = spawnSync("sh", ["-c", "command -v script"]).status === 0;
if (!hasScript) console.log("skipping the pseudo-terminal tests: `script` (util-linux) is not installed");

let dir: string;
beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "softmax-live-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ESC = "\x1b";
/** A colour code (Select Graphic Rendition). */
const SGR = new RegExp(`${ESC}\\[[0-9;]*m`, "g");
const ERASE_LINE = `${ESC}[K`;

/** Runs `softmax ...args` with stdout and stderr on a pty of `columns` columns; returns what the terminal received. */
function inTerminal(
  args: readonly string[],
  columns: number,
  colour: boolean,
): { status: number | null; output: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, DEBUG: "", NO_COLOR: "1" };
  if (colour) delete env.NO_COLOR;
  const quoted = [process.execPath, BIN, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(" ");
  const r = spawnSync("script", ["-qfec", `stty cols ${columns} rows 24; exec ${quoted}`, "/dev/null"], {
    cwd: dir,
    encoding: "utf8",
    env,
    timeout: 120_000,
  });
  return { status: r.status, output: r.stdout };
}

/** The terminal's output as the successive states of each line: every redraw after \r is one entry. */
function drawnLines(output: string): string[] {
  return output
    .replace(/\r\n/g, "\n")
    .split(/[\r\n]/)
    .map((piece) => piece.replaceAll(ERASE_LINE, ""))
    .filter((piece) => piece !== "");
}

/** Two short epochs; the data is cached from the system directory into this file's own data directory. */
const TRAIN = () => ["train", "--epochs", "2", "--batch-size", "128", "--offline", "--data-dir", join(dir, "data")];

describe.skipIf(!hasScript || !realDataRequired())("softmax train in a terminal", () => {
  it("keeps a live line with the step, a running loss and accuracy and an ETA, within the width", () => {
    const columns = 72;
    const { status, output } = inTerminal([...TRAIN(), "--out", join(dir, "a.safetensors")], columns, false);
    expect(status, output).toBe(0);
    expect(output).not.toMatch(SGR); // NO_COLOR: no colour at all
    const lines = drawnLines(output);
    const live = lines.filter((line) => line.includes("ETA"));
    expect(live.length).toBeGreaterThan(0);
    // The first step's line has no estimate yet (--:--); the later ones have.
    for (const line of live) {
      expect(line).toMatch(
        /^epoch [12]\/2 {2}step +\d+\/469 {2}loss \d\.\d{4} {2}acc 0\.\d{3} .*ETA (\d+:\d\d|--:--)$/,
      );
    }
    expect(live.filter((line) => /ETA \d+:\d\d$/.test(line)).length).toBeGreaterThan(0);
    for (const line of live) expect(line.length, line).toBeLessThan(columns);
    // The result lines are whole lines of their own, aligned as without a terminal.
    const results = lines.filter((line) => line.startsWith("epoch") && !line.includes("ETA"));
    expect(results).toHaveLength(2);
    for (const line of results)
      expect(line).toMatch(/^epoch [12]\/2 {2}loss \d\.\d{4} {2}train acc 0\.\d{3} {2}test acc 0\.\d{3} {2}/);
    // Wiped before each result line: the erase comes right after the last redraw of the epoch.
    expect(output).toContain(`${ERASE_LINE}\r${ERASE_LINE}epoch 1/2  loss`);
  });

  it("colours the best test accuracy so far when NO_COLOR is unset", () => {
    const { status, output } = inTerminal([...TRAIN(), "--out", join(dir, "b.safetensors")], 100, true);
    expect(status, output).toBe(0);
    const epoch1 = drawnLines(output).find((line) => line.startsWith("epoch 1/2  loss"))!;
    expect(epoch1).toMatch(new RegExp(`test acc ${ESC}\\[[0-9;]*m0\\.\\d{3}${ESC}\\[0?m `));
    // Only that figure: without the codes the line is the plain one.
    expect(epoch1.replace(SGR, "")).toMatch(
      /^epoch 1\/2 {2}loss \d\.\d{4} {2}train acc 0\.\d{3} {2}test acc 0\.\d{3} {2}/,
    );
  });

  it("draws nothing with --quiet", () => {
    const { status, output } = inTerminal([...TRAIN(), "--quiet", "--out", join(dir, "c.safetensors")], 80, false);
    expect(status, output).toBe(0);
    expect(output).not.toContain("ETA");
    expect(output).not.toContain(ERASE_LINE);
  });
});
