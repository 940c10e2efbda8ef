// The check a long job makes before it starts that the file it will write at the end can be
// written: the path is not empty, not a directory, and its directory exists and is writable.
// Found after an hour of training, any of these would cost the result. It writes nothing (the
// write itself is writeFileAtomic's) and knows no file format: the caller names what the file
// is for and the flag that gave it.
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { FileError, UsageError } from "../errors.js";

/** What an output path is for, as the messages name it. */
export interface OutputTarget {
  /** What the file will hold: "the model", "the training curves". */
  readonly what: string;
  /** The flag that gave the path: "--out", "--plot". */
  readonly flag: string;
  /** A file name to suggest inside a directory given by mistake: "model.safetensors". */
  readonly fileName: string;
}

/**
 * Fails before any work when `path` cannot receive the file: empty or a directory (UsageError,
 * exit 2: the flag's value is wrong), or in a directory that is missing or read-only (FileError,
 * exit 1: the machine is in the way).
 */
export async function checkOutputPath(path: string, target: OutputTarget): Promise<void> {
  const { what, flag, fileName } = target;
  if (path.trim() === "") {
    throw new UsageError(`${flag} is empty`, { hint: `give the path of the file for ${what}` });
  }
  if (path.endsWith("/") || (await isDirectory(path))) {
    throw new UsageError(`${flag} ${path} is a directory; it must name the file for ${what}`, {
      hint: `for example ${flag} ${join(path, fileName)}`,
    });
  }
  const directory = dirname(path);
  try {
    const info = await stat(directory);
    if (!info.isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
    await access(directory, constants.W_OK);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    const reason =
      code === "ENOENT" ? "does not exist" : code === "ENOTDIR" ? "is not a directory" : `is not writable (${code})`;
    throw new FileError(`${path}: cannot write ${what}: directory ${directory} ${reason}`, {
      cause,
      hint: `create the directory or choose another ${flag}`,
    });
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false; // absent (it will be created) or unreadable (the directory check says why)
  }
}
