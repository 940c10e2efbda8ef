// Reading a user's image file with a byte cap: any file that can be read (a regular file, a FIFO,
// /dev/stdin, a process substitution `<(…)`), its bytes counted as they arrive, so `predict /dev/zero`
// stops at the cap instead of filling memory. Failures are ImageErrors naming the file. Decoding the
// bytes is png-luma.ts's business.
import { FileError, ImageError } from "../errors.js";
import { readCappedFile, readCappedStream } from "../fs/read-capped.js";
import { STDIN_NAME } from "./file-kind.js";

/** Largest image file read: 64 MiB, far above a photo's PNG of the 16-megapixel limit. */
export const MAX_IMAGE_FILE_BYTES = 64 * 1024 * 1024;

/** The bytes of the image at `path` ("-" reads stdin), at most MAX_IMAGE_FILE_BYTES of them. */
export async function readImageFile(path: string): Promise<Uint8Array> {
  const name = path === "-" ? STDIN_NAME : path;
  try {
    const options = { maxBytes: MAX_IMAGE_FILE_BYTES };
    return path === "-" ? await readCappedStream(process.stdin, name, options) : await readCappedFile(path, options);
  } catch (cause) {
    if (cause instanceof FileError && cause.reason === "too-large") {
      throw new ImageError(`${name} holds more than ${MAX_IMAGE_FILE_BYTES} bytes, more than an image is read`, {
        hint: "shrink the image first; it is reduced to 28×28 anyway",
        cause,
      });
    }
    if (cause instanceof FileError) throw new ImageError(cause.message, { hint: "give the path of a PNG file", cause });
    const code = (cause as NodeJS.ErrnoException).code;
    const what = code === "ENOENT" ? "no such file" : `cannot read (${code ?? String(cause)})`;
    throw new ImageError(`${name}: ${what}`, { hint: "give the path of a PNG file", cause });
  }
}
