// A lock file per dataset file, so that two `softmax download` processes on one directory take
// turns instead of writing the same `.part` at once: the second waits, then finds the file the
// first one verified. Not a general-purpose lock: same host only, advisory, no fairness.
import { link, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { isAlive, randomHex, releaseOnExit, removeOnExit } from "../fs/temporary.js";

export interface LockOptions {
  /** How often a waiter looks again (ms). */
  pollMs?: number;
  /** A lock not refreshed for this long is abandoned even if its pid is alive (pid reuse) (ms). */
  staleMs?: number;
  /** Called once when this process starts waiting for another one. */
  onWait?: (holderPid: number) => void;
  signal?: AbortSignal;
}

/** Runs `task` while holding the lock file `path`; waits for a live holder, takes over a dead one's. */
export async function withLock<T>(path: string, task: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const pollMs = options.pollMs ?? 200;
  const staleMs = options.staleMs ?? 60_000;
  let waited = false;
  for (;;) {
    options.signal?.throwIfAborted();
    if (await tryCreate(path)) {
      // Ours until released: removed even if the process exits (Ctrl-C) while holding it.
      removeOnExit(path);
      break;
    }
    const holder = await readHolder(path);
    if (holder === undefined) continue; // released between our attempt and the read: try again
    if (!isAlive(holder.pid) || Date.now() - holder.mtimeMs > staleMs) {
      await takeOver(path, holder.pid);
      continue;
    }
    if (!waited) options.onWait?.(holder.pid);
    waited = true;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  // Refresh the lock's mtime while working, so a waiter can tell a live holder from a reused pid.
  const heartbeat = setInterval(
    () => {
      const now = new Date();
      utimes(path, now, now).catch(() => {});
    },
    Math.max(10, staleMs / 4),
  );
  heartbeat.unref();
  try {
    return await task();
  } finally {
    clearInterval(heartbeat);
    await rm(path, { force: true });
    releaseOnExit(path);
  }
}

/** Creates the lock with our pid in it, atomically: the pid is written first, then hard-linked into place. */
async function tryCreate(path: string): Promise<boolean> {
  const temporary = `${path}.${process.pid}.${randomHex()}.new`;
  await writeFile(temporary, `${process.pid}\n`, { flag: "wx" }); // exclusively: never through a file already there
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

async function readHolder(path: string): Promise<{ pid: number; mtimeMs: number } | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    const pid = Number.parseInt(text, 10);
    return { pid: Number.isInteger(pid) ? pid : 0, mtimeMs: info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Removes an abandoned lock. It is moved aside first (rename is atomic, so of two processes taking
 * over only one moves it); if what was moved turns out to be a fresh lock of a live process, it is
 * linked back.
 */
async function takeOver(path: string, stalePid: number): Promise<void> {
  const aside = `${path}.${process.pid}.${randomHex()}.stale`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const moved = await readHolder(aside);
  if (moved !== undefined && moved.pid !== stalePid && isAlive(moved.pid)) {
    await link(aside, path).catch(() => {});
  }
  await rm(aside, { force: true });
}
