// The progress bar of a download (src/cli/progress-bar.ts): the live line's look (its bar,
// percentage and ETA), never wider than the terminal, drawn by cli-progress on a fake terminal and
// wiped when stopped; and cli-progress is loaded only when a bar is drawn (a run of `softmax train`
// with the data present never loads it, in a pipe or in a terminal).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BarProgress, formatBarLine, formatCount, startProgressBar } from "../src/cli/progress-bar.js";
import { assertBuilt, BIN, realDataRequired } from "./helpers/pictures-cli.js";

const download: BarProgress = {
  label: "train-images-idx3-ubyte.gz",
  value: 8_200_000,
  total: 26_421_880,
  unit: "bytes",
  etaSeconds: 3.2,
};

describe("formatCount", () => {
  it.each([
    [8_200_000, 26_421_880, "bytes", " 8.2/26.4 MB"],
    [26_421_880, 26_421_880, "bytes", "26.4/26.4 MB"],
    [1_000, 29_515, "bytes", " 1/30 kB"],
    [7, 235, "steps", "  7/235 steps"],
  ] as const)("%s of %s %s is %j", (value, total, unit, text) => {
    expect(formatCount(value, total, unit)).toBe(text);
  });
});

describe("formatBarLine", () => {
  it("shows the label, the live line's bar and percentage, the count and the ETA", () => {
    expect(formatBarLine(download, 79)).toBe(
      "train-images-idx3-ubyte.gz  [=====>             ]   31%   8.2/26.4 MB  ETA 0:03",
    );
  });

  it("fits every width, dropping the bar, then the count, then the ETA, before cutting", () => {
    for (let width = 0; width <= 160; width++) {
      const line = formatBarLine(download, width);
      expect(line.length, `width ${width}: ${line}`).toBeLessThanOrEqual(width);
      if (width >= 3) expect(line).toContain("31%");
    }
    expect(formatBarLine(download, 60)).toBe("train-images-idx3-ubyte.gz   31%   8.2/26.4 MB  ETA 0:03");
    expect(formatBarLine(download, 45)).toBe("train-images-idx3-ubyte.gz   31%  ETA 0:03");
    expect(formatBarLine(download, 33)).toBe("train-images-idx3-ubyte.gz   31%");
    expect(formatBarLine(download, 20)).toBe("train-images-i   31%");
  });

  it("says so when the time left is not known yet, and counts 0 of 0 as 0%", () => {
    expect(formatBarLine({ ...download, value: 0, etaSeconds: Number.POSITIVE_INFINITY }, 79)).toMatch(
      /\[> +\] {4}0% {3}0\.0\/26\.4 MB {2}ETA --:--$/,
    );
    expect(formatBarLine({ ...download, value: 0, total: 0 }, 79)).toContain("  0%");
  });
});

/** A terminal of `columns` columns that records writes; `lines` are the texts drawn, `shown` what is left on the line. */
class FakeTerminal {
  readonly isTTY = true;
  readonly writes: string[] = [];
  constructor(readonly columns: number) {}
  write(text: string, callback?: () => void): boolean {
    this.writes.push(text);
    callback?.();
    return true;
  }
  /** Every write that is text rather than a control sequence. */
  get drawn(): string[] {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal control sequences
    return this.writes.filter((text) => !/^\x1b/.test(text) && text !== "");
  }
  /** What the line shows at the end: the text after the last move to column 1, unless the line was then cleared. */
  get shown(): string {
    let line = "";
    for (const text of this.writes) {
      if (text === "\x1b[1G" || text === "\x1b[2K") line = "";
      else if (!text.startsWith("\x1b")) line += text;
    }
    return line;
  }
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe("startProgressBar on a terminal", () => {
  it("draws each redraw within the width, the latest value last, and wipes the line when stopped", async () => {
    const terminal = new FakeTerminal(72);
    const bar = startProgressBar(terminal as unknown as NodeJS.WriteStream, download.label, download.total, "bytes");
    bar.update(1_000_000);
    await until(() => terminal.drawn.length > 0);
    bar.update(download.total);
    bar.stop();
    const drawn = terminal.drawn;
    expect(drawn.length).toBeGreaterThan(0);
    for (const line of drawn) expect(line.length, line).toBeLessThanOrEqual(71);
    expect(drawn[0]).toMatch(/^train-images-idx3-ubyte\.gz {2}\[> +\] {4}3% {3}1\.0\/26\.4 MB {2}ETA /);
    expect(drawn.at(-1)).toMatch(/^train-images-idx3-ubyte\.gz {2}\[=+\] {2}100% {2}26\.4\/26\.4 MB {2}ETA /);
    expect(terminal.shown).toBe("");
    expect(terminal.writes.at(-1)).toBe("\x1b[2K");
    expect(terminal.writes).toContain("\x1b[?25h"); // the cursor is shown again
  });

  it("draws nothing when stopped before it could be drawn", async () => {
    const terminal = new FakeTerminal(80);
    startProgressBar(terminal as unknown as NodeJS.WriteStream, "t10k-labels-idx1-ubyte.gz", 5148, "bytes").stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(terminal.writes).toEqual([]);
  });
});

describe.skipIf(!realDataRequired())("cli-progress is loaded only to draw a download bar", () => {
  let dir: string;
  beforeAll(() => {
    assertBuilt();
    dir = mkdtempSync(join(tmpdir(), "softmax-progress-bar-"));
    // Preloaded into a process: at exit, records whether cli-progress was loaded, whether from
    // node_modules (require.cache) or bundled into the CLI (then its terminal code's one mark:
    // Node's readline module, which nothing else in the CLI loads).
    writeFileSync(
      join(dir, "probe.cjs"),
      `process.on("exit", () => require("node:fs").writeFileSync(process.env.PROBE_FILE, JSON.stringify({
        files: Object.keys(require.cache).filter((file) => file.includes("/cli-progress/")),
        readline: process.moduleLoadList.includes("NativeModule readline"),
      })));\n`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const env = (probe: string) => ({
    ...process.env,
    DEBUG: "",
    NODE_OPTIONS: `--require ${join(dir, "probe.cjs")}`,
    PROBE_FILE: probe,
  });
  const loaded = (probe: string) => JSON.parse(readFileSync(probe, "utf8")) as { files: string[]; readline: boolean };
  const train = ["train", "--epochs", "1", "--offline", "--data-dir", "data", "-o", "m.safetensors"];

  it("the probe sees cli-progress loaded", () => {
    const probe = join(dir, "control.json");
    const r = spawnSync(process.execPath, ["-e", 'require("cli-progress")'], {
      cwd: join(import.meta.dirname, ".."),
      env: env(probe),
    });
    expect(r.status).toBe(0);
    expect(loaded(probe).files.length).toBeGreaterThan(0);
    expect(loaded(probe).readline).toBe(true);
  });

  it("softmax train with the data present, stderr a pipe: not loaded", () => {
    const probe = join(dir, "pipe.json");
    const r = spawnSync(process.execPath, [BIN, ...train], { cwd: dir, encoding: "utf8", env: env(probe) });
    expect(r.status, r.stderr).toBe(0);
    expect(loaded(probe)).toEqual({ files: [], readline: false });
  });

  const hasScript = spawnSync("sh", ["-c", "command -v script"]).status === 0;
  it.runIf(hasScript)("softmax train with the data present, in a terminal: not loaded either", () => {
    const probe = join(dir, "tty.json");
    // The data is in ./data, or copied there from the system directory: nothing is downloaded.
    const quoted = [process.execPath, BIN, ...train].map((word) => `'${word}'`).join(" ");
    const r = spawnSync("script", ["-qfec", `stty cols 80 rows 24; exec ${quoted}`, "/dev/null"], {
      cwd: dir,
      encoding: "utf8",
      env: env(probe),
    });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/epoch 1\/1/);
    expect(loaded(probe)).toEqual({ files: [], readline: false });
  });
});
