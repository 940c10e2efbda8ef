// The live line `softmax train` keeps on stderr in a terminal, as Keras's progress bar does: the
// epoch, the step, the running loss and accuracy of the epoch so far, the progress of the whole
// run and an ETA for it, redrawn in place on one line no wider than the terminal. Only drawn when
// stderr is a TTY and --quiet is not given (Output decides); this file holds no training logic.

/** Where the run stands after a step. */
export interface RunProgress {
  /** 1-based epoch, of `epochs` (counting epochs trained before a --resume). */
  readonly epoch: number;
  readonly epochs: number;
  /** 1-based step within the epoch, of `steps`. */
  readonly step: number;
  readonly steps: number;
  /** The epoch's running sums so far: d2l's Accumulator slots (loss sum, correct, examples). */
  readonly lossSum: number;
  readonly correct: number;
  readonly count: number;
  /** Fraction of the run's steps done, 0..1. */
  readonly done: number;
  /** Seconds left for the whole run, or null before there is anything to estimate from. */
  readonly etaSeconds: number | null;
}

/** "1:05", "12:03:09", or "--:--" when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const two = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/** " 31%": the part of the work done, floored, in the same four columns from 0% to 100%. */
export function percentage(done: number): string {
  return `${String(Math.floor(done * 100)).padStart(3)}%`;
}

/** "[=====>        ]": `done` (0..1) of `cells` columns filled, plus the two brackets. */
export function progressBar(done: number, cells: number): string {
  const filled = Math.min(cells, Math.floor(done * cells));
  return `[${"=".repeat(filled)}${filled < cells ? ">" : ""}${" ".repeat(Math.max(0, cells - filled - 1))}]`;
}

/**
 * The line for `p`, at most `width` columns: "epoch 2/10  step 120/235  loss 0.4821  acc 0.832
 * [=====>        ] 31%  ETA 0:42". Parts are dropped from the least useful (the bar first) until
 * the line fits; the last resort is cutting it at the width.
 */
export function formatProgressLine(p: RunProgress, width: number): string {
  const epochWidth = String(p.epochs).length;
  const stepWidth = String(p.steps).length;
  const epoch = `epoch ${String(p.epoch).padStart(epochWidth)}/${p.epochs}`;
  const step = `step ${String(p.step).padStart(stepWidth)}/${p.steps}`;
  const loss = `loss ${p.count === 0 ? "-" : (p.lossSum / p.count).toFixed(4)}`;
  const acc = `acc ${p.count === 0 ? "-" : (p.correct / p.count).toFixed(3)}`;
  const percent = percentage(p.done);
  const eta = `ETA ${formatDuration(p.etaSeconds)}`;
  const join = (parts: string[]) => parts.join("  ");
  const fixed = [epoch, step, loss, acc, percent, eta];
  // The bar takes what is left, between 10 and 30 columns (plus its brackets and a separator).
  const room = width - join(fixed).length - 4;
  if (room >= 10) {
    return join([epoch, step, loss, acc, progressBar(p.done, Math.min(30, room)), `${percent}  ${eta}`.trimStart()]);
  }
  // Narrow terminal: drop the bar, then the step, then the percentage, then the accuracy.
  for (const parts of [
    [epoch, step, loss, acc, percent, eta],
    [epoch, loss, acc, percent, eta],
    [epoch, loss, acc, eta],
    [epoch, loss, eta],
  ]) {
    const line = join(parts);
    if (line.length <= width) return line;
  }
  return join([epoch, loss, eta]).slice(0, Math.max(0, width));
}

/** A stream as a terminal: writable, with its width when it knows it. */
export interface TerminalStream {
  write(text: string): unknown;
  readonly columns?: number;
}

/**
 * Keeps the line up to date during a run. Redraws at most every `intervalMs` (a step of the fast
 * kernel takes ~1 ms; drawing each would cost more than the step), and on the last step of each
 * epoch. `clear()` wipes the line before a result line is printed, so results never share a line
 * with it. The ETA is the run's mean time per step so far times the steps left, timed from the end
 * of the first step (which also pays for starting the workers and compiling the kernel); the time
 * per step includes the evaluation after each epoch, which is part of what is left too.
 */
export class TrainingProgressLine {
  private firstStepDone = Number.NaN;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;
  private lossSum = 0;
  private correct = 0;
  private count = 0;
  private stepsDone = 0;

  constructor(
    private readonly stream: TerminalStream,
    /** Epochs already trained (--resume) and the epochs of the run, as the epoch numbers count. */
    private readonly firstEpoch: number,
    private readonly totalEpochs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly intervalMs = 100,
  ) {}

  /** After step `step` of `steps` of `epoch`: adds the step's sums and redraws when it is time. */
  step(epoch: number, report: { step: number; steps: number; batchSize: number; lossSum: number; correct: number }) {
    if (report.step === 1) {
      this.lossSum = 0;
      this.correct = 0;
      this.count = 0;
    }
    this.lossSum += report.lossSum;
    this.correct += report.correct;
    this.count += report.batchSize;
    this.stepsDone += 1;
    const now = this.now();
    if (this.stepsDone === 1) this.firstStepDone = now;
    if (now - this.lastDraw < this.intervalMs && report.step !== report.steps) return;
    this.lastDraw = now;
    const runSteps = (this.totalEpochs - this.firstEpoch) * report.steps;
    const timed = this.stepsDone - 1;
    const left = runSteps - this.stepsDone;
    const line = formatProgressLine(
      {
        epoch,
        epochs: this.totalEpochs,
        step: report.step,
        steps: report.steps,
        lossSum: this.lossSum,
        correct: this.correct,
        count: this.count,
        done: runSteps === 0 ? 1 : this.stepsDone / runSteps,
        etaSeconds: timed === 0 ? null : ((now - this.firstStepDone) / 1000 / timed) * left,
      },
      // One column short of the width: writing the last column moves some terminals to a new line.
      (this.stream.columns || 80) - 1,
    );
    this.stream.write(`\r${line}\x1b[K`);
    this.drawn = true;
  }

  /** Wipes the line (before a result line, an error, or the end of the run). */
  clear(): void {
    if (this.drawn) this.stream.write("\r\x1b[K");
    this.drawn = false;
  }
}
