// Reading a whole file with a byte cap, safely for any path a user may name: the file is opened
// without blocking (a FIFO named like a data file must not hang the program), refused unless it is
// a regular file (a device or a pipe has no size and may never end), and its bytes are counted as
// they arrive (a file that grows while it is read cannot exceed the cap). Not a stream reader and
// not for stdin: the caller gets one buffer of a regular file.
import { type BigIntStats, constants } from "node:fs";
import { open } from "node:fs/promises";
import { FileError } from "../errors.js";

// O_NONBLOCK: open(2) on a FIFO with no writer returns at once instead of waiting for one.
// O_NOCTTY: opening a terminal device never makes it our controlling terminal.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0);

/** Bytes per read request. */
const PIECE_BYTES = 1024 * 1024;

export interface RegularFile {
  readonly bytes: Uint8Array;
  /** The stat of the file read, taken on the same open handle (same inode as the bytes). */
  readonly stat: BigIntStats;
}

export interface ReadOptions {
  /** Most bytes accepted; a longer file is refused before it is read whole. */
  maxBytes: number;
  /** What the user can do when the file is refused (goes into the FileError's hint). */
  hint?: string;
  /**
   * The buffer the bytes are read into, for a file whose stat gives `size` bytes (already within
   * maxBytes): `size` bytes long. Default a new Uint8Array. (Bytes of a file that grew past its
   * stat size go into a new, larger array: the result is then not this buffer.)
   */
  allocate?: (size: number) => Uint8Array;
}

/**
 * The bytes of the regular file `path`, at most `maxBytes` of them. Throws FileError for a file
 * that is not regular (FIFO, device, socket, directory) or longer than the cap; errors of open(2)
 * such as ENOENT are thrown as they are, for the caller to tell "absent" from "unreadable".
 */
export async function readRegularFile(path: string, options: ReadOptions): Promise<RegularFile> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    // ENXIO: a socket, or a FIFO opened for writing without a reader; neither is a file to read.
    if ((error as NodeJS.ErrnoException).code === "ENXIO") throw notRegular(path, "a socket or a device", options);
    throw error;
  }
  try {
    const stat = await handle.stat({ bigint: true });
    if (!stat.isFile()) throw notRegular(path, kindOf(stat), options);
    const size = Number(stat.size);
    if (size > options.maxBytes) throw tooLarge(path, `${size} bytes`, options);
    let bytes = options.allocate?.(size) ?? new Uint8Array(size);
    if (bytes.length !== size) throw new RangeError(`allocate(${size}) gave ${bytes.length} bytes`);
    // Through a small buffer that is reused, copied into `bytes` here, rather than read() into
    // `bytes` itself: on this VM a fresh page costs a fault for the kernel's write and another for
    // the program's first read (docs/performance.md); a page written by a copy costs only one.
    const through = new Uint8Array(Math.min(size, PIECE_BYTES));
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(through, 0, Math.min(through.length, size - filled), filled);
      if (bytesRead === 0) break; // shrank since stat
      bytes.set(through.subarray(0, bytesRead), filled);
      filled += bytesRead;
    }
    // Full to the size stat gave (not shrunk): the file may have grown since, so read on, counting.
    while (filled === bytes.length) {
      const probe = new Uint8Array(64 * 1024);
      const { bytesRead } = await handle.read(probe, 0, probe.length, filled);
      if (bytesRead === 0) break;
      if (filled + bytesRead > options.maxBytes) throw tooLarge(path, `more than ${filled + bytesRead} bytes`, options);
      const grown = new Uint8Array(filled + bytesRead);
      grown.set(bytes.subarray(0, filled));
      grown.set(probe.subarray(0, bytesRead), filled);
      bytes = grown;
      filled += bytesRead;
    }
    return { bytes: filled === bytes.length ? bytes : bytes.subarray(0, filled), stat };
  } finally {
    await handle.close();
  }
}

/** What kind of non-regular file `stat` describes, for messages ("is a FIFO, not a regular file"). */
export function kindOf(stat: BigIntStats): string {
  if (stat.isFIFO()) return "a FIFO (named pipe)";
  if (stat.isCharacterDevice()) return "a character device";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSocket()) return "a socket";
  if (stat.isDirectory()) return "a directory";
  return "not a regular file";
}

function notRegular(path: string, kind: string, options: ReadOptions): FileError {
  return new FileError(`${path} is ${kind}, not a regular file`, {
    hint: options.hint ?? "name a regular file",
    reason: "not-regular",
  });
}

function tooLarge(path: string, size: string, options: ReadOptions): FileError {
  return new FileError(`${path}: ${size}, more than the ${options.maxBytes} expected`, {
    hint: options.hint ?? "it is not the right file",
    reason: "too-large",
  });
}
