// `softmax train --plot` and `softmax evaluate --confusion` end to end, through the built binary on the
// real data: the files are written, hold what the renderers draw for the numbers the commands report,
// a path that cannot be written fails before any training, and a picture sent to stdout (--plot -)
// is all stdout carries.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderConfusionHeatmap } from "../src/pictures/heatmap.js";
import { renderTrainingCurves } from "../src/pictures/plot.js";
import { runCli as runCliBytes } from "./helpers/cli.js";
import { assertBuilt, realDataRequired, runCli } from "./helpers/pictures-cli.js";
import { decodeRgba, pngChunkTypes } from "./helpers/raw-png.js";

let dir: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "softmax-plot-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function countColor(png: Buffer, rgb: readonly [number, number, number]): number {
  const decoded = decodeRgba(png);
  let n = 0;
  for (let y = 0; y < decoded.height; y++) {
    for (let x = 0; x < decoded.width; x++) {
      const [r, g, b] = decoded.at(x, y);
      if (r === rgb[0] && g === rgb[1] && b === rgb[2]) n++;
    }
  }
  return n;
}

describe.runIf(realDataRequired())("train --plot and evaluate --confusion on the real data", () => {
  it("train --plot draws the three curves; evaluate --confusion draws the matrix it reports", () => {
    const common = ["--data-dir", join(dir, "data"), "--offline"];
    const train = runCli(
      ["train", "--epochs", "2", "--plot", "curves.png", "--out", "m.safetensors", "--json", "--quiet", ...common],
      { cwd: dir },
    );
    expect(train.stderr).toBe("");
    expect(train.status).toBe(0);
    const events = train.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events.map((e) => e.event)).toEqual(["epoch", "epoch", "file", "done"]);
    expect(events[2]).toMatchObject({ kind: "curves", path: "curves.png" });

    const curves = readFileSync(join(dir, "curves.png"));
    const empty = decodeRgba(Buffer.from(renderTrainingCurves([], { epochs: 2 })));
    const drawn = decodeRgba(curves);
    expect([drawn.width, drawn.height]).toEqual([empty.width, empty.height]);
    // The series colours of d2l's Animator (blue loss, magenta train acc, green test acc) are on the picture.
    for (const color of [
      [31, 119, 180],
      [191, 0, 191],
      [0, 128, 0],
    ] as const) {
      expect(countColor(curves, color), `pixels of colour ${color}`).toBeGreaterThan(50);
    }

    const evaluate = runCli(["evaluate", "--model", "m.safetensors", "--confusion", "conf.png", "--json", ...common], {
      cwd: dir,
    });
    expect(evaluate.stderr).toBe("");
    expect(evaluate.status).toBe(0);
    const [evaluation, file] = evaluate.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(file).toMatchObject({ event: "file", kind: "confusion", path: "conf.png" });
    expect(evaluation.event).toBe("evaluation");
    const expected = renderConfusionHeatmap(evaluation.confusion, evaluation.classes);
    expect(Buffer.compare(readFileSync(join(dir, "conf.png")), Buffer.from(expected))).toBe(0);
  });

  it("a --plot path that cannot be written fails before training: exit 1, one line naming --plot", () => {
    const result = runCli(["train", "--epochs", "1", "--plot", "missing/curves.png", "--out", "never.safetensors"], {
      cwd: dir,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/missing\/curves\.png.*--plot/);
    expect(existsSync(join(dir, "never.safetensors"))).toBe(false);
  });
});

describe.runIf(realDataRequired())("--plot - on the real data: stdout carries the PNG alone", () => {
  const common = () => ["--data-dir", join(dir, "data"), "--offline"];

  it("train --plot -: one PNG of the whole run on stdout (drawn once), the epoch lines on stderr", async () => {
    const r = await runCliBytes(["train", "--epochs", "2", "--plot", "-", "-o", "m2.safetensors", ...common()], {
      cwd: dir,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(pngChunkTypes(r.stdoutBytes)).toEqual(expect.arrayContaining(["IHDR", "IDAT", "IEND"]));
    const drawn = decodeRgba(r.stdoutBytes);
    const expected = decodeRgba(Buffer.from(renderTrainingCurves([], { epochs: 2 })));
    expect([drawn.width, drawn.height]).toEqual([expected.width, expected.height]);
    expect(r.stderr).toMatch(/^epoch 1\/2 {2}loss /m);
    expect(r.stderr).toMatch(/^epoch 2\/2 {2}loss /m);
  });

  it("compare --plot -: the PNG alone on stdout, the table on stderr", async () => {
    const r = await runCliBytes(["compare", "--epochs", "1", "--lr", "0.05,0.1", "--plot", "-", ...common()], {
      cwd: dir,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(pngChunkTypes(r.stdoutBytes)).toEqual(expect.arrayContaining(["IHDR", "IDAT", "IEND"]));
    expect(r.stderr).toMatch(/^lr +train loss +train acc +test acc/m);
  });
});
