// The capped reader for files a user names: regular files by their size, FIFOs and character devices
// counted as their bytes arrive and stopped at the cap; a directory refused.
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileError } from "../../src/errors.js";
import { readCappedFile } from "../../src/fs/read-capped.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "softmax-capped-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("readCappedFile", () => {
  it("reads a regular file within the cap, and refuses one beyond it", async () => {
    const path = join(dir, "a.png");
    await writeFile(path, Buffer.alloc(1000, 7));
    expect(Buffer.from(await readCappedFile(path, { maxBytes: 1000 })).equals(Buffer.alloc(1000, 7))).toBe(true);
    await expect(readCappedFile(path, { maxBytes: 999 })).rejects.toMatchObject({
      reason: "too-large",
      message: `${path}: 1000 bytes, more than the 999 expected`,
    });
  });

  it("reads a FIFO to its end, as a process substitution <(…) gives it", async () => {
    const fifo = join(dir, "in.png");
    execFileSync("mkfifo", [fifo]);
    const writer = spawn("sh", ["-c", `head -c 200000 /dev/zero | tr '\\0' 'x' > '${fifo}'`]);
    const written = new Promise((resolve) => writer.on("close", resolve));
    const bytes = await readCappedFile(fifo, { maxBytes: 1_000_000 });
    expect(bytes.length).toBe(200_000);
    expect(bytes.every((b) => b === 0x78)).toBe(true);
    expect(await written).toBe(0);
  });

  it("stops reading /dev/zero at the cap instead of filling memory", async () => {
    const error = await readCappedFile("/dev/zero", { maxBytes: 1_000_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileError);
    expect(error).toMatchObject({ reason: "too-large", message: "/dev/zero: more than the 1000000 bytes expected" });
  });

  it("refuses a directory and passes ENOENT through", async () => {
    await expect(readCappedFile(dir, { maxBytes: 10 })).rejects.toMatchObject({ reason: "not-regular" });
    await expect(readCappedFile(join(dir, "missing"), { maxBytes: 10 })).rejects.toMatchObject({ code: "ENOENT" });
  });
});
