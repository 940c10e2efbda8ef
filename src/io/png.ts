// Pictures as PNG bytes: an RGB canvas with the few drawing operations the renderers need (rectangles,
// thick lines, text in the project's bitmap font), PNG encoding with pngjs, and the image grids of d2l
// §3.5 show_images and §3.6 predict_ch3. Every function here is pure: same input, same bytes. Nothing
// here reads or writes files (the CLI writes with writeFileAtomic) and nothing here does model maths.
import { PNG } from "pngjs";
import { IMAGE_SIDE, NUM_INPUTS } from "../types.js";
import {
  GLYPH_HEIGHT,
  GLYPH_WIDTH,
  glyphFor,
  glyphPixel,
  INK_HEIGHT,
  INK_WIDTH,
  textWidth,
  truncateMiddle,
} from "./font.js";

/** An sRGB colour, each channel 0..255. */
export type Color = readonly [number, number, number];

export const WHITE: Color = [255, 255, 255];
/** Titles: dark on white. */
export const TEXT_COLOR: Color = [32, 32, 32];
/** Secondary text (confidence, file names). */
export const MUTED_COLOR: Color = [110, 110, 110];
/** The title of a wrong prediction. */
export const WRONG_COLOR: Color = [204, 0, 0];

/** The largest picture the renderers will build, so a huge --n fails clearly instead of exhausting memory. */
export const MAX_CANVAS_PIXELS = 64_000_000;

/** An RGB raster, row-major, 3 bytes per pixel. */
export class Canvas {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    background: Color = WHITE,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`canvas size must be positive integers, got ${width}×${height}`);
    }
    if (width * height > MAX_CANVAS_PIXELS) {
      throw new RangeError(`a ${width}×${height} picture is larger than ${MAX_CANVAS_PIXELS} pixels`);
    }
    this.data = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  /** Sets one pixel; coordinates outside the canvas are ignored. */
  setPixel(x: number, y: number, color: Color): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 3;
    this.data[i] = color[0];
    this.data[i + 1] = color[1];
    this.data[i + 2] = color[2];
  }

  /** The colour at (x, y). */
  getPixel(x: number, y: number): Color {
    const i = (y * this.width + x) * 3;
    return [this.data[i]!, this.data[i + 1]!, this.data[i + 2]!];
  }

  /** Fills the rectangle [x, x+w) × [y, y+h), clipped to the canvas. */
  fillRect(x: number, y: number, w: number, h: number, color: Color): void {
    const x0 = Math.max(0, Math.floor(x));
    const y0 = Math.max(0, Math.floor(y));
    const x1 = Math.min(this.width, Math.floor(x + w));
    const y1 = Math.min(this.height, Math.floor(y + h));
    for (let py = y0; py < y1; py++) {
      for (let px = x0; px < x1; px++) this.setPixel(px, py, color);
    }
  }
}

/** Encodes a canvas as an 8-bit RGB PNG. Deterministic: zlib at a fixed level with a fixed filter. */
export function encodePng(canvas: Canvas): Uint8Array {
  const png = new PNG({ width: canvas.width, height: canvas.height, inputHasAlpha: false, colorType: 2 });
  png.data = Buffer.from(canvas.data.buffer, canvas.data.byteOffset, canvas.data.byteLength);
  const bytes = PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 9 });
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Draws `text` with its top-left corner at (x, y), each font pixel as a `scale`×`scale` block. */
export function drawText(canvas: Canvas, text: string, x: number, y: number, color: Color, scale = 1): void {
  let cursor = x;
  for (const character of text) {
    const glyph = glyphFor(character);
    for (let gy = 0; gy < INK_HEIGHT; gy++) {
      for (let gx = 0; gx < INK_WIDTH; gx++) {
        if (glyphPixel(glyph, gx, gy)) canvas.fillRect(cursor + gx * scale, y + gy * scale, scale, scale, color);
      }
    }
    cursor += GLYPH_WIDTH * scale;
  }
}

/**
 * Draws `text` turned 90° anticlockwise (read from bottom to top), with the bottom-left corner of its
 * first character at (x, y): for axis labels along a vertical axis.
 */
export function drawTextUp(canvas: Canvas, text: string, x: number, y: number, color: Color, scale = 1): void {
  let cursor = y;
  for (const character of text) {
    const glyph = glyphFor(character);
    for (let gy = 0; gy < INK_HEIGHT; gy++) {
      for (let gx = 0; gx < INK_WIDTH; gx++) {
        // Glyph column gx goes up the page, glyph row gy goes right.
        if (glyphPixel(glyph, gx, gy)) canvas.fillRect(x + gy * scale, cursor - (gx + 1) * scale, scale, scale, color);
      }
    }
    cursor -= GLYPH_WIDTH * scale;
  }
}

/** Draws `text` horizontally centred on `centerX`. */
export function drawTextCentered(
  canvas: Canvas,
  text: string,
  centerX: number,
  y: number,
  color: Color,
  scale = 1,
): void {
  drawText(canvas, text, Math.round(centerX - textWidth(text, scale) / 2), y, color, scale);
}

/**
 * Draws a polyline `thickness` pixels wide, optionally dashed: `dash` lists on/off lengths in pixels,
 * measured along the whole line so that the pattern continues across vertices.
 */
export function drawPolyline(
  canvas: Canvas,
  points: readonly (readonly [number, number])[],
  color: Color,
  thickness = 1,
  dash: readonly number[] = [],
): void {
  const period = dash.reduce((sum, length) => sum + length, 0);
  const half = thickness / 2;
  let travelled = 0;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    const length = Math.hypot(x1 - x0, y1 - y0);
    // Half-pixel steps leave no gaps between stamped squares.
    const steps = Math.max(1, Math.ceil(length * 2));
    for (let s = 0; s <= steps; s++) {
      const t = s / steps;
      if (period > 0 && !dashIsOn(dash, (travelled + t * length) % period)) continue;
      const x = x0 + (x1 - x0) * t;
      const y = y0 + (y1 - y0) * t;
      canvas.fillRect(Math.round(x - half), Math.round(y - half), thickness, thickness, color);
    }
    travelled += length;
  }
}

function dashIsOn(dash: readonly number[], position: number): boolean {
  let edge = 0;
  for (let i = 0; i < dash.length; i++) {
    edge += dash[i]!;
    if (position < edge) return i % 2 === 0;
  }
  return false;
}

/** A small picture placed in a grid cell: grayscale (1 channel) or RGB (3 channels), bytes row-major. */
export interface Picture {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

/** A Fashion-MNIST image (784 bytes, 0 = black background) as a grayscale picture. */
export function itemPicture(pixels: Uint8Array): Picture {
  if (pixels.length !== NUM_INPUTS) throw new RangeError(`an item has ${NUM_INPUTS} pixels, got ${pixels.length}`);
  return { width: IMAGE_SIDE, height: IMAGE_SIDE, channels: 1, data: pixels };
}

/** A 28×28 image of values in [0,1] (a model input) as a grayscale picture. */
export function inputPicture(values: Float32Array): Picture {
  if (values.length !== NUM_INPUTS) throw new RangeError(`an input has ${NUM_INPUTS} values, got ${values.length}`);
  const data = new Uint8Array(NUM_INPUTS);
  for (let i = 0; i < NUM_INPUTS; i++) data[i] = Math.round(Math.min(1, Math.max(0, values[i]!)) * 255);
  return { width: IMAGE_SIDE, height: IMAGE_SIDE, channels: 1, data };
}

/** One line of a title. */
export interface TitleLine {
  readonly text: string;
  readonly color?: Color;
}

export interface GridItem {
  readonly picture: Picture;
  /** Lines under the picture, top to bottom. */
  readonly title: readonly TitleLine[];
}

export interface GridOptions {
  /** Cells per row; default: all in one row up to 10, otherwise rows as even as possible (18 → 2 rows of 9). */
  readonly columns?: number;
  /** Integer upscaling of each picture (nearest neighbour); default 3. */
  readonly scale?: number;
}

export const DEFAULT_SCALE = 3;

/** d2l's layout choice for show_images: one row up to 10 items, otherwise the fewest rows of at most 10, evenly filled. */
export function defaultColumns(count: number): number {
  if (count <= 10) return Math.max(1, count);
  const rows = Math.ceil(count / 10);
  return Math.ceil(count / rows);
}

/** Text scale that keeps titles in proportion to the pictures: 1 up to --scale 5, then 2, ... */
export function titleScale(scale: number): number {
  return Math.max(1, Math.floor(scale / 3));
}

/** The size in pixels of the grid `renderImageGrid` would draw, to check limits before drawing. */
export function gridSize(items: readonly GridItem[], options: GridOptions = {}): { width: number; height: number } {
  return gridLayout(items, options).size;
}

interface GridLayout {
  readonly columns: number;
  readonly scale: number;
  readonly textScale: number;
  readonly maxCharacters: number;
  readonly cellWidth: number;
  readonly cellHeight: number;
  readonly pictureHeight: number;
  readonly size: { width: number; height: number };
}

const CELL_MARGIN = 4;
const TITLE_GAP = 3;
/** Titles are cut to this many characters, or to the picture width when that is wider. */
const MIN_TITLE_CHARACTERS = 12;

function gridLayout(items: readonly GridItem[], options: GridOptions): GridLayout {
  const scale = options.scale ?? DEFAULT_SCALE;
  if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`scale must be a positive integer, got ${scale}`);
  const columns = Math.min(Math.max(1, items.length), options.columns ?? defaultColumns(items.length));
  if (!Number.isInteger(columns) || columns < 1) throw new RangeError(`columns must be a positive integer`);
  const textScale = titleScale(scale);
  let pictureWidth = 0;
  let pictureHeight = 0;
  let lines = 0;
  for (const item of items) {
    pictureWidth = Math.max(pictureWidth, item.picture.width * scale);
    pictureHeight = Math.max(pictureHeight, item.picture.height * scale);
    lines = Math.max(lines, item.title.length);
  }
  const maxCharacters = Math.max(
    MIN_TITLE_CHARACTERS,
    Math.floor((pictureWidth + textScale) / (GLYPH_WIDTH * textScale)),
  );
  let titleWidth = 0;
  for (const item of items) {
    for (const line of item.title) {
      titleWidth = Math.max(titleWidth, textWidth(truncateMiddle(line.text, maxCharacters), textScale));
    }
  }
  const cellWidth = Math.max(pictureWidth, titleWidth) + 2 * CELL_MARGIN;
  const titleHeight = lines === 0 ? 0 : TITLE_GAP + lines * GLYPH_HEIGHT * textScale;
  const cellHeight = CELL_MARGIN + pictureHeight + titleHeight + CELL_MARGIN;
  const rows = Math.max(1, Math.ceil(items.length / columns));
  return {
    columns,
    scale,
    textScale,
    maxCharacters,
    cellWidth,
    cellHeight,
    pictureHeight,
    size: { width: columns * cellWidth, height: rows * cellHeight },
  };
}

/** Where the picture of item `index` starts in a grid, for tests and callers that annotate grids. */
export function gridPictureOrigin(
  items: readonly GridItem[],
  index: number,
  options: GridOptions = {},
): { x: number; y: number } {
  const layout = gridLayout(items, options);
  const item = items[index];
  if (item === undefined) throw new RangeError(`no item ${index} in a grid of ${items.length}`);
  const column = index % layout.columns;
  const row = Math.floor(index / layout.columns);
  const width = item.picture.width * layout.scale;
  return {
    x: column * layout.cellWidth + Math.floor((layout.cellWidth - width) / 2),
    y: row * layout.cellHeight + CELL_MARGIN,
  };
}

/** Draws the items in a grid, each picture upscaled by `scale` with its title lines centred below it. */
export function renderImageGrid(items: readonly GridItem[], options: GridOptions = {}): Uint8Array {
  const layout = gridLayout(items, options);
  const canvas = new Canvas(layout.size.width, layout.size.height);
  items.forEach((item, index) => {
    const origin = gridPictureOrigin(items, index, options);
    drawPicture(canvas, item.picture, origin.x, origin.y, layout.scale);
    const cellLeft = (index % layout.columns) * layout.cellWidth;
    let y = origin.y + layout.pictureHeight + TITLE_GAP;
    for (const line of item.title) {
      const text = truncateMiddle(line.text, layout.maxCharacters);
      drawTextCentered(canvas, text, cellLeft + layout.cellWidth / 2, y, line.color ?? TEXT_COLOR, layout.textScale);
      y += GLYPH_HEIGHT * layout.textScale;
    }
  });
  return encodePng(canvas);
}

function drawPicture(canvas: Canvas, picture: Picture, x: number, y: number, scale: number): void {
  for (let py = 0; py < picture.height; py++) {
    for (let px = 0; px < picture.width; px++) {
      const i = (py * picture.width + px) * picture.channels;
      const color: Color =
        picture.channels === 1
          ? [picture.data[i]!, picture.data[i]!, picture.data[i]!]
          : [picture.data[i]!, picture.data[i + 1]!, picture.data[i + 2]!];
      canvas.fillRect(x + px * scale, y + py * scale, scale, scale, color);
    }
  }
}

/** d2l §3.5 show_images: items with their titles (class names) in a grid. */
export function showImages(
  images: readonly Uint8Array[],
  titles: readonly string[],
  options: GridOptions = {},
): Uint8Array {
  return renderImageGrid(
    images.map((pixels, i) => ({ picture: itemPicture(pixels), title: [{ text: titles[i] ?? "" }] })),
    options,
  );
}

/** One prediction to draw: the image, its true class (absent for a user's image), the predicted class. */
export interface PredictionCell {
  readonly picture: Picture;
  /** True class name, or undefined for an image without a label. */
  readonly trueClass?: string;
  /** Shown in place of the true class when there is none (e.g. the file name). */
  readonly label?: string;
  readonly predictedClass: string;
  readonly confidence: number;
}

/**
 * d2l §3.6 predict_ch3 as a picture: each image titled with the true class over the predicted class
 * and its confidence; a wrong prediction's class is drawn in red.
 */
export function renderPredictions(cells: readonly PredictionCell[], options: GridOptions = {}): Uint8Array {
  return renderImageGrid(cells.map(predictionItem), options);
}

/** The grid item `renderPredictions` draws for one cell (exported so callers can size the grid first). */
export function predictionItem(cell: PredictionCell): GridItem {
  const wrong = cell.trueClass !== undefined && cell.trueClass !== cell.predictedClass;
  const first: TitleLine =
    cell.trueClass !== undefined ? { text: cell.trueClass } : { text: cell.label ?? "", color: MUTED_COLOR };
  return {
    picture: cell.picture,
    title: [
      first,
      { text: cell.predictedClass, color: wrong ? WRONG_COLOR : TEXT_COLOR },
      { text: cell.confidence.toFixed(3), color: wrong ? WRONG_COLOR : MUTED_COLOR },
    ],
  };
}

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
    options,
  );
}
