// One wording for local I/O failures (a full disk, a read-only directory, a permission): a
// FileError naming the file and the action, with a hint that fits the cause. Never blamed on a
// server or retried: these are the local machine's, and the same on every attempt.
import { FileError } from "../errors.js";

const HINTS: Readonly<Record<string, string>> = {
  ENOSPC: "the disk is full: free some space or choose another directory",
  EDQUOT: "the disk quota is exhausted: free some space or choose another directory",
  EROFS: "the file system is read-only: choose another directory",
  EACCES: "permission denied: choose a directory you can write to",
  EPERM: "permission denied: choose a directory you can write to",
  ENOTDIR: "a path component is a file, not a directory",
  EISDIR: "the path names a directory",
};

/** A FileError for `error` (a Node errno error) met while doing `action` ("write", "create", ...) to `path`. */
export function ioError(action: string, path: string, error: unknown, hint?: string): FileError {
  if (error instanceof FileError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const what = code === undefined ? (error as Error).message : `${describe(error as NodeJS.ErrnoException)} (${code})`;
  return new FileError(`cannot ${action} ${path}: ${what}`, {
    hint: hint ?? (code === undefined ? undefined : HINTS[code]),
    cause: error,
  });
}

/** True for errors of the local file system that carry an errno code (as opposed to our own errors). */
export function isIoError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === "string" && "syscall" in error;
}

/** "no space left on device" out of "ENOSPC: no space left on device, write". */
function describe(error: NodeJS.ErrnoException): string {
  const match = /^[A-Z]+: ([^,]+)/.exec(error.message);
  return match?.[1] ?? error.message;
}
