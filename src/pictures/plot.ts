// Training curves as a PNG: d2l §3.6's Animator (train loss, train acc, test or validation acc against
// epoch) drawn once per call from the history so far, and several runs' curves overlaid for `softmax
// compare`. Loss and accuracy get panels of their own, each with its own labelled y axis, so a loss of
// 17.9 cannot flatten the accuracy lines. Pure functions of their inputs; `softmax train --plot`
// rewrites the file after each epoch. No file I/O, no training here.
import {
  Canvas,
  type Color,
  drawPolyline,
  drawText,
  drawTextCentered,
  drawTextUp,
  MUTED_COLOR,
  TEXT_COLOR,
} from "./canvas.js";
import { encodePng } from "./encode-png.js";
import { GLYPH_HEIGHT, GLYPH_WIDTH, textWidth, truncateMiddle } from "./font.js";

/** One point of the Animator: the metrics of one finished epoch. */
export interface EpochPoint {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly trainAcc: number;
  /** Absent (or NaN) when the test set is only scored at the end, as with a validation split. */
  readonly testAcc?: number;
  /** Accuracy on the held-out validation images, with `--validation`. */
  readonly valAcc?: number;
}

/** One run of a comparison: its label (e.g. "loss=mse lr=0.1") and its epochs in order. */
export interface RunCurves {
  readonly label: string;
  readonly epochs: readonly EpochPoint[];
}

export interface CurvesOptions {
  /** Planned number of epochs: fixes the x axis at [1, epochs] as d2l's xlim does, so it does not rescale as training goes. */
  readonly epochs?: number;
  /** Integer upscaling of the whole drawing; default 2. */
  readonly scale?: number;
  /** A line above the plot, e.g. the hyperparameters. */
  readonly title?: string;
}

/** A polyline to draw: its points as (epoch, value), its colour and dash pattern. */
interface Line {
  readonly color: Color;
  /** On/off lengths in pixels at scale 1 (d2l's '-', 'm--', 'g-.'). */
  readonly dash: readonly number[];
  readonly points: readonly (readonly [number, number])[];
}

interface LegendEntry {
  readonly label: string;
  readonly color: Color;
  readonly dash: readonly number[];
}

interface Panel {
  readonly title: string;
  readonly yLabel: string;
  readonly axis: Axis;
  readonly lines: readonly Line[];
}

// d2l's Animator defaults: fmts=('-', 'm--', 'g-.'), the first in matplotlib's default blue.
const TRAIN_LOSS: LegendEntry = { label: "train loss", color: [31, 119, 180], dash: [] };
const TRAIN_ACC: LegendEntry = { label: "train acc", color: [191, 0, 191], dash: [6, 4] };
const TEST_ACC: LegendEntry = { label: "test acc", color: [0, 128, 0], dash: [7, 3, 2, 3] };
const VAL_ACC: LegendEntry = { label: "val acc", color: [230, 120, 0], dash: [] };

/** Matplotlib's "tab10" colours, one per run of a comparison (then again, dashed). */
const RUN_COLORS: readonly Color[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];
const RUN_DASHES: readonly (readonly number[])[] = [[], [6, 4], [7, 3, 2, 3]];

const GRID_COLOR: Color = [228, 228, 228];
const AXIS_COLOR: Color = [64, 64, 64];

// Layout at scale 1, in pixels.
const PLOT_WIDTH = 240;
const PLOT_HEIGHT = 170;
/** Room left of a plot for the rotated y label and the tick labels. */
const MARGIN_LEFT = 52;
const MARGIN_RIGHT = 14;
const MARGIN_TOP = 6;
/** Room under a plot for the tick labels and "epoch". */
const MARGIN_BOTTOM = 34;
const LEGEND_ROW = 14;
const TICK = 4;

const finite = (value: number | undefined): value is number => value !== undefined && Number.isFinite(value);

/** The points of one metric over the epochs, leaving out epochs where it is missing or not finite. */
function pointsOf(history: readonly EpochPoint[], value: (p: EpochPoint) => number | undefined): [number, number][] {
  const points: [number, number][] = [];
  for (const point of history) {
    const v = value(point);
    if (finite(v) && Number.isFinite(point.epoch)) points.push([point.epoch, v]);
  }
  return points;
}

/**
 * Renders the training curves of `history` (one point per epoch, in order) as PNG bytes: train loss on
 * the left panel; train accuracy and test (or validation) accuracy on the right.
 */
export function renderTrainingCurves(history: readonly EpochPoint[], options: CurvesOptions = {}): Uint8Array {
  const loss = { ...TRAIN_LOSS, points: pointsOf(history, (p) => p.trainLoss) };
  const accuracies = [
    { ...TRAIN_ACC, points: pointsOf(history, (p) => p.trainAcc) },
    { ...TEST_ACC, points: pointsOf(history, (p) => p.testAcc) },
    { ...VAL_ACC, points: pointsOf(history, (p) => p.valAcc) },
  ];
  // Only the accuracies the run measures (validation with a validation split; test per epoch without),
  // and before the first epoch d2l's three.
  const measured = accuracies.filter((line) => line.points.length > 0);
  const shown = history.length === 0 ? accuracies.slice(0, 2) : measured;
  return renderFigure(
    [lossPanel([loss]), accuracyPanel(shown, "accuracy")],
    [TRAIN_LOSS, ...shown],
    lastEpoch(history, options.epochs),
    options,
    history.length === 0,
  );
}

/**
 * Renders several runs' curves overlaid (for `softmax compare`): train loss on the left panel, the
 * held-out accuracy on the right (validation accuracy where a run has it, else test accuracy), one
 * colour per run, and a legend of the run labels.
 */
export function renderComparisonCurves(runs: readonly RunCurves[], options: CurvesOptions = {}): Uint8Array {
  const validation = runs.some((run) => run.epochs.some((p) => finite(p.valAcc)));
  const heldOut = (p: EpochPoint) => (validation ? p.valAcc : p.testAcc);
  const legend: LegendEntry[] = runs.map((run, i) => ({
    label: run.label,
    color: RUN_COLORS[i % RUN_COLORS.length]!,
    dash: RUN_DASHES[Math.floor(i / RUN_COLORS.length) % RUN_DASHES.length]!,
  }));
  const losses = runs.map((run, i) => ({ ...legend[i]!, points: pointsOf(run.epochs, (p) => p.trainLoss) }));
  const accuracies = runs.map((run, i) => ({ ...legend[i]!, points: pointsOf(run.epochs, heldOut) }));
  const last = Math.max(0, ...runs.map((run) => lastEpoch(run.epochs, options.epochs)));
  return renderFigure(
    [lossPanel(losses), accuracyPanel(accuracies, validation ? "val accuracy" : "test accuracy")],
    legend,
    last,
    options,
    runs.every((run) => run.epochs.length === 0),
  );
}

function lossPanel(lines: readonly Line[]): Panel {
  const values = lines.flatMap((line) => line.points.map(([, v]) => v));
  return { title: "loss", yLabel: "train loss", axis: valueAxis(values, { from: 0 }), lines };
}

function accuracyPanel(lines: readonly Line[], title: string): Panel {
  const values = lines.flatMap((line) => line.points.map(([, v]) => v));
  return { title, yLabel: "accuracy", axis: valueAxis(values, { floor: 0, ceiling: 1 }), lines };
}

function lastEpoch(history: readonly EpochPoint[], planned: number | undefined): number {
  let last = planned ?? 0;
  for (const point of history) if (Number.isFinite(point.epoch)) last = Math.max(last, point.epoch);
  return last;
}

/** Two panels side by side sharing the epoch axis, a legend under them, an optional title above. */
function renderFigure(
  panels: readonly Panel[],
  legend: readonly LegendEntry[],
  epochs: number,
  options: CurvesOptions,
  empty: boolean,
): Uint8Array {
  const s = options.scale ?? 2;
  if (!Number.isInteger(s) || s < 1) throw new RangeError(`scale must be a positive integer, got ${s}`);
  const panelWidth = MARGIN_LEFT + PLOT_WIDTH + MARGIN_RIGHT;
  const width = panels.length * panelWidth;
  const legendRows = layoutLegend(legend, width);
  const titleHeight = options.title ? GLYPH_HEIGHT + 4 : 0;
  const panelTop = MARGIN_TOP + titleHeight + GLYPH_HEIGHT + 4;
  const legendTop = panelTop + PLOT_HEIGHT + MARGIN_BOTTOM;
  const height = legendTop + legendRows.length * LEGEND_ROW + 4;
  const canvas = new Canvas(width * s, height * s);
  if (options.title) drawText(canvas, options.title, MARGIN_LEFT * s, MARGIN_TOP * s, TEXT_COLOR, s);
  const x = epochAxis(epochs);
  panels.forEach((panel, i) => {
    drawPanel(canvas, panel, x, (i * panelWidth + MARGIN_LEFT) * s, panelTop * s, s);
    if (empty) {
      const center = (i * panelWidth + MARGIN_LEFT + PLOT_WIDTH / 2) * s;
      drawTextCentered(canvas, "no epochs yet", center, (panelTop + PLOT_HEIGHT / 2 - 5) * s, MUTED_COLOR, s);
    }
  });
  legendRows.forEach((row, r) => {
    for (const { entry, x: left } of row) drawLegendEntry(canvas, entry, left * s, (legendTop + r * LEGEND_ROW) * s, s);
  });
  return encodePng(canvas);
}

/** Legend entries laid out in rows that fit `width` (at scale 1), each with its left edge. */
function layoutLegend(legend: readonly LegendEntry[], width: number): { entry: LegendEntry; x: number }[][] {
  const maxLabel = Math.floor((width - 2 * MARGIN_LEFT - 24) / GLYPH_WIDTH);
  const rows: { entry: LegendEntry; x: number }[][] = [];
  let row: { entry: LegendEntry; x: number }[] = [];
  let cursor = MARGIN_LEFT;
  for (const original of legend) {
    const entry = { ...original, label: truncateMiddle(original.label, maxLabel) };
    const entryWidth = 24 + textWidth(entry.label) + 14;
    if (row.length > 0 && cursor + entryWidth > width - MARGIN_RIGHT) {
      rows.push(row);
      row = [];
      cursor = MARGIN_LEFT;
    }
    row.push({ entry, x: cursor });
    cursor += entryWidth;
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

function drawLegendEntry(canvas: Canvas, entry: LegendEntry, left: number, top: number, s: number): void {
  const y = top + 4 * s;
  const dash = entry.dash.map((length) => length * s);
  drawPolyline(
    canvas,
    [
      [left, y],
      [left + 20 * s, y],
    ],
    entry.color,
    2 * s,
    dash,
  );
  drawText(canvas, entry.label, left + 24 * s, top, TEXT_COLOR, s);
}

/** One panel: its title, grid, axes with ticks and labels, then its lines over them. */
function drawPanel(canvas: Canvas, panel: Panel, x: Axis, left: number, top: number, s: number): void {
  const width = PLOT_WIDTH * s;
  const height = PLOT_HEIGHT * s;
  const y = panel.axis;
  const toX = (epoch: number) => left + ((epoch - x.min) / (x.max - x.min)) * width;
  const toY = (value: number) => top + height - ((value - y.min) / (y.max - y.min)) * height;

  drawTextCentered(canvas, panel.title, left + width / 2, top - (GLYPH_HEIGHT + 3) * s, TEXT_COLOR, s);
  // Grid, then axes and ticks, so the data is drawn over both.
  for (const tick of y.ticks) canvas.fillRect(left, Math.round(toY(tick)), width, s, GRID_COLOR);
  for (const tick of x.ticks) canvas.fillRect(Math.round(toX(tick)), top, s, height, GRID_COLOR);
  canvas.fillRect(left, top + height, width + s, s, AXIS_COLOR);
  canvas.fillRect(left, top, s, height + s, AXIS_COLOR);
  let widestLabel = 0;
  for (const tick of y.ticks) {
    const py = Math.round(toY(tick));
    canvas.fillRect(left - TICK * s, py, TICK * s, s, AXIS_COLOR);
    const label = formatTick(tick, y.step);
    widestLabel = Math.max(widestLabel, textWidth(label, s));
    drawText(canvas, label, left - (TICK + 2) * s - textWidth(label, s), py - 4 * s, TEXT_COLOR, s);
  }
  for (const tick of x.ticks) {
    const px = Math.round(toX(tick));
    canvas.fillRect(px, top + height, s, TICK * s, AXIS_COLOR);
    drawTextCentered(canvas, formatTick(tick, x.step), px, top + height + (TICK + 3) * s, TEXT_COLOR, s);
  }
  drawTextCentered(canvas, "epoch", left + width / 2, top + height + (TICK + 5 + GLYPH_HEIGHT) * s, TEXT_COLOR, s);
  // The y label reads upwards, centred on the axis, left of the widest tick label.
  const labelX = left - (TICK + 5) * s - widestLabel - GLYPH_HEIGHT * s;
  drawTextUp(
    canvas,
    panel.yLabel,
    labelX,
    Math.round(top + height / 2 + textWidth(panel.yLabel, s) / 2),
    TEXT_COLOR,
    s,
  );

  for (const line of panel.lines) drawLine(canvas, line, toX, toY, s);
}

/** The line through consecutive points and a dot on every point. */
function drawLine(
  canvas: Canvas,
  line: Line,
  toX: (epoch: number) => number,
  toY: (value: number) => number,
  s: number,
): void {
  const pixels = line.points.map(([epoch, value]) => [toX(epoch), toY(value)] as [number, number]);
  if (pixels.length > 1)
    drawPolyline(
      canvas,
      pixels,
      line.color,
      2 * s,
      line.dash.map((length) => length * s),
    );
  for (const [px, py] of pixels) {
    canvas.fillRect(Math.round(px) - 2 * s, Math.round(py) - 2 * s, 4 * s + 1, 4 * s + 1, line.color);
  }
}

export interface Axis {
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly ticks: readonly number[];
}

/**
 * The epoch axis: [1, the last epoch planned or seen], integer ticks at 1 and the multiples of a round
 * step. A single epoch gets [0.5, 1.5], its point in the middle rather than on the y axis.
 */
export function epochAxis(last: number): Axis {
  if (!(last > 1)) return { min: 0.5, max: 1.5, step: 1, ticks: [1] };
  const min = 1;
  const max = Math.ceil(last);
  const step = Math.max(1, niceStep((max - min) / 10));
  // 1, then the multiples of the step (1, 5, 10, 15, ...), as a reader counts epochs.
  const ticks: number[] = [min];
  for (let t = Math.ceil((min + step / 2) / step) * step; t <= max; t += step) ticks.push(t);
  return { min, max, step, ticks };
}

export interface ValueAxisOptions {
  /** The axis starts here whatever the values (0 for a loss). */
  readonly from?: number;
  /** The axis never goes below / above these (0 and 1 for an accuracy). */
  readonly floor?: number;
  readonly ceiling?: number;
}

/**
 * A value axis with round ticks covering every finite value: from `from` when given, else fitted to
 * the values (so accuracies between 0.75 and 0.85 fill the panel), clamped to [floor, ceiling].
 */
export function valueAxis(values: readonly number[], options: ValueAxisOptions = {}): Axis {
  const shown = values.filter(Number.isFinite);
  const floor = options.floor ?? Number.NEGATIVE_INFINITY;
  const ceiling = options.ceiling ?? Number.POSITIVE_INFINITY;
  let low = options.from ?? (shown.length > 0 ? Math.min(...shown) : 0);
  let high = shown.length > 0 ? Math.max(...shown) : (options.ceiling ?? 1);
  if (high - low < 1e-9) {
    // One value (or all equal): a small range around it, so a single epoch still shows a point.
    const pad = Math.max(0.05, Math.abs(high) * 0.1);
    if (options.from === undefined) low -= pad;
    high += pad;
  }
  // A little room beyond the extreme values, so their points do not sit on the panel's edges.
  const room = (high - low) * 0.05;
  if (options.from === undefined) low -= room;
  high += room;
  low = Math.max(floor, low);
  high = Math.min(ceiling, high);
  const step = niceStep((high - low) / 5);
  const min = Math.max(floor, Math.floor(low / step + 1e-9) * step);
  const max = Math.min(ceiling, Math.max(min + step, Math.ceil(high / step - 1e-9) * step));
  const ticks: number[] = [];
  for (let t = min; t <= max + step * 1e-9; t += step) ticks.push(roundTo(t, step));
  return { min: roundTo(min, step), max: roundTo(max, step), step, ticks };
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
