// Training curves as a PNG: d2l §3.6's Animator (train loss, train acc, test acc against epoch, with
// axes, ticks, grid and legend) drawn once per call from the history so far. A pure function of its
// inputs; `softmax train --plot` rewrites the file after each epoch. No file I/O, no training here.

import { Canvas, type Color, drawPolyline, drawText, drawTextCentered, MUTED_COLOR, TEXT_COLOR } from "./canvas.js";
import { encodePng } from "./encode-png.js";
import { GLYPH_HEIGHT, textWidth } from "./font.js";

/** One point of the Animator: the metrics of one finished epoch. */
export interface EpochPoint {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly trainAcc: number;
  readonly testAcc: number;
}

export interface CurvesOptions {
  /** Planned number of epochs: fixes the x axis at [1, epochs] as d2l's xlim does, so it does not rescale as training goes. */
  readonly epochs?: number;
  /** Integer upscaling of the whole drawing; default 2. */
  readonly scale?: number;
  /** A line above the plot, e.g. the hyperparameters. */
  readonly title?: string;
}

interface Series {
  readonly label: string;
  readonly color: Color;
  /** On/off lengths in pixels at scale 1 (d2l's '-', 'm--', 'g-.'). */
  readonly dash: readonly number[];
  readonly value: (point: EpochPoint) => number;
}

// d2l's Animator defaults: fmts=('-', 'm--', 'g-.'), the first in matplotlib's default blue.
const SERIES: readonly Series[] = [
  { label: "train loss", color: [31, 119, 180], dash: [], value: (p) => p.trainLoss },
  { label: "train acc", color: [191, 0, 191], dash: [6, 4], value: (p) => p.trainAcc },
  { label: "test acc", color: [0, 128, 0], dash: [7, 3, 2, 3], value: (p) => p.testAcc },
];

const GRID_COLOR: Color = [228, 228, 228];
const AXIS_COLOR: Color = [64, 64, 64];

// Layout at scale 1, in pixels.
const PLOT_WIDTH = 300;
const PLOT_HEIGHT = 180;
const MARGIN_LEFT = 40;
const MARGIN_RIGHT = 14;
const MARGIN_BOTTOM = 34;
const LEGEND_HEIGHT = 18;
const TICK = 4;

/** Renders the training curves of `history` (one point per epoch, in order) as PNG bytes. */
export function renderTrainingCurves(history: readonly EpochPoint[], options: CurvesOptions = {}): Uint8Array {
  const s = options.scale ?? 2;
  if (!Number.isInteger(s) || s < 1) throw new RangeError(`scale must be a positive integer, got ${s}`);
  const titleHeight = options.title ? GLYPH_HEIGHT + 4 : 0;
  const marginTop = 6 + titleHeight + LEGEND_HEIGHT;
  const canvas = new Canvas(
    (MARGIN_LEFT + PLOT_WIDTH + MARGIN_RIGHT) * s,
    (marginTop + PLOT_HEIGHT + MARGIN_BOTTOM) * s,
  );
  const left = MARGIN_LEFT * s;
  const top = marginTop * s;
  const width = PLOT_WIDTH * s;
  const height = PLOT_HEIGHT * s;

  const x = epochAxis(history, options.epochs);
  const y = valueAxis(history);
  const toX = (epoch: number) => left + ((epoch - x.min) / (x.max - x.min)) * width;
  const toY = (value: number) => top + height - ((value - y.min) / (y.max - y.min)) * height;

  // Grid, then axes and ticks, so the data is drawn over both.
  for (const tick of y.ticks) canvas.fillRect(left, Math.round(toY(tick)), width, s, GRID_COLOR);
  for (const tick of x.ticks) canvas.fillRect(Math.round(toX(tick)), top, s, height, GRID_COLOR);
  canvas.fillRect(left, top + height, width + s, s, AXIS_COLOR);
  canvas.fillRect(left, top, s, height + s, AXIS_COLOR);
  for (const tick of y.ticks) {
    const py = Math.round(toY(tick));
    canvas.fillRect(left - TICK * s, py, TICK * s, s, AXIS_COLOR);
    const label = formatTick(tick, y.step);
    drawText(canvas, label, left - (TICK + 2) * s - textWidth(label, s), py - 4 * s, TEXT_COLOR, s);
  }
  for (const tick of x.ticks) {
    const px = Math.round(toX(tick));
    canvas.fillRect(px, top + height, s, TICK * s, AXIS_COLOR);
    drawTextCentered(canvas, formatTick(tick, x.step), px, top + height + (TICK + 3) * s, TEXT_COLOR, s);
  }
  drawTextCentered(canvas, "epoch", left + width / 2, top + height + (TICK + 5 + GLYPH_HEIGHT) * s, TEXT_COLOR, s);

  if (options.title) drawText(canvas, options.title, left, 4 * s, TEXT_COLOR, s);
  drawLegend(canvas, left, (4 + titleHeight) * s, s);

  for (const series of SERIES) drawSeries(canvas, history, series, toX, toY, s);
  if (history.length === 0) {
    drawTextCentered(canvas, "no epochs yet", left + width / 2, top + height / 2 - 5 * s, MUTED_COLOR, s);
  }
  return encodePng(canvas);
}

function drawLegend(canvas: Canvas, left: number, top: number, s: number): void {
  let cursor = left;
  for (const series of SERIES) {
    drawPolyline(
      canvas,
      [
        [cursor, top + 4 * s],
        [cursor + 20 * s, top + 4 * s],
      ],
      series.color,
      2 * s,
      series.dash.map((length) => length * s),
    );
    drawText(canvas, series.label, cursor + 24 * s, top, TEXT_COLOR, s);
    cursor += (24 + 12) * s + textWidth(series.label, s);
  }
}

/** Lines between consecutive finite points (a NaN loss breaks the line) and a dot on every point. */
function drawSeries(
  canvas: Canvas,
  history: readonly EpochPoint[],
  series: Series,
  toX: (epoch: number) => number,
  toY: (value: number) => number,
  s: number,
): void {
  let run: [number, number][] = [];
  const dash = series.dash.map((length) => length * s);
  const flush = () => {
    if (run.length > 1) drawPolyline(canvas, run, series.color, 2 * s, dash);
    run = [];
  };
  for (const point of history) {
    const value = series.value(point);
    if (!Number.isFinite(value) || !Number.isFinite(point.epoch)) {
      flush();
      continue;
    }
    run.push([toX(point.epoch), toY(value)]);
  }
  flush();
  for (const point of history) {
    const value = series.value(point);
    if (!Number.isFinite(value) || !Number.isFinite(point.epoch)) continue;
    const px = Math.round(toX(point.epoch));
    const py = Math.round(toY(value));
    canvas.fillRect(px - 2 * s, py - 2 * s, 4 * s + 1, 4 * s + 1, series.color);
  }
}

export interface Axis {
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly ticks: readonly number[];
}

/** The epoch axis: [1, planned epochs or the last epoch seen], integer ticks. */
export function epochAxis(history: readonly EpochPoint[], epochs?: number): Axis {
  let last = 1;
  for (const point of history) if (Number.isFinite(point.epoch)) last = Math.max(last, point.epoch);
  const min = 1;
  const max = Math.max(min + 1, Math.ceil(Math.max(last, epochs ?? 0)));
  const step = Math.max(1, niceStep((max - min) / 10));
  // 1, then the multiples of the step (1, 5, 10, 15, ...), as a reader counts epochs.
  const ticks: number[] = [min];
  for (let t = Math.ceil((min + step / 2) / step) * step; t <= max; t += step) ticks.push(t);
  return { min, max, step, ticks };
}

/** The value axis: from 0 to a round number at or above every finite value (at least 1, where accuracy ends). */
export function valueAxis(history: readonly EpochPoint[]): Axis {
  let largest = 1;
  for (const point of history) {
    for (const series of SERIES) {
      const value = series.value(point);
      if (Number.isFinite(value)) largest = Math.max(largest, value);
    }
  }
  const step = niceStep(largest / 5);
  const max = Math.ceil(largest / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; i * step <= max + step * 1e-9; i++) ticks.push(roundTo(i * step, step));
  return { min: 0, max, step, ticks };
}

/** The smallest of 1, 2, 2.5, 5 × 10^k that is at least `rough`. */
export function niceStep(rough: number): number {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const factor of [1, 2, 2.5, 5, 10]) if (factor * power >= rough * (1 - 1e-9)) return factor * power;
  return 10 * power;
}

function roundTo(value: number, step: number): number {
  const decimals = decimalsFor(step);
  return Number(value.toFixed(decimals));
}

function decimalsFor(step: number): number {
  let decimals = 0;
  while (decimals < 6 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-9) decimals++;
  return decimals;
}

/** A tick label with as many decimals as the step needs: 0.2 → "0.2", 0.25 → "0.25", 2 → "2". */
export function formatTick(value: number, step: number): string {
  return value.toFixed(decimalsFor(step));
}
