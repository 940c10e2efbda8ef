// Files this process creates and must not leave behind: temporary files of atomic writes and the
// lock files it holds. They are registered while they exist and removed synchronously when the
// process exits by any path that runs 'exit' handlers (a normal end, process.exit from a signal
// handler). Temporary files of processes that died without that chance (SIGKILL, a crash) are
// swept by name: `.NAME.PID.RANDOM.tmp` whose PID is no longer alive.
import { rmSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

const live = new Set<string>();
let hooked = false;

/** A temporary path next to `path`, unique to this process and call: `.NAME.PID.RANDOM.tmp`. */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomHex()}.tmp`);
}

/** Marks `path` as ours to remove if the process exits before `releaseOnExit(path)`. */
export function removeOnExit(path: string): void {
  if (!hooked) {
    process.on("exit", removeRegisteredSync);
    hooked = true;
  }
  live.add(path);
}

/** `path` was renamed into place or removed: nothing to clean up for it any more. */
export function releaseOnExit(path: string): void {
  live.delete(path);
}

/** Removes every registered file now (synchronously: it runs in 'exit' handlers, where nothing async does). */
export function removeRegisteredSync(): void {
  for (const path of live) {
    try {
      rmSync(path, { force: true });
    } catch {
      // Nothing more can be done while exiting; a later run sweeps it.
    }
  }
  live.clear();
}

const TEMPORARY = /^\..+\.(\d+)\.[0-9a-f]{8}\.(tmp|new|stale)$/;

/** Removes the temporary files in `dir` left by processes that are no longer alive; returns their paths. */
export async function sweepStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = TEMPORARY.exec(name);
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    try {
      await rm(join(dir, name), { force: true });
      removed.push(join(dir, name));
    } catch {
      // A read-only directory: nothing to sweep there.
    }
  }
  return removed;
}

/** True when a process `pid` exists (EPERM: it exists but belongs to someone else). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * 8 random hex digits, for names no other process or call picks. Math.random rather than
 * node:crypto, whose loading took ~8 ms of every `softmax train` (it saves a model): the names
 * need not be secret, since the files are created exclusively (writeFileAtomic's "wx", the lock's
 * link) and a name that is taken is never written through.
 */
export function randomHex(): string {
  return Math.floor(Math.random() * 2 ** 32)
    .toString(16)
    .padStart(8, "0");
}
