// The confusion matrix as a PNG heatmap: rows are true classes, columns predicted classes, each cell
// holding its count and shaded by the fraction of its row (so every class's recall reads the same way,
// whatever its size), class names on both axes. A pure function of its inputs; counting the matrix is
// the evaluator's job and writing the file the CLI's.

import { Canvas, type Color, drawText, drawTextCentered, drawTextUp, TEXT_COLOR, WHITE } from "./canvas.js";
import { encodePng } from "./encode-png.js";
import { GLYPH_HEIGHT, INK_HEIGHT, textWidth } from "./font.js";

/** Counts with rows = true class and columns = predicted class: nested rows, or one flat row-major array. */
export type ConfusionMatrix = readonly (readonly number[])[] | ArrayLike<number>;

export interface HeatmapOptions {
  /** Integer upscaling of the whole drawing; default 2. */
  readonly scale?: number;
  /** The line above the matrix; default "confusion matrix, accuracy A (correct/total)". */
  readonly title?: string;
}

// Matplotlib's "Blues" from light to dark, as stops interpolated linearly.
const BLUES: readonly Color[] = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];

const GRID_COLOR: Color = [200, 200, 200];

// Layout at scale 1, in pixels.
const MIN_CELL_WIDTH = 36;
const CELL_HEIGHT = 20;
const MARGIN = 8;
const LABEL_GAP = 5;

/** Renders `matrix` (n×n, n = classes.length) as PNG bytes. */
export function renderConfusionHeatmap(
  matrix: ConfusionMatrix,
  classes: readonly string[],
  options: HeatmapOptions = {},
): Uint8Array {
  const s = options.scale ?? 2;
  if (!Number.isInteger(s) || s < 1) throw new RangeError(`scale must be a positive integer, got ${s}`);
  const n = classes.length;
  const counts = toRows(matrix, n);

  let total = 0;
  let correct = 0;
  let largest = 0;
  const rowTotals = counts.map((row, i) => {
    const sum = row.reduce((a, b) => a + b, 0);
    total += sum;
    correct += row[i]!;
    for (const count of row) largest = Math.max(largest, count);
    return sum;
  });

  const cellWidth = Math.max(MIN_CELL_WIDTH, textWidth(String(largest)) + 8);
  const rowLabelWidth = Math.max(...classes.map((name) => textWidth(name)), 0);
  const title =
    options.title ??
    `confusion matrix, accuracy ${total === 0 ? "n/a" : (correct / total).toFixed(3)} (${correct}/${total})`;

  // Left to right: "true" written upwards, row labels, the grid. Top to bottom: title, grid, column labels, "predicted".
  const gridLeft = MARGIN + GLYPH_HEIGHT + LABEL_GAP + rowLabelWidth + LABEL_GAP;
  const gridTop = MARGIN + GLYPH_HEIGHT + 6;
  const gridWidth = n * cellWidth;
  const gridHeight = n * CELL_HEIGHT;
  const columnLabelsTop = gridTop + gridHeight + LABEL_GAP;
  const axisTitleTop = columnLabelsTop + rowLabelWidth + LABEL_GAP;
  const width = Math.max(gridLeft + gridWidth + MARGIN, MARGIN + textWidth(title) + MARGIN);
  const height = axisTitleTop + GLYPH_HEIGHT + MARGIN;

  const canvas = new Canvas(width * s, height * s);
  drawText(canvas, title, MARGIN * s, MARGIN * s, TEXT_COLOR, s);

  for (let i = 0; i < n; i++) {
    const rowTotal = rowTotals[i]!;
    for (let j = 0; j < n; j++) {
      const count = counts[i]![j]!;
      const fraction = rowTotal === 0 ? 0 : count / rowTotal;
      const x = (gridLeft + j * cellWidth) * s;
      const y = (gridTop + i * CELL_HEIGHT) * s;
      canvas.fillRect(x, y, cellWidth * s, CELL_HEIGHT * s, blues(fraction));
      const ink = fraction > 0.5 ? WHITE : TEXT_COLOR;
      drawTextCentered(canvas, String(count), x + (cellWidth * s) / 2, y + 6 * s, ink, s);
    }
  }
  // Thin lines between cells keep neighbouring light cells apart.
  for (let k = 0; k <= n; k++) {
    canvas.fillRect(gridLeft * s, (gridTop + k * CELL_HEIGHT) * s, gridWidth * s + s, s, GRID_COLOR);
    canvas.fillRect((gridLeft + k * cellWidth) * s, gridTop * s, s, gridHeight * s, GRID_COLOR);
  }

  classes.forEach((name, i) => {
    const rowLabelX = gridLeft - LABEL_GAP - textWidth(name);
    drawText(canvas, name, rowLabelX * s, (gridTop + i * CELL_HEIGHT + 6) * s, TEXT_COLOR, s);
    // Column labels read upwards and end just under the grid.
    const columnCenter = gridLeft + i * cellWidth + cellWidth / 2;
    const columnX = Math.round(columnCenter - INK_HEIGHT / 2);
    drawTextUp(canvas, name, columnX * s, (columnLabelsTop + textWidth(name)) * s, TEXT_COLOR, s);
  });

  drawTextCentered(canvas, "predicted", (gridLeft + gridWidth / 2) * s, axisTitleTop * s, TEXT_COLOR, s);
  const trueLabelBottom = Math.round(gridTop + gridHeight / 2 + textWidth("true") / 2);
  drawTextUp(canvas, "true", MARGIN * s, trueLabelBottom * s, TEXT_COLOR, s);
  return encodePng(canvas);
}

function toRows(matrix: ConfusionMatrix, n: number): number[][] {
  const nested = Array.isArray(matrix) && matrix.length > 0 && typeof matrix[0] !== "number";
  const rows: number[][] = [];
  if (nested) {
    const given = matrix as readonly (readonly number[])[];
    if (given.length !== n || given.some((row) => row.length !== n)) {
      throw new RangeError(`confusion matrix must be ${n}×${n} for ${n} classes`);
    }
    for (const row of given) rows.push([...row]);
  } else {
    const flat = matrix as ArrayLike<number>;
    if (flat.length !== n * n) {
      throw new RangeError(`confusion matrix must have ${n}×${n} = ${n * n} counts, got ${flat.length}`);
    }
    for (let i = 0; i < n; i++) rows.push(Array.from({ length: n }, (_, j) => flat[i * n + j]!));
  }
  for (const row of rows) {
    for (const count of row) {
      if (!Number.isInteger(count) || count < 0)
        throw new RangeError(`confusion counts must be integers >= 0, got ${count}`);
    }
  }
  return rows;
}

/** A fraction in [0,1] → a colour of the "Blues" ramp. */
export function blues(fraction: number): Color {
  const t = Math.min(1, Math.max(0, fraction)) * (BLUES.length - 1);
  const k = Math.min(BLUES.length - 2, Math.floor(t));
  const a = BLUES[k]!;
  const b = BLUES[k + 1]!;
  const u = t - k;
  return [
    Math.round(a[0] + (b[0] - a[0]) * u),
    Math.round(a[1] + (b[1] - a[1]) * u),
    Math.round(a[2] + (b[2] - a[2]) * u),
  ];
}
