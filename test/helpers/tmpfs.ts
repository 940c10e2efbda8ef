// A small tmpfs mounted for one test, to meet a full disk (ENOSPC) or a read-only directory
// (EROFS) for real: as root, permissions do not stop writes, and no other way gives these errors.
// Needs root and the right to mount (true on the project's machines and CI); tests skip otherwise.
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** True when this process may mount a tmpfs (checked once by trying). */
export const CAN_MOUNT: boolean = (() => {
  if (process.getuid?.() !== 0) return false;
  const probe = join(tmpdir(), `softmax-mount-probe-${process.pid}`);
  try {
    execFileSync("mkdir", ["-p", probe]);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=4k", "tmpfs", probe], { stdio: "ignore" });
    execFileSync("umount", [probe], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    execFileSync("rm", ["-rf", probe]);
  }
})();

export interface Tmpfs {
  readonly path: string;
  /** Remounts it read-only (files written so far stay readable). */
  readOnly(): void;
  unmount(): Promise<void>;
}

/** Mounts a tmpfs of `kilobytes` under a fresh temporary directory. */
export async function mountTmpfs(kilobytes: number): Promise<Tmpfs> {
  const parent = await mkdtemp(join(tmpdir(), "softmax-tmpfs-"));
  const path = join(parent, "mnt");
  await mkdir(path);
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${kilobytes}k`, "tmpfs", path]);
  return {
    path,
    readOnly: () => execFileSync("mount", ["-o", "remount,ro", path]),
    unmount: async () => {
      execFileSync("umount", ["-l", path]);
      await rm(parent, { recursive: true, force: true });
    },
  };
}
