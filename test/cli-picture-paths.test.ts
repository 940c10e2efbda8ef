// Every flag that names a picture refuses a name with another extension than .png, before any work:
// exit status 2 and one line naming the flag. A picture written to a device or through /dev/stdout
// goes there in place: the device node and the link stay what they are; stdout given a picture
// carries nothing else.
import { lstatSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { initParams } from "../src/model/softmax-regression.js";
import { saveModel } from "../src/model-file/model-file.js";
import { BUILT, lines, runCli } from "./helpers/cli.js";
import { item } from "./helpers/image-input.js";
import { decodeRgba, grayPng, pngChunkTypes } from "./helpers/raw-png.js";

describe.runIf(BUILT)("picture flags refuse a name that is not .png (e2e)", () => {
  it.each([
    [["show", "--out", "p.jpg"], "-o, --out <file.png>"],
    [["predict", "--out", "grid.gif"], "-o, --out <file.png>"],
    [["train", "--plot", "curves.jpeg"], "--plot <file>"],
    [["evaluate", "--confusion", "confusion.webp"], "--confusion <file>"],
  ])("softmax %j", async (args, flag) => {
    const result = await runCli(args);
    expect(result.status).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`option '${flag}'`);
    expect(lines[0]).toMatch(/ends in \.\w+, but pictures are written as PNG \(name it \w+\.png\)/);
    expect(result.stdout).toBe("");
  });
});

describe.runIf(BUILT)("pictures written to special files (e2e)", () => {
  it("show --out /dev/full fails with one line naming the full device, which stays a device", async () => {
    const dir = mkdtempSync(join(tmpdir(), "softmax-full-"));
    try {
      const model = join(dir, "m.safetensors");
      await saveModel(model, initParams(0), {});
      const result = await runCli(["show", "--weights", model, "--out", "/dev/full"]);
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(
        "softmax: cannot write /dev/full: no space left on device (ENOSPC) (the disk is full: free some space or choose another directory)\n",
      );
      expect(statSync("/dev/full").isCharacterDevice()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(["/dev/stdout", "-"])("show --out %s writes the PNG into the pipe and leaves the link alone", async (out) => {
    const dir = mkdtempSync(join(tmpdir(), "softmax-stdout-"));
    try {
      const model = join(dir, "m.safetensors");
      await saveModel(model, initParams(0), {});
      const result = await runCli(["show", "--weights", model, "--out", out]);
      expect(result.status).toBe(0);
      expect(result.stderr).toBe("");
      // The PNG signature (its first byte, 0x89, is not UTF-8 and decodes to U+FFFD), and nothing after the image.
      expect(result.stdout.slice(1, 4)).toBe("PNG");
      expect(result.stdout.endsWith("IEND\ufffdB`\ufffd")).toBe(true);
      expect(lstatSync("/dev/stdout").isSymbolicLink()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(BUILT)("predict -o -: stdout carries the PNG alone, the results go to stderr (e2e)", () => {
  it.each([[[] as string[]], [["--json"]]])("predict %j -o - shirt.png boot.png", async (extra) => {
    const dir = mkdtempSync(join(tmpdir(), "softmax-predict-stdout-"));
    try {
      const model = join(dir, "m.safetensors");
      await saveModel(model, initParams(0), {});
      writeFileSync(join(dir, "shirt.png"), grayPng(28, 28, item()));
      writeFileSync(join(dir, "boot.png"), grayPng(20, 30, new Uint8Array(600).fill(200)));
      const args = ["predict", "-m", model, ...extra, "shirt.png", "boot.png"];
      const table = await runCli(args, { cwd: dir });
      expect(table.status, table.stderr).toBe(0);
      const picture = await runCli([...args, "-o", "-"], { cwd: dir });
      expect(picture.status, picture.stderr).toBe(0);
      // Exactly one PNG, nothing before or after it, and one that decodes to the grid of two images.
      expect(pngChunkTypes(picture.stdoutBytes)).toEqual(expect.arrayContaining(["IHDR", "IDAT", "IEND"]));
      expect(decodeRgba(picture.stdoutBytes).width).toBeGreaterThan(2 * 28);
      // The results, whole and unchanged, on stderr instead (no "wrote -" notice or file event).
      expect(picture.stderr).toBe(table.stdout);
      expect(lines(picture.stderr)).toHaveLength(extra.length === 0 ? 3 : 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
