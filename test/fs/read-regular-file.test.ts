// The bounded reader of regular files: a file larger than one read request comes back whole and in
// order, in the buffer `allocate` gives; a file that grew or shrank between its stat and its read
// (within the cap or past it); an empty file; a buffer of the wrong length is refused.
import { appendFileSync, truncateSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readRegularFile } from "../../src/fs/read-regular-file.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "softmax-read-regular-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `n` bytes that differ from one 1 MiB piece to the next and within each (a misplaced piece shows). */
function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + (i >>> 20) * 7) & 0xff);
}

describe("readRegularFile", () => {
  it("reads a file of several read requests whole, in order, into the buffer allocate gives", async () => {
    const path = join(dir, "big");
    const content = pattern(2.5 * 1024 * 1024 + 3);
    await writeFile(path, content);
    const memory = new ArrayBuffer(content.length + 100);
    const asked: number[] = [];
    const read = await readRegularFile(path, {
      maxBytes: content.length,
      allocate: (size) => {
        asked.push(size);
        return new Uint8Array(memory, 100, size);
      },
    });
    expect(asked).toEqual([content.length]);
    expect(read.bytes.buffer).toBe(memory);
    expect(read.bytes.byteOffset).toBe(100);
    expect(Buffer.from(read.bytes).equals(Buffer.from(content))).toBe(true);
    expect(read.stat.size).toBe(BigInt(content.length));
  });

  it("reads an empty file as no bytes", async () => {
    const path = join(dir, "empty");
    await writeFile(path, "");
    expect((await readRegularFile(path, { maxBytes: 10 })).bytes.length).toBe(0);
  });

  // allocate runs between the stat and the first read: a file changed there has changed since its stat.
  it("reads on past the stat's size when the file grew since, into a new array", async () => {
    const path = join(dir, "growing");
    const content = pattern(1.5 * 1024 * 1024);
    await writeFile(path, content.subarray(0, 1024 * 1024));
    const given: Uint8Array[] = [];
    const read = await readRegularFile(path, {
      maxBytes: content.length,
      allocate: (size) => {
        appendFileSync(path, content.subarray(size));
        given.push(new Uint8Array(size));
        return given[0]!;
      },
    });
    expect(read.bytes).not.toBe(given[0]);
    expect(read.bytes.length).toBe(content.length);
    expect(Buffer.from(read.bytes).equals(Buffer.from(content))).toBe(true);
  });

  it("refuses a file that grew past the cap since its stat", async () => {
    const path = join(dir, "overgrown");
    await writeFile(path, pattern(1000));
    const read = readRegularFile(path, {
      maxBytes: 1010,
      allocate: (size) => {
        appendFileSync(path, pattern(100));
        return new Uint8Array(size);
      },
    });
    await expect(read).rejects.toThrow(/more than 1100 bytes, more than the 1010 expected/);
  });

  it("returns the bytes there are when the file shrank since its stat", async () => {
    const path = join(dir, "shrinking");
    const content = pattern(2 * 1024 * 1024 + 5);
    await writeFile(path, content);
    const half = 1024 * 1024 + 7;
    const read = await readRegularFile(path, {
      maxBytes: content.length,
      allocate: (size) => {
        truncateSync(path, half);
        return new Uint8Array(size);
      },
    });
    expect(read.bytes.length).toBe(half);
    expect(Buffer.from(read.bytes).equals(Buffer.from(content.subarray(0, half)))).toBe(true);
  });

  it("refuses a buffer from allocate that is not the file's size", async () => {
    const path = join(dir, "small");
    await writeFile(path, pattern(1000));
    await expect(
      readRegularFile(path, { maxBytes: 1000, allocate: (size) => new Uint8Array(size - 1) }),
    ).rejects.toThrow(RangeError);
  });
});
