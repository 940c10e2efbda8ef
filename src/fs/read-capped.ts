// Reading a file a user names as input (an image, a model) with a byte cap, whatever kind of file it
// is: a regular file goes through readRegularFile (refused by its size before it is read); a FIFO,
// /dev/stdin, a process substitution `<(…)` or a character device such as /dev/zero is read as a
// stream, its bytes counted as they arrive and the read stopped at the cap. A directory is refused.
// Data files, which must never be a pipe, use readRegularFile directly.
import { constants } from "node:fs";
import { open, stat } from "node:fs/promises";
import { FileError } from "../errors.js";
import { type ReadOptions, readRegularFile } from "./read-regular-file.js";

// O_NOCTTY: opening a terminal device never makes it our controlling terminal.
const STREAM_FLAGS = constants.O_RDONLY | (constants.O_NOCTTY ?? 0);
const CHUNK_BYTES = 64 * 1024;

/**
 * The bytes of a readable stream such as process.stdin, at most `options.maxBytes` of them, counted as
 * they arrive (stdin may be a socket, which cannot be opened again by a path such as /dev/stdin).
 * `name` names it in the FileError ("too-large") past the cap.
 */
export async function readCappedStream(
  stream: AsyncIterable<Uint8Array | string>,
  name: string,
  options: ReadOptions,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    total += bytes.length;
    if (total > options.maxBytes) throw tooLarge(name, options);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(name: string, options: ReadOptions): FileError {
  return new FileError(`${name}: more than the ${options.maxBytes} bytes expected`, {
    hint: options.hint ?? "it is not the right file",
    reason: "too-large",
  });
}

/**
 * The bytes of `path`, at most `options.maxBytes` of them. Throws FileError ("too-large") past the
 * cap, ("not-regular") for a directory or socket; errors of open(2) such as ENOENT are thrown as they are.
 */
export async function readCappedFile(path: string, options: ReadOptions): Promise<Uint8Array> {
  const info = await stat(path);
  if (info.isFile()) return (await readRegularFile(path, options)).bytes;
  if (info.isDirectory()) {
    throw new FileError(`${path} is a directory, not a file`, { hint: options.hint, reason: "not-regular" });
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, STREAM_FLAGS);
  } catch (error) {
    // ENXIO: a socket, which has nothing to open.
    if ((error as NodeJS.ErrnoException).code === "ENXIO") {
      throw new FileError(`${path} is a socket, not a file`, { hint: options.hint, reason: "not-regular" });
    }
    throw error;
  }
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(CHUNK_BYTES);
      // position null: read on from where the stream is (a pipe has no offsets).
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > options.maxBytes) throw tooLarge(path, options);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}
