// `softmax show` end to end, through the built binary: the samples grid (decoded and checked cell by
// cell against the dataset), the weight templates of a model, what is printed, and bad flags.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveModel } from "../src/model-file/model-file.js";
import { DEFAULT_SCALE, gridPictureOrigin, gridSize, itemPicture } from "../src/pictures/grid.js";
import { diverging, WEIGHT_KEY } from "../src/pictures/weights.js";
import { besidesDataNotices } from "./helpers/cli.js";
import { assertBuilt, CLASS_NAMES, readRealIdx, realDataRequired, runCli } from "./helpers/pictures-cli.js";
import { decodeRgba } from "./helpers/raw-png.js";

let dir: string;
let model: string;

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "softmax-show-"));
  model = join(dir, "model.safetensors");
  // Row c of W: +c/10 in the top half, −1 in the bottom half, so each template is red above and blue below.
  const weight = new Float32Array(10 * 784);
  for (let c = 0; c < 10; c++) for (let i = 0; i < 784; i++) weight[c * 784 + i] = i < 392 ? (c + 1) / 10 : -1;
  await saveModel(model, { weight, bias: new Float32Array(10) }, { classes: JSON.stringify(CLASS_NAMES) });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function items(titles: readonly string[]) {
  return titles.map((text) => ({ picture: itemPicture(new Uint8Array(784)), title: [{ text }] }));
}

describe("softmax show --weights", () => {
  it("draws the ten rows of W as 28×28 templates titled by class, to weights.png by default", () => {
    const result = runCli(["show", "--weights", model], { cwd: dir });
    // The notice of the file written goes to stderr, as in every command (docs/terminal.md).
    expect(result.stderr).toBe("wrote weights.png\n");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("");
    const decoded = decodeRgba(readFileSync(join(dir, "weights.png")));
    const layout = items(CLASS_NAMES);
    expect([decoded.width, decoded.height]).toEqual(Object.values(gridSize(layout, { key: WEIGHT_KEY })));
    for (const c of [0, 5, 9]) {
      const origin = gridPictureOrigin(layout, c);
      // Each template is scaled by its own largest |w| (1): the top half shows (c+1)/10, the bottom −1.
      expect(decoded.at(origin.x + 40, origin.y + 10)).toEqual([...diverging((c + 1) / 10)]);
      expect(decoded.at(origin.x + 40, origin.y + 28 * DEFAULT_SCALE - 1)).toEqual([...diverging(-1)]);
    }
  });

  it("reports a file event with --json and honours --out, --cols and --scale", () => {
    const result = runCli(["show", "--weights", model, "--json", "--out", "w.png", "--cols", "5", "--scale", "2"], {
      cwd: dir,
    });
    expect(result.status).toBe(0);
    const event = JSON.parse(result.stdout);
    const decoded = decodeRgba(readFileSync(join(dir, "w.png")));
    expect(event).toEqual({
      event: "file",
      kind: "weights",
      path: "w.png",
      width: decoded.width,
      height: decoded.height,
      bytes: readFileSync(join(dir, "w.png")).length,
    });
    expect([decoded.width, decoded.height]).toEqual(
      Object.values(gridSize(items(CLASS_NAMES), { columns: 5, scale: 2, key: WEIGHT_KEY })),
    );
  });

  it("refuses dataset flags with --weights (exit 2) and names a missing model (exit 1)", () => {
    const both = runCli(["show", "--weights", model, "--n", "4"], { cwd: dir });
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/^softmax: --n selects dataset images; it cannot be used with --weights/);
    const missing = runCli(["show", "--weights", "nope.safetensors"], { cwd: dir });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^softmax: nope\.safetensors: no such file/);
  });

  it("names the output file it cannot write (exit 1) and leaves no temporary file", () => {
    const result = runCli(["show", "--weights", model, "--out", "no/such/dir/w.png"], { cwd: dir });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^softmax: cannot write no\/such\/dir\/w\.png: no such file or directory \(ENOENT\)/);
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});

describe("softmax show: flags", () => {
  it.each([
    [["--n", "0"], "--n"],
    [["--split", "dev"], "--split"],
    [["--scale", "0"], "--scale"],
    [["--scale", "x"], "--scale"],
    [["--offset", "-3"], "--offset"],
    [["--cols", "-1"], "--cols"],
  ])("%j exits 2 with one line naming %s", (args, flag) => {
    const result = runCli(["show", ...args], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain(flag);
  });
});

describe.runIf(realDataRequired())("softmax show on Fashion-MNIST", () => {
  const dataFlags = () => ["--offline", "--data-dir", join(dir, "data")];

  it("draws the first 18 training images in 2 rows of 9, titled by class, to samples.png", () => {
    const result = runCli(["show", ...dataFlags()], { cwd: dir });
    expect(besidesDataNotices(result.stderr)).toBe("wrote samples.png\n");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("");
    const images = readRealIdx("train-images-idx3-ubyte", 16);
    const labels = readRealIdx("train-labels-idx1-ubyte", 8);
    const layout = items(Array.from(labels.subarray(0, 18), (label) => CLASS_NAMES[label]!));
    const decoded = decodeRgba(readFileSync(join(dir, "samples.png")));
    expect([decoded.width, decoded.height]).toEqual(Object.values(gridSize(layout)));
    expect(gridPictureOrigin(layout, 9).x).toBe(gridPictureOrigin(layout, 0).x);
    expect(gridPictureOrigin(layout, 9).y).toBeGreaterThan(gridPictureOrigin(layout, 8).y);
    for (let index = 0; index < 18; index++) {
      const origin = gridPictureOrigin(layout, index);
      let mismatches = 0;
      for (let y = 0; y < 28 * DEFAULT_SCALE; y++) {
        for (let x = 0; x < 28 * DEFAULT_SCALE; x++) {
          const v = images[index * 784 + Math.floor(y / DEFAULT_SCALE) * 28 + Math.floor(x / DEFAULT_SCALE)]!;
          const [r, g, b] = decoded.at(origin.x + x, origin.y + y);
          if (r !== v || g !== v || b !== v) mismatches++;
        }
      }
      expect(mismatches, `cell ${index}`).toBe(0);
      // The title: dark ink on white below the image.
      let ink = 0;
      for (let y = origin.y + 28 * DEFAULT_SCALE + 2; y < origin.y + 28 * DEFAULT_SCALE + 14; y++) {
        for (let x = origin.x - 4; x < origin.x + 28 * DEFAULT_SCALE + 4; x++) if (decoded.at(x, y)[0] < 90) ink++;
      }
      expect(ink, `title of cell ${index}`).toBeGreaterThan(15);
    }
  });

  it("takes --split test, --offset, --n and gives the same bytes twice", () => {
    const args = ["show", ...dataFlags(), "--split", "test", "--offset", "5", "--n", "4", "--scale", "1"];
    expect(runCli([...args, "--out", "a.png"], { cwd: dir }).status).toBe(0);
    expect(runCli([...args, "--out", "b.png"], { cwd: dir }).status).toBe(0);
    const a = readFileSync(join(dir, "a.png"));
    expect(a.equals(readFileSync(join(dir, "b.png")))).toBe(true);
    const images = readRealIdx("t10k-images-idx3-ubyte", 16);
    const labels = readRealIdx("t10k-labels-idx1-ubyte", 8);
    const layout = items(Array.from(labels.subarray(5, 9), (label) => CLASS_NAMES[label]!));
    const decoded = decodeRgba(a);
    const origin = gridPictureOrigin(layout, 3, { scale: 1 });
    expect(decoded.at(origin.x + 14, origin.y + 14)[0]).toBe(images[8 * 784 + 14 * 28 + 14]);
  });

  it("refuses --offset beyond the split (exit 2)", () => {
    const result = runCli(["show", ...dataFlags(), "--offset", "60000"], { cwd: dir });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^softmax: --offset: .*train split \(60000 images\)/);
  });
});
