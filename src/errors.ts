// Error types the library throws. Each names the file, URL or flag at fault, the expected and
// actual values, and a hint; the CLI prints `message` and `hint` on one line and maps the class
// to an exit status. Nothing here prints or exits.

export interface ErrorDetails {
  /** What the user can do about it, e.g. "run `softmax download --force`". */
  hint?: string;
  cause?: unknown;
}

export class SoftmaxError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.hint = details.hint;
  }
}

/** A bad flag value or argument the parser could not catch (exit status 2). */
export class UsageError extends SoftmaxError {}

/** The dataset is missing, corrupt, or could not be fetched. */
export class DataError extends SoftmaxError {}

/** A download failed on every mirror. */
export class DownloadError extends DataError {}

/**
 * A local file cannot be read or written as asked: not a regular file (a FIFO, a device), larger
 * than it may be, or an I/O error such as a full disk or a read-only directory. Names the file.
 */
export class FileError extends SoftmaxError {
  /** "not-regular": a FIFO, device, socket or directory; "too-large": past the reader's cap; "io": errno. */
  readonly reason: "not-regular" | "too-large" | "io";
  constructor(message: string, details: ErrorDetails & { reason?: FileError["reason"] } = {}) {
    super(message, details);
    this.reason = details.reason ?? "io";
  }
}

/** A model file is missing, malformed or of the wrong shape. */
export class ModelFileError extends SoftmaxError {}

/** An input image cannot be read. */
export class ImageError extends SoftmaxError {}

/**
 * The loss became NaN or Infinity at `step` of `steps` (of `epoch`, when the training loop knows
 * it). One constructor for every backend and the loop, so the message reads the same everywhere.
 */
export class DivergenceError extends SoftmaxError {
  constructor(
    readonly loss: number,
    readonly step: number,
    readonly steps: number,
    lr: number,
    readonly epoch?: number,
  ) {
    const where = epoch === undefined ? "" : ` in epoch ${epoch}`;
    super(`training diverged${where}: the loss became ${loss} at step ${step} of ${steps}`, {
      hint: `try a smaller --lr than ${lr}`,
    });
  }
}

export type InterruptSignal = "SIGINT" | "SIGTERM";

/** Ctrl-C (SIGINT) or SIGTERM stopped the work; what was done so far has been saved (exit status 130 or 143). */
export class InterruptedError extends SoftmaxError {
  readonly signal: InterruptSignal;
  constructor(message: string, details: ErrorDetails & { signal?: InterruptSignal } = {}) {
    super(message, details);
    this.signal = details.signal ?? "SIGINT";
  }
}
