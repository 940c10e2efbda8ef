// The live training line (src/cli/progress-line.ts): what it shows, that it never exceeds the
// terminal's width, the ETA of the whole run and the epoch's running loss and accuracy, and that it
// redraws in place at a bounded rate. A fake clock and stream; the pty test of `softmax train`
// itself is in cli-terminal-live.test.ts.
import { describe, expect, it } from "vitest";
import {
  formatDuration,
  formatProgressLine,
  type RunProgress,
  TrainingProgressLine,
} from "../src/cli/progress-line.js";

const middle: RunProgress = {
  epoch: 2,
  epochs: 10,
  step: 120,
  steps: 235,
  lossSum: 0.4821 * 30_720,
  correct: 0.832 * 30_720,
  count: 30_720,
  done: (235 + 120) / 2350,
  etaSeconds: 42.4,
};

describe("formatProgressLine", () => {
  it("shows the epoch, the step, the running loss and accuracy, the run's progress and its ETA", () => {
    const line = formatProgressLine(middle, 100);
    expect(line).toMatch(
      /^epoch {2}2\/10 {2}step 120\/235 {2}loss 0\.4821 {2}acc 0\.832 {2}\[=+> *\] {2}15% {2}ETA 0:42$/,
    );
    expect(line.length).toBeLessThanOrEqual(100);
    // The bar is filled in proportion to the whole run, not the epoch: 15% of its cells.
    const bar = /\[(=*)>? *\]/.exec(line)!;
    const cells = bar[0].length - 2;
    expect(bar[1]!.length).toBe(Math.floor(middle.done * cells));
  });

  it("fits every width, dropping the bar, then the step and percentage, before cutting", () => {
    for (let width = 10; width <= 200; width++) {
      const line = formatProgressLine(middle, width);
      expect(line.length, `width ${width}: ${line}`).toBeLessThanOrEqual(width);
      if (width >= 40) {
        expect(line).toContain("loss 0.4821");
        expect(line).toContain("ETA 0:42");
      }
    }
    expect(formatProgressLine(middle, 60)).toBe("epoch  2/10  loss 0.4821  acc 0.832   15%  ETA 0:42");
    expect(formatProgressLine(middle, 40)).toBe("epoch  2/10  loss 0.4821  ETA 0:42");
  });

  it("says so when nothing is known yet", () => {
    const line = formatProgressLine({ ...middle, count: 0, lossSum: 0, correct: 0, etaSeconds: null }, 80);
    expect(line).toContain("loss -");
    expect(line).toContain("ETA --:--");
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0:00"],
    [42.4, "0:42"],
    [59.6, "1:00"],
    [605, "10:05"],
    [3 * 3600 + 62, "3:01:02"],
    [null, "--:--"],
    [Number.NaN, "--:--"],
  ])("%s s is %s", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

const ERASE_LINE = "\x1b[K";

/** A terminal that records what is written, and the line as it stands after \r and erase-line. */
class FakeTerminal {
  readonly writes: string[] = [];
  constructor(readonly columns: number) {}
  write(text: string): void {
    this.writes.push(text);
  }
  /** What the screen's current line shows. */
  get shown(): string {
    // \r returns to the start of the line; each redraw then erases what is left of the old one.
    let line = "";
    for (const text of this.writes) {
      const [first, ...afterReturns] = text.replaceAll(ERASE_LINE, "").split("\r");
      line += first!;
      for (const piece of afterReturns) line = piece;
    }
    return line;
  }
}

describe("TrainingProgressLine", () => {
  const step = (s: number, lossSum: number, correct: number) => ({
    step: s,
    steps: 4,
    batchSize: 10,
    lossSum,
    correct,
  });

  it("estimates the whole run's time left from the mean time per step since the first", () => {
    const terminal = new FakeTerminal(120);
    let now = 0;
    const line = new TrainingProgressLine(terminal, 0, 2, () => now, 0);
    now = 5000; // the first step pays for the start-up: not timed
    line.step(1, step(1, 5, 6));
    expect(terminal.shown).toContain("ETA --:--");
    expect(terminal.shown).toContain("step 1/4");
    expect(terminal.shown).toContain("loss 0.5000  acc 0.600");
    now = 6000; // 1 s for the second step; 6 steps left -> 6 s
    line.step(1, step(2, 3, 8));
    expect(terminal.shown).toContain("ETA 0:06");
    // Running means over the epoch: (5 + 3) / 20 and (6 + 8) / 20.
    expect(terminal.shown).toContain("loss 0.4000  acc 0.700");
    now = 8000; // a slower step: 3 s for 2 timed steps, 5 steps left -> 7.5 s
    line.step(1, step(3, 2, 6));
    expect(terminal.shown).toContain("ETA 0:08");
  });

  it("restarts the running loss and accuracy with each epoch, and counts epochs before --resume", () => {
    const terminal = new FakeTerminal(120);
    let now = 0;
    const line = new TrainingProgressLine(terminal, 3, 5, () => now, 0);
    for (let s = 1; s <= 4; s++) {
      now += 500;
      line.step(4, step(s, 10, 0));
    }
    expect(terminal.shown).toMatch(/^epoch 4\/5 {2}step 4\/4 {2}loss 1\.0000 {2}acc 0\.000 .* 50% {2}ETA 0:02$/);
    now += 500;
    line.step(5, step(1, 2, 10));
    expect(terminal.shown).toMatch(/^epoch 5\/5 {2}step 1\/4 {2}loss 0\.2000 {2}acc 1\.000 .* 62% {2}ETA 0:02$/);
  });

  it("redraws at most every interval, and always on an epoch's last step", () => {
    const terminal = new FakeTerminal(80);
    let now = 0;
    const line = new TrainingProgressLine(terminal, 0, 1, () => now, 100);
    const steps = 50;
    for (let s = 1; s <= steps; s++) {
      now += 10; // 10 ms a step: a redraw every 10th step
      line.step(1, { step: s, steps, batchSize: 1, lossSum: 1, correct: 1 });
    }
    expect(terminal.writes).toHaveLength(6); // steps 1, 11, 21, 31, 41 and the last
    expect(terminal.shown).toContain(`step ${steps}/${steps}`);
    for (const text of terminal.writes)
      expect(text.replaceAll("\r", "").replaceAll(ERASE_LINE, "").length).toBeLessThan(80);
  });

  it("clear() wipes a drawn line once, and writes nothing when nothing was drawn", () => {
    const terminal = new FakeTerminal(80);
    const line = new TrainingProgressLine(terminal, 0, 1, () => 0, 0);
    line.clear();
    expect(terminal.writes).toEqual([]);
    line.step(1, step(1, 1, 1));
    line.clear();
    line.clear();
    expect(terminal.writes.at(-1)).toBe("\r\x1b[K");
    expect(terminal.writes).toHaveLength(2);
    expect(terminal.shown).toBe("");
  });
});
