// The confusion matrix as a PNG heatmap: rows are true classes, columns predicted classes, each cell
// holding its count, class names on both axes. Cells are shaded by their fraction of the row (so every
// class reads the same way, whatever its size) on two scales: the diagonal (each class's recall) in
// blues, the confusions off it in oranges relative to the largest confusion, so the big mistakes
// (Pullover→Coat) stand out instead of being washed out next to a diagonal of 0.9. A key under the
// matrix says so. A pure function of its inputs; counting the matrix is the evaluator's job and
// writing the file the CLI's.

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

// Matplotlib's "Blues" and "Oranges" from light to dark, as stops interpolated linearly.
const BLUES: readonly Color[] = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];
const ORANGES: readonly Color[] = [
  [255, 245, 235],
  [253, 208, 162],
  [253, 141, 60],
  [217, 72, 1],
  [127, 39, 4],
];

const GRID_COLOR: Color = [200, 200, 200];

// Layout at scale 1, in pixels.
const MIN_CELL_WIDTH = 36;
const CELL_HEIGHT = 20;
const MARGIN = 8;
const LABEL_GAP = 5;
const SWATCH = 8;

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
  // The off-diagonal scale: 1 is the largest confusion's share of its row.
  let worst = { fraction: 0, from: 0, to: 0 };
  counts.forEach((row, i) => {
    row.forEach((count, j) => {
      const fraction = rowTotals[i] === 0 ? 0 : count / rowTotals[i]!;
      if (i !== j && fraction > worst.fraction) worst = { fraction, from: i, to: j };
    });
  });
  const keys = [
    { ramp: BLUES, text: "diagonal: share of the true class predicted right" },
    {
      ramp: ORANGES,
      text:
        worst.fraction === 0
          ? "off the diagonal: no confusions"
          : `off the diagonal: share of the row; darkest = ${(worst.fraction * 100).toFixed(1)}% (${classes[worst.from]} -> ${classes[worst.to]})`,
    },
  ];

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
  const keyTop = axisTitleTop + GLYPH_HEIGHT + LABEL_GAP;
  const keyWidth = Math.max(...keys.map((key) => 3 * SWATCH + 4 + textWidth(key.text)));
  const width = Math.max(gridLeft + gridWidth + MARGIN, MARGIN + textWidth(title) + MARGIN, MARGIN + keyWidth + MARGIN);
  const height = keyTop + keys.length * GLYPH_HEIGHT + MARGIN;

  const canvas = new Canvas(width * s, height * s);
  drawText(canvas, title, MARGIN * s, MARGIN * s, TEXT_COLOR, s);

  for (let i = 0; i < n; i++) {
    const rowTotal = rowTotals[i]!;
    for (let j = 0; j < n; j++) {
      const count = counts[i]![j]!;
      const fraction = rowTotal === 0 ? 0 : count / rowTotal;
      const shade = i === j ? fraction : worst.fraction === 0 ? 0 : fraction / worst.fraction;
      const x = (gridLeft + j * cellWidth) * s;
      const y = (gridTop + i * CELL_HEIGHT) * s;
      canvas.fillRect(x, y, cellWidth * s, CELL_HEIGHT * s, i === j ? blues(shade) : oranges(shade));
      const ink = shade > 0.5 ? WHITE : TEXT_COLOR;
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
  // The key: three swatches of each ramp (light, middle, dark), then what the colour means.
  keys.forEach((key, k) => {
    const y = keyTop + k * GLYPH_HEIGHT;
    for (let q = 0; q < 3; q++) {
      canvas.fillRect(
        (MARGIN + q * SWATCH) * s,
        (y + 1) * s,
        SWATCH * s,
        (SWATCH - 1) * s,
        rampAt(key.ramp, (q + 1) / 3),
      );
    }
    drawText(canvas, key.text, (MARGIN + 3 * SWATCH + 4) * s, y * s, TEXT_COLOR, s);
  });
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

/** A fraction in [0,1] → a colour of the "Blues" ramp (the diagonal). */
export function blues(fraction: number): Color {
  return rampAt(BLUES, fraction);
}

/** A fraction in [0,1] → a colour of the "Oranges" ramp (the confusions). */
export function oranges(fraction: number): Color {
  return rampAt(ORANGES, fraction);
}

function rampAt(stops: readonly Color[], fraction: number): Color {
  const t = Math.min(1, Math.max(0, fraction)) * (stops.length - 1);
  const k = Math.min(stops.length - 2, Math.floor(t));
  const a = stops[k]!;
  const b = stops[k + 1]!;
  const u = t - k;
  return [
    Math.round(a[0] + (b[0] - a[0]) * u),
    Math.round(a[1] + (b[1] - a[1]) * u),
    Math.round(a[2] + (b[2] - a[2]) * u),
  ];
}
