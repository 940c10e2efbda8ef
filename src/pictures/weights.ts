// The learned weights of a linear classifier as pictures (d2l §3.6): each row of W (10, 784) as a 28×28
// template in a diverging colour map. Pure: returns pictures or PNG bytes.
import { IMAGE_SIDE, NUM_INPUTS } from "../types.js";
import { type Color, MUTED_COLOR } from "./canvas.js";
import { type GridOptions, type KeyLine, type Picture, renderImageGrid } from "./grid.js";

/**
 * The ten rows of W (10, 784) as 28×28 templates in a diverging colour map: blue for negative weights,
 * white for zero, red for positive, each template scaled by its own largest |w| so its pattern shows.
 */
export function weightPictures(weight: Float32Array, classes: number): Picture[] {
  if (weight.length !== classes * NUM_INPUTS) {
    throw new RangeError(`weight must have ${classes}×${NUM_INPUTS} values, got ${weight.length}`);
  }
  const pictures: Picture[] = [];
  for (let c = 0; c < classes; c++) {
    const row = weight.subarray(c * NUM_INPUTS, (c + 1) * NUM_INPUTS);
    let largest = 0;
    for (const w of row) largest = Math.max(largest, Math.abs(w));
    const data = new Uint8Array(NUM_INPUTS * 3);
    for (let i = 0; i < NUM_INPUTS; i++) {
      const color = diverging(largest === 0 ? 0 : row[i]! / largest);
      data.set(color, i * 3);
    }
    pictures.push({ width: IMAGE_SIDE, height: IMAGE_SIDE, channels: 3, data });
  }
  return pictures;
}

const NEGATIVE: Color = [33, 102, 172];
const POSITIVE: Color = [178, 24, 43];

/** A value in [-1, 1] → blue (−1) … white (0) … red (+1). */
export function diverging(value: number): Color {
  const t = Math.min(1, Math.abs(value));
  const end = value < 0 ? NEGATIVE : POSITIVE;
  return [mix(255, end[0], t), mix(255, end[1], t), mix(255, end[2], t)];
}

function mix(from: number, to: number, t: number): number {
  return Math.round(from + (to - from) * t);
}

/** The learned templates of a linear classifier (d2l §3.6): one picture per class, titled by class name. */
export function renderWeightTemplates(
  weight: Float32Array,
  classes: readonly string[],
  options: GridOptions = {},
): Uint8Array {
  const pictures = weightPictures(weight, classes.length);
  return renderImageGrid(
    pictures.map((picture, c) => ({ picture, title: [{ text: classes[c] ?? String(c) }] })),
    { ...options, key: WEIGHT_KEY },
  );
}

// After diverging() and its colours, which it calls while the module loads.
/** What the colours of the templates mean, under the grid. */
export const WEIGHT_KEY: readonly KeyLine[] = [
  { text: "red: a bright pixel there raises the class's score", swatches: [diverging(0.5), diverging(1)] },
  { text: "blue: it lowers the score; white: no effect", swatches: [diverging(-0.5), diverging(-1)] },
  { text: "(each template scaled by its own largest |w|)", color: MUTED_COLOR },
];
