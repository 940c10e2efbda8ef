// Short flags, the model as evaluate's argument, the one rule for notices of files written, and own
// images read one at a time, end to end through the built binary. The dataset commands run on the
// real Fashion-MNIST (cached into this file's own data directory); own images need no dataset.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initParams } from "../src/model/softmax-regression.js";
import { saveModel } from "../src/model-file/model-file.js";
import { VERSION } from "../src/version.js";
import { besidesDataNotices, lines, runCli } from "./helpers/cli.js";
import { assertBuilt, classMeanParams, readRealIdx, realDataRequired } from "./helpers/pictures-cli.js";
import { decodeRgba, grayPng } from "./helpers/raw-png.js";

let dir: string;
let model: string;
beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "softmax-flags-"));
  model = join(dir, "model.safetensors");
  await saveModel(model, initParams(0), { format: "pt" });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: readonly string[]) => runCli(args, { cwd: dir, env: { NO_COLOR: "1" } });

describe("the version", () => {
  it("-V, -v and --version print it", async () => {
    for (const flag of ["-V", "-v", "--version"]) {
      const r = await run([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${VERSION}\n`);
      expect(r.stderr).toBe("");
    }
  });
});

describe("predict own images one at a time", () => {
  it("predict good bad good empty: two rows, one error line per bad file naming what it is, exit 1", async () => {
    const good = join(dir, "good.png");
    const good2 = join(dir, "good2.png");
    writeFileSync(good, grayPng(28, 28, new Uint8Array(784).fill(40)));
    writeFileSync(
      good2,
      grayPng(
        56,
        56,
        Uint8Array.from({ length: 56 * 56 }, (_, i) => (i * 7) % 256),
      ),
    );
    writeFileSync(join(dir, "photo.png"), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0]));
    writeFileSync(join(dir, "empty.png"), "");
    const r = await run(["predict", "-m", model, "good.png", "photo.png", "good2.png", "empty.png"]);
    expect(r.status).toBe(1);
    const rows = lines(r.stdout);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toBe("index\ttrue\tpred\tconfidence");
    expect(rows[1]).toMatch(/^good\.png\t\t\S.*\t0\.\d{3}$/);
    expect(rows[2]).toMatch(/^good2\.png\t\t\S.*\t0\.\d{3}$/);
    const errors = lines(r.stderr);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^softmax: photo\.png is a JPEG/);
    expect(errors[1]).toMatch(/^softmax: empty\.png is empty/);
  });

  it("the good files' rows are the rows they get alone, and --out draws only them", async () => {
    const alone = await run(["predict", "-m", model, "good.png", "good2.png"]);
    expect(alone.status).toBe(0);
    const mixed = await run([
      "predict",
      "-m",
      model,
      "good.png",
      "empty.png",
      "good2.png",
      "-o",
      "mixed.png",
      "--json",
    ]);
    expect(mixed.status).toBe(1);
    const events = lines(mixed.stdout).map((line) => JSON.parse(line));
    expect(events.map((e) => e.event)).toEqual(["prediction", "prediction", "file"]);
    expect(events.slice(0, 2).map((e) => [e.index, e.pred, e.confidence.toFixed(3)])).toEqual(
      lines(alone.stdout)
        .slice(1)
        .map((row) => {
          const [index, , pred, confidence] = row.split("\t");
          return [index, pred, confidence];
        }),
    );
    expect(decodeRgba(readFileSync(join(dir, "mixed.png"))).width).toBe(events[2].width);
  });

  it("every file bad: no table, the error lines, exit 1", async () => {
    const r = await run(["predict", "-m", model, "empty.png", "missing.png"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(lines(r.stderr)).toHaveLength(2);
    expect(r.stderr).toContain("missing.png: no such file");
  });
});

describe.skipIf(!realDataRequired())("short flags and notices on the real data", () => {
  const data = () => ["--offline", "--data-dir", join(dir, "data")];
  let means: string;
  beforeAll(async () => {
    // A model with known weights (nearest class mean), so evaluate and predict have something to say.
    means = join(dir, "means.safetensors");
    const images = readRealIdx("train-images-idx3-ubyte", 16);
    const labels = readRealIdx("train-labels-idx1-ubyte", 8);
    await saveModel(means, classMeanParams(images, labels, 60000), { format: "pt" });
    // The first run caches the data; its notices are not what these tests look at.
    const warm = await run(["show", "-n", "1", "-o", "warm.png", "-q", ...data()]);
    expect(warm.status, warm.stderr).toBe(0);
  });

  it("predict -m M -n 3 -o F -q: three rows on stdout, the picture, nothing on stderr", async () => {
    const r = await run(["predict", "-m", means, "-n", "3", "-o", "three.png", "-q", ...data()]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const rows = lines(r.stdout);
    expect(rows).toHaveLength(4);
    expect(rows.slice(1).map((row) => row.split("\t")[0])).toEqual(["0", "1", "2"]);
    expect(decodeRgba(readFileSync(join(dir, "three.png"))).width).toBeGreaterThan(3 * 28);
    // The same without -q: the notice of the picture, on stderr, after the rows.
    const loud = await run(["predict", "--model", means, "--n", "3", "--out", "three.png", ...data()]);
    expect(loud.stdout).toBe(r.stdout);
    expect(besidesDataNotices(loud.stderr)).toBe("wrote three.png\n");
  });

  it("evaluate M is evaluate --model M; two different models are a usage error", async () => {
    const positional = await run(["evaluate", means, ...data()]);
    const flag = await run(["evaluate", "-m", means, ...data()]);
    expect(positional.status, positional.stderr).toBe(0);
    expect(positional.stdout).toMatch(/^test accuracy 0\.\d{4}/);
    expect(positional.stdout).toBe(flag.stdout);
    const json = await run(["evaluate", means, "--json", ...data()]);
    expect(JSON.parse(json.stdout).model).toBe(means);
    const both = await run(["evaluate", means, "--model", model, ...data()]);
    expect(both.status).toBe(2);
    expect(lines(both.stderr)).toEqual([
      `softmax: two models given: ${means} and --model ${model} (give one); see 'softmax evaluate --help'`,
    ]);
  });

  it("notices of files written: on stderr in every command, silenced by -q, a stdout event with --json", async () => {
    const cases: [string[], string][] = [
      [["train", "--epochs", "1", "--batch-size", "1000", "-o", "m1.safetensors", "--plot", "curves.png"], "train"],
      [["evaluate", "-m", means, "--confusion", "confusion.png"], "evaluate"],
      [["predict", "-m", means, "-n", "2", "-o", "two.png"], "predict"],
      [["show", "-n", "2", "-o", "samples.png"], "show"],
      [["show", "--weights", means, "-o", "weights.png"], "show --weights"],
    ];
    const expected: Record<string, string[]> = {
      train: ["wrote curves.png", "saved m1.safetensors"],
      evaluate: ["wrote confusion.png"],
      predict: ["wrote two.png"],
      show: ["wrote samples.png"],
      "show --weights": ["wrote weights.png"],
    };
    for (const [args, name] of cases) {
      const loud = await run([...args, ...data()]);
      expect(loud.status, `${name}: ${loud.stderr}`).toBe(0);
      expect(lines(besidesDataNotices(loud.stderr)), name).toEqual(expected[name]);
      for (const notice of expected[name]!) expect(loud.stdout, name).not.toContain(notice);

      const quiet = await run([...args, "-q", ...data()]);
      expect(quiet.status, name).toBe(0);
      expect(quiet.stderr, name).toBe("");
      const timeless = (text: string) => text.replace(/\d+\.\d{2}s/g, "N.NNs");
      expect(timeless(quiet.stdout), name).toBe(timeless(loud.stdout)); // the results are the same

      const json = await run([...args, "--json", ...data()]);
      expect(json.status, name).toBe(0);
      expect(besidesDataNotices(json.stderr), name).toBe("");
      const events = lines(json.stdout).map((line) => JSON.parse(line));
      const files = events.filter((e) => e.event === "file").map((e) => e.path);
      const done = events.find((e) => e.event === "done");
      const reported = [...files, ...(done === undefined ? [] : [done.model])];
      expect(reported, name).toEqual(expected[name]!.map((notice) => notice.split(" ")[1]));
    }
  }, 300_000);
});
