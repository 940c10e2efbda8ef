// The check of an output path before a long job: empty and directory paths are usage errors naming
// the flag; a missing or read-only directory is a FileError naming the path and the directory.
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileError, UsageError } from "../../src/errors.js";
import { checkOutputPath } from "../../src/fs/output-path.js";

const model = { what: "the model", flag: "--out", fileName: "model.safetensors" };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "softmax-output-path-"));
});
afterEach(async () => {
  await chmod(dir, 0o700).catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

describe("checkOutputPath", () => {
  it("accepts a new file or an existing one in a writable directory", async () => {
    await expect(checkOutputPath(join(dir, "new.safetensors"), model)).resolves.toBeUndefined();
    await writeFile(join(dir, "old.safetensors"), "old");
    await expect(checkOutputPath(join(dir, "old.safetensors"), model)).resolves.toBeUndefined();
  });

  it.each(["", "  "])("refuses %j as a usage error naming the flag", async (path) => {
    const error = await checkOutputPath(path, model).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ message: "--out is empty", hint: "give the path of the file for the model" });
  });

  it("refuses a directory, or a path ending in /, suggesting a file inside it", async () => {
    const error = await checkOutputPath(dir, model).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({
      message: `--out ${dir} is a directory; it must name the file for the model`,
      hint: `for example --out ${join(dir, "model.safetensors")}`,
    });
    const slash = await checkOutputPath("models/", {
      what: "the curves",
      flag: "--plot",
      fileName: "curves.png",
    }).catch((e: unknown) => e);
    expect(slash).toMatchObject({ message: "--plot models/ is a directory; it must name the file for the curves" });
    expect(slash).toMatchObject({ hint: "for example --plot models/curves.png" });
  });

  it("refuses a file in a missing directory, or under a file, as a FileError naming both", async () => {
    const missing = join(dir, "missing", "model.safetensors");
    const error = await checkOutputPath(missing, model).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileError);
    expect(error).toMatchObject({
      message: `${missing}: cannot write the model: directory ${join(dir, "missing")} does not exist`,
      hint: "create the directory or choose another --out",
    });
    await writeFile(join(dir, "file"), "");
    await expect(checkOutputPath(join(dir, "file", "m.safetensors"), model)).rejects.toThrow(/is not a directory$/);
  });

  it.skipIf(process.getuid?.() === 0)("refuses a file in a read-only directory", async () => {
    const readOnly = join(dir, "ro");
    await mkdir(readOnly);
    await chmod(readOnly, 0o500);
    await expect(checkOutputPath(join(readOnly, "m.safetensors"), model)).rejects.toThrow(
      /cannot write the model: directory .*ro is not writable \(EACCES\)$/,
    );
  });
});
