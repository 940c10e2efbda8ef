// Writing files so that a reader never sees half of one: write a temporary file in the same
// directory, flush it, then rename it over the target (rename is atomic within a filesystem).
// The temporary file is removed on every exit path (src/fs/temporary.ts).
import { open, rename, rm } from "node:fs/promises";
import { releaseOnExit, removeOnExit, temporaryPathFor } from "./temporary.js";

/** Writes `data` to `path` atomically: either the old file or the complete new one, never a mix. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = temporaryPathFor(path);
  removeOnExit(temporary);
  try {
    const handle = await open(temporary, "w", 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  } finally {
    releaseOnExit(temporary);
  }
}
