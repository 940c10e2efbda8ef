// The progress bar of a download (and of each epoch of `softmax compare`) on stderr, in the look of
// train's live line (progress-line.ts): the same bar, percentage and ETA, one line no wider than
// the terminal, wiped when done. cli-progress draws it (timing, redraws, cursor); it is loaded only
// when a bar is first drawn, so that a command that draws none (train with the data present) never
// pays for loading it. Output decides whether a bar is drawn at all (stderr a TTY, not --quiet).
import type { SingleBar } from "cli-progress";
import { formatDuration, percentage, progressBar, type TerminalStream } from "./progress-line.js";

/** What a bar counts: bytes of a download, or steps of an epoch. */
export type BarUnit = "bytes" | "steps";

/** Where a bar stands. */
export interface BarProgress {
  /** What is in progress: a file name, or compare's run and epoch. */
  readonly label: string;
  readonly value: number;
  readonly total: number;
  readonly unit: BarUnit;
  /** Seconds left, or null (or not finite) before there is anything to estimate from. */
  readonly etaSeconds: number | null;
}

/** "8.2/26.4 MB" (or kB below a megabyte), "120/235 steps": the value padded to the total's width. */
export function formatCount(value: number, total: number, unit: BarUnit): string {
  if (unit === "steps") return `${String(value).padStart(String(total).length)}/${total} steps`;
  const [scale, name] = total >= 1e6 ? [1e6, "MB"] : [1e3, "kB"];
  const digits = total >= 1e6 ? 1 : 0;
  const totalText = (total / scale).toFixed(digits);
  return `${(value / scale).toFixed(digits).padStart(totalText.length)}/${totalText} ${name}`;
}

/**
 * The line for `p`, at most `width` columns: "train-images-idx3-ubyte.gz  [=====>        ]  31%
 * 8.2/26.4 MB  ETA 0:03". As in train's line, parts are dropped from the least useful (the bar
 * first, then the count, then the ETA) until the line fits; the last resort is cutting the label.
 */
export function formatBarLine(p: BarProgress, width: number): string {
  const done = p.total > 0 ? Math.min(1, p.value / p.total) : 0;
  const percent = percentage(done);
  const count = formatCount(p.value, p.total, p.unit);
  const eta = `ETA ${formatDuration(p.etaSeconds)}`;
  const join = (parts: string[]) => parts.join("  ");
  const room = width - join([p.label, percent, count, eta]).length - 4;
  if (room >= 10) return join([p.label, progressBar(done, Math.min(30, room)), `${percent}  ${count}  ${eta}`]);
  for (const parts of [
    [p.label, percent, count, eta],
    [p.label, percent, eta],
    [p.label, percent],
  ]) {
    const line = join(parts);
    if (line.length <= width) return line;
  }
  const labelRoom = width - percent.length - 2;
  return labelRoom > 0
    ? join([p.label.slice(0, labelRoom), percent])
    : percent.trimStart().slice(0, Math.max(0, width));
}

/** A bar being drawn: the latest value (and total), then stop, which wipes the line. */
export interface Progress {
  update(value: number, total?: number): void;
  stop(): void;
}

/**
 * Draws a bar for `label` on `stream` (a terminal). Returns at once; cli-progress is imported in
 * the background and the bar starts at the latest value given meanwhile. A bar stopped before the
 * import finishes is never drawn.
 */
export function startProgressBar(
  stream: TerminalStream & NodeJS.WritableStream,
  label: string,
  total: number,
  unit: BarUnit,
): Progress {
  let value = 0;
  let latestTotal = total;
  let stopped = false;
  let bar: SingleBar | null = null;
  void import("cli-progress").then(
    ({ SingleBar }) => {
      if (stopped) return;
      const drawn = new SingleBar({
        // One column short of the width, as train's line: writing the last column moves some terminals to a new line.
        format: (_options, params) =>
          formatBarLine(
            { label, value: params.value, total: params.total, unit, etaSeconds: params.eta },
            (stream.columns || 80) - 1,
          ),
        stream: stream as NodeJS.WriteStream,
        hideCursor: true,
        clearOnComplete: true,
        // The line is fitted to the width here, so cli-progress need not turn wrapping off.
        linewrap: true,
      });
      drawn.start(latestTotal, value);
      bar = drawn;
    },
    () => {
      // No bar, then: the download goes on without one.
    },
  );
  return {
    update(newValue, newTotal) {
      value = newValue;
      if (newTotal !== undefined) latestTotal = newTotal;
      if (bar === null) return;
      if (newTotal !== undefined) bar.setTotal(newTotal);
      bar.update(newValue);
    },
    stop() {
      stopped = true;
      bar?.stop();
      bar = null;
    },
  };
}
