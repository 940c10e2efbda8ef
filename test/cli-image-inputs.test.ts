// Inputs a user names, through the built binary: devices and pipes are read with a cap (predict
// /dev/zero and evaluate --model /dev/zero fail fast with one line), a FIFO holding a PNG is read
// like a file, and bad image files are named for what they are (exit 1, one line).
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initParams } from "../src/model/softmax-regression.js";
import { saveModel } from "../src/model-file/model-file.js";
import { BUILT, runCli } from "./helpers/cli.js";
import { item } from "./helpers/image-input.js";
import { encodeRawPng, grayPng, pngBomb, rawImageData } from "./helpers/raw-png.js";

describe.runIf(BUILT)("own images and model files from devices, pipes and bad files (e2e)", () => {
  let dir: string;
  let model: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "softmax-inputs-"));
    model = join(dir, "m.safetensors");
    await saveModel(model, initParams(0), {});
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const oneLine = (stderr: string) => {
    const lines = stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    return lines[0]!;
  };

  it("evaluate --model /dev/zero fails fast with one line", async () => {
    const result = await runCli(["evaluate", "--model", "/dev/zero", "--offline"], { cwd: dir });
    expect(result.status).toBe(1);
    expect(oneLine(result.stderr)).toMatch(
      /^softmax: \/dev\/zero: holds more than \d+ bytes, more than a model file can/,
    );
  });

  it("predict /dev/zero stops at the image cap with one line", async () => {
    const result = await runCli(["predict", "--model", model, "/dev/zero"], { cwd: dir });
    expect(result.status).toBe(1);
    expect(oneLine(result.stderr)).toMatch(/^softmax: \/dev\/zero holds more than 67108864 bytes/);
  });

  it("predict reads a PNG from a FIFO, as from a process substitution <(…)", async () => {
    const fifo = join(dir, "photo.png");
    execFileSync("mkfifo", [fifo]);
    const source = join(dir, "source.png");
    writeFileSync(source, grayPng(28, 28, item()));
    const writer = spawn("sh", ["-c", `cat '${source}' > '${fifo}'`]);
    const written = new Promise((resolve) => writer.on("close", resolve));
    const result = await runCli(["predict", "--model", model, fifo], { cwd: dir });
    expect(await written).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout.split("\n")[1]).toMatch(new RegExp(`^${fifo}\\t\\t\\S`));
  });

  it.each([
    ["empty.png", Buffer.alloc(0), /^softmax: empty\.png is empty/],
    [
      "photo.jpg",
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]),
      /^softmax: photo\.jpg is a JPEG image, not a PNG \(convert it: /,
    ],
    ["cat.gif", Buffer.from("GIF89a\x01\x00\x01\x00"), /^softmax: cat\.gif is a GIF image, not a PNG/],
    [
      "half.png",
      encodeRawPng({
        width: 28,
        height: 28,
        colorType: 0,
        bitDepth: 8,
        samples: item(),
        idat: [deflateSync(rawImageData({ width: 28, height: 14, colorType: 0, bitDepth: 8, samples: item() }))],
      }),
      /^softmax: half\.png is a damaged or truncated PNG \(its image data inflates to 406 bytes; its header implies 812\)/,
    ],
    [
      "bomb.png",
      pngBomb(8 * 1024 * 1024),
      /^softmax: bomb\.png is a damaged or truncated PNG \(its image data inflates to more than the 2 bytes its header implies\)/,
    ],
  ])("predict %s: exit 1, one line saying what the file is", async (name, bytes, pattern) => {
    writeFileSync(join(dir, name), bytes);
    const result = await runCli(["predict", "--model", model, name], { cwd: dir });
    expect(result.status).toBe(1);
    expect(oneLine(result.stderr)).toMatch(pattern);
    expect(result.stdout).toBe("");
  });
});
