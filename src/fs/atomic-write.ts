// Writing files so that a reader never sees half of one: write a temporary file in the same
// directory, flush it, then rename it over the target (rename is atomic within a filesystem).
// The temporary file is removed on every exit path (src/fs/temporary.ts).
// Two kinds of target are not files to replace: a symlink is followed, so the file it points to is
// replaced and the link stays (`--out /dev/stdout` must not turn the link into a file); and a
// character device, FIFO or socket is written in place (`--out /dev/full` as root must not replace
// the device node with a regular file).
import { type FileHandle, lstat, open, readlink, realpath, rename, rm, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { FileError } from "../errors.js";
import { releaseOnExit, removeOnExit, temporaryPathFor } from "./temporary.js";

/**
 * Writes `data` to `path` atomically: either the old file or the complete new one, never a mix.
 * A symlink is followed to its target; a special file (device, FIFO, socket) is written in place.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const target = await followLinks(path);
  const stream = standardStream(target);
  if (stream !== undefined) {
    await writeToStream(stream, data);
    return;
  }
  if (await isSpecialFile(target)) {
    await writeInPlace(target, data);
    return;
  }
  const { temporary, handle } = await createTemporary(target);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  } finally {
    releaseOnExit(temporary);
  }
}

/** Names tried for a temporary file before giving up (each taken name is somebody else's file). */
const TEMPORARY_TRIES = 8;

/**
 * A new temporary file next to `target`, created exclusively ("wx": O_CREAT | O_EXCL), so that it
 * is never a file or a symlink that was already there, whoever put it there: a name that is
 * taken is left alone and another one tried. Registered for removal at exit.
 */
async function createTemporary(target: string): Promise<{ temporary: string; handle: FileHandle }> {
  for (let attempt = 1; ; attempt++) {
    const temporary = temporaryPathFor(target);
    removeOnExit(temporary);
    try {
      return { temporary, handle: await open(temporary, "wx", 0o644) };
    } catch (error) {
      releaseOnExit(temporary); // not ours: never removed
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt === TEMPORARY_TRIES) throw error;
    }
  }
}

/** The path `path` names after every symlink, or `path` itself when it is not a link (or does not exist). */
async function followLinks(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    // A dangling link (its target does not exist yet): the new file goes where it points.
    try {
      if ((await lstat(path)).isSymbolicLink()) return resolve(dirname(path), await readlink(path));
    } catch {
      // Not there at all: an ordinary new file.
    }
    return path;
  }
}

/**
 * process.stdout or process.stderr when `path` is one of this process's own descriptors 1 or 2
 * (/dev/stdout → /proc/self/fd/1): they may be a socket, which open(2) cannot reopen (ENXIO), so the
 * bytes go through the stream the process already has.
 */
function standardStream(path: string): NodeJS.WriteStream | undefined {
  const match = /^\/(?:proc\/self|dev)\/fd\/([12])$/.exec(path);
  if (match === null) return undefined;
  return match[1] === "1" ? process.stdout : process.stderr;
}

function writeToStream(stream: NodeJS.WriteStream, data: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(data, (error) => (error ? reject(error) : resolve()));
  });
}

/** Whether `path` is a device, FIFO or socket to write in place; a block device (a disk) is refused. */
async function isSpecialFile(path: string): Promise<boolean> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    return false;
  }
  if (info.isBlockDevice()) {
    throw new FileError(`${path} is a block device; a file is never written over a disk`, {
      hint: "name a regular file",
      reason: "not-regular",
    });
  }
  return info.isCharacterDevice() || info.isFIFO() || info.isSocket();
}

/** Writes to an existing device, FIFO or socket as a shell's `>` would, without creating or renaming anything. */
async function writeInPlace(path: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(path, "w");
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}
