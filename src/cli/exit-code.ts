// Exit statuses of the softmax CLI (the README, "What all commands share").
export enum ExitCode {
  Success = 0,
  /** Runtime failure: data missing or corrupt, I/O, invalid model, training diverged. */
  Failure = 1,
  /** Usage error: unknown flag, bad value. */
  Usage = 2,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  Interrupted = 130,
  /** Stopped by SIGTERM (128 + 15), after saving what a Ctrl-C would have saved. */
  Terminated = 143,
}
