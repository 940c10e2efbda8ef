// Where the CLI's output goes. stdout carries results only (table, TSV or NDJSON), or a picture
// alone (`--out -`, the results then on stderr); progress bars, logs, notices of files written and
// warnings go to stderr. Progress bars and the training line only when stderr is a TTY and not
// --quiet; colour only when stdout is a TTY and NO_COLOR is unset.
// docs/terminal.md states these rules for users.
import type { SoftmaxError } from "../index.js";
import { type BarUnit, type Progress, startProgressBar } from "./progress-bar.js";
import { TrainingProgressLine } from "./progress-line.js";

export interface OutputOptions {
  json?: boolean;
  quiet?: boolean;
  /**
   * The command's product is not its stdout (train's is the model file): when stdout's reader goes
   * away (EPIPE), say so once on stderr and carry on without stdout, instead of exiting.
   */
  outlivesStdout?: boolean;
  /**
   * stdout carries a picture (`--out -`): it must hold the PNG's bytes and nothing else, so the
   * results (the table, TSV or NDJSON) go to stderr instead.
   */
  pictureOnStdout?: boolean;
}

/** Set once process.stdout is found closed by a command that outlives it. */
let closedStdout = false;

/** Whether a command that outlives stdout has seen it closed (main.ts then does not exit). */
export function stdoutClosed(): boolean {
  return closedStdout;
}

/** A stream that may be a terminal (then it knows its width). */
type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  private readonly stdout: Stream;
  private readonly stderr: Stream;
  /** Where results go: stdout, or stderr when stdout carries a picture. */
  private readonly results: Stream;

  constructor(options: OutputOptions = {}, streams: { stdout?: Stream; stderr?: Stream } = {}) {
    this.json = options.json === true;
    this.quiet = options.quiet === true;
    this.stdout = streams.stdout ?? process.stdout;
    this.stderr = streams.stderr ?? process.stderr;
    this.results = options.pictureOnStdout === true ? this.stderr : this.stdout;
    if (options.outlivesStdout === true && this.stdout === process.stdout) {
      // Registered before main.ts's listener runs (listeners run in order), so that one sees it closed.
      process.stdout.prependListener("error", (error: NodeJS.ErrnoException) => {
        if (error.code !== "EPIPE" || closedStdout) return;
        closedStdout = true;
        this.stderr.write("softmax: stdout was closed; carrying on without it\n");
      });
    }
  }

  private writeStdout(text: string): void {
    if (!(closedStdout && this.results === process.stdout)) this.results.write(text);
  }

  /** A result line for humans; suppressed in --json mode (use `event` there). */
  line(text: string): void {
    if (!this.json) this.writeStdout(`${text}\n`);
  }

  /** One NDJSON object, only in --json mode. */
  event(name: string, fields: Record<string, unknown>): void {
    if (this.json) this.writeStdout(`${JSON.stringify({ event: name, ...fields })}\n`);
  }

  /** Raw text on stdout, whatever the mode (for TSV tables printed in both modes). */
  write(text: string): void {
    this.writeStdout(text);
  }

  /** A log line on stderr, silenced by --quiet. */
  info(text: string): void {
    if (!this.quiet) this.stderr.write(`${text}\n`);
  }

  /**
   * The notice of a file written, `saved FILE` (a model) or `wrote FILE` (a picture): on stderr
   * after the results, silenced by --quiet, the same in every command. With --json the command
   * reports the file as an event on stdout instead (a `file` event, or train's `done`).
   */
  notice(text: string): void {
    if (!this.json) this.info(text);
  }

  /**
   * `text` set off in colour in a result line (train's best test accuracy so far): only when
   * stdout is a terminal and NO_COLOR is unset, so piped or redirected results never hold codes.
   */
  emphasis(text: string): string {
    return this.results.isTTY === true && !noColor() ? `\x1b[1;32m${text}\x1b[0m` : text;
  }

  /** An error that does not end the command (one bad image among several): its one line on stderr. */
  error(error: SoftmaxError): void {
    this.stderr.write(`${errorLine(error)}\n`);
  }

  /** A warning on stderr; shown even with --quiet, because it says something is wrong. */
  warn(text: string): void {
    this.stderr.write(`softmax: warning: ${text}\n`);
  }

  /** train's live line on stderr (progress-line.ts), or null when stderr is not a TTY or --quiet is set. */
  trainingProgress(firstEpoch: number, totalEpochs: number): TrainingProgressLine | null {
    if (this.quiet || this.stderr.isTTY !== true) return null;
    return new TrainingProgressLine(this.stderr, firstEpoch, totalEpochs);
  }

  /**
   * A progress bar on stderr (progress-bar.ts: a download's bytes, an epoch's steps), or null when
   * stderr is not a TTY or --quiet is set; cli-progress is loaded only then.
   */
  progress(label: string, total: number, unit: BarUnit): Progress | null {
    if (this.quiet || this.stderr.isTTY !== true) return null;
    return startProgressBar(this.stderr, label, total, unit);
  }
}

/** The one line the CLI prints for an error: "softmax: MESSAGE (HINT)", newlines folded. */
export function errorLine(error: SoftmaxError): string {
  const hint = error.hint ? ` (${error.hint})` : "";
  return `softmax: ${oneLine(error.message)}${oneLine(hint)}`;
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, "; ");
}

/** NO_COLOR (https://no-color.org): any non-empty value turns colour off. */
export function noColor(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== "";
}
