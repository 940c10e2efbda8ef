// Atomic writes: a regular file is replaced by rename with no temporary file left; a symlink is
// followed (the link stays a link); a character device or FIFO is written in place, never replaced.
import { execFileSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { writeFileAtomic } from "../../src/fs/atomic-write.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "softmax-atomic-"));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

describe("writeFileAtomic", () => {
  it("replaces a regular file and leaves no temporary file", async () => {
    const path = join(dir, "model.safetensors");
    await writeFile(path, "old");
    await writeFileAtomic(path, "new");
    expect(await readFile(path, "utf8")).toBe("new");
    expect(await readdir(dir)).toEqual(["model.safetensors"]);
  });

  it("never writes through a file or symlink already at its temporary name: it takes another name", async () => {
    // The temporary names come from Math.random: the first two draws give names that are taken
    // (a stranger's file, and a symlink to a file outside), the third a free one.
    const path = join(dir, "model.safetensors");
    const outside = join(dir, "outside.txt");
    await writeFile(outside, "not yours");
    const draws = [0.25, 0.5, 0.75];
    const random = vi.spyOn(Math, "random").mockImplementation(() => draws.shift() ?? 0.875);
    const taken = (fraction: number) =>
      join(dir, `.model.safetensors.${process.pid}.${(fraction * 2 ** 32).toString(16).padStart(8, "0")}.tmp`);
    await writeFile(taken(0.25), "a stranger's file");
    await symlink(outside, taken(0.5));
    await writeFileAtomic(path, "new");
    expect(random).toHaveBeenCalledTimes(3);
    expect(await readFile(path, "utf8")).toBe("new");
    expect(await readFile(taken(0.25), "utf8")).toBe("a stranger's file");
    expect((await lstat(taken(0.5))).isSymbolicLink()).toBe(true);
    expect(await readFile(outside, "utf8")).toBe("not yours");
    expect((await readdir(dir)).length).toBe(4); // the model, outside.txt and the two taken names
  });

  it("gives up after 8 taken names, leaving them all alone", async () => {
    const path = join(dir, "model.safetensors");
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const name = `.model.safetensors.${process.pid}.80000000.tmp`;
    await writeFile(join(dir, name), "a stranger's file");
    await expect(writeFileAtomic(path, "new")).rejects.toMatchObject({ code: "EEXIST" });
    expect(await readdir(dir)).toEqual([name]);
    expect(await readFile(join(dir, name), "utf8")).toBe("a stranger's file");
  });

  it("follows a symlink: the file it points to is replaced, the link stays a link", async () => {
    const target = join(dir, "real.png");
    const link = join(dir, "link.png");
    await writeFile(target, "old");
    await symlink("real.png", link);
    await writeFileAtomic(link, "new");
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe("real.png");
    expect(await readFile(target, "utf8")).toBe("new");
    expect((await readdir(dir)).sort()).toEqual(["link.png", "real.png"]);
  });

  it("follows a dangling symlink: the file is created where it points", async () => {
    const link = join(dir, "link.png");
    await symlink("later.png", link);
    await writeFileAtomic(link, "bytes");
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readFile(join(dir, "later.png"), "utf8")).toBe("bytes");
  });

  it("writes to a FIFO in place: the reader gets the bytes and the FIFO stays a FIFO", async () => {
    const fifo = join(dir, "pipe.png");
    execFileSync("mkfifo", [fifo]);
    const received = new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      createReadStream(fifo)
        .on("data", (chunk) => chunks.push(chunk as Buffer))
        .on("end", () => resolve(Buffer.concat(chunks)))
        .on("error", reject);
    });
    await writeFileAtomic(fifo, "through the pipe");
    expect((await received).toString()).toBe("through the pipe");
    expect((await stat(fifo)).isFIFO()).toBe(true);
    expect(await readdir(dir)).toEqual(["pipe.png"]);
  });

  it("writes to a character device in place (/dev/null), through a symlink to it too", async () => {
    await writeFileAtomic("/dev/null", "discarded");
    expect((await stat("/dev/null")).isCharacterDevice()).toBe(true);
    const link = join(dir, "out.png");
    await symlink("/dev/null", link);
    await writeFileAtomic(link, "discarded");
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readdir(dir)).toEqual(["out.png"]);
  });

  it("reports a full device (/dev/full) without replacing the device node", async () => {
    await expect(writeFileAtomic("/dev/full", "no room")).rejects.toMatchObject({ code: "ENOSPC" });
    const info = await stat("/dev/full");
    expect(info.isCharacterDevice()).toBe(true);
  });
});
