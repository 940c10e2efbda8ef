// d2l §3.5 show_images: small pictures upscaled in a grid, each with title lines centred under it.
// The layout (columns, cell size, title truncation) is computed once and shared by the drawing, the size
// check callers make before drawing, and the origin of each cell. Pure: returns PNG bytes, writes nothing.
import { IMAGE_SIDE, NUM_INPUTS } from "../types.js";
import { Canvas, type Color, drawText, drawTextCentered, TEXT_COLOR } from "./canvas.js";
import { encodePng } from "./encode-png.js";
import { GLYPH_HEIGHT, GLYPH_WIDTH, textWidth, truncateEnd, truncateMiddle } from "./font.js";

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
  /** Where a title too long for its cell is cut: in the middle (default) or at the end. */
  readonly shorten?: "middle" | "end";
}

export interface GridItem {
  readonly picture: Picture;
  /** Lines under the picture, top to bottom. */
  readonly title: readonly TitleLine[];
}

/** A line of the key under a grid: colour swatches (e.g. a colour map's stops), then text. */
export interface KeyLine {
  readonly text: string;
  readonly color?: Color;
  readonly swatches?: readonly Color[];
}

export interface GridOptions {
  /** Cells per row; default: all in one row up to 10, otherwise rows as even as possible (18 → 2 rows of 9). */
  readonly columns?: number;
  /** Integer upscaling of each picture (nearest neighbour); default 3. */
  readonly scale?: number;
  /** Lines under the grid saying what the titles or colours mean. */
  readonly key?: readonly KeyLine[];
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
  /** Where the key starts, under the cells. */
  readonly keyTop: number;
  readonly size: { width: number; height: number };
}

const CELL_MARGIN = 4;
const TITLE_GAP = 3;
/** A key swatch's side at text scale 1. */
const SWATCH = 8;
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
      titleWidth = Math.max(titleWidth, textWidth(shorten(line, maxCharacters), textScale));
    }
  }
  const cellWidth = Math.max(pictureWidth, titleWidth) + 2 * CELL_MARGIN;
  const titleHeight = lines === 0 ? 0 : TITLE_GAP + lines * GLYPH_HEIGHT * textScale;
  const cellHeight = CELL_MARGIN + pictureHeight + titleHeight + CELL_MARGIN;
  const rows = Math.max(1, Math.ceil(items.length / columns));
  const key = options.key ?? [];
  const keyWidth = Math.max(0, ...key.map((line) => keyLineWidth(line, textScale))) + 2 * CELL_MARGIN;
  const keyHeight = key.length === 0 ? 0 : TITLE_GAP + key.length * GLYPH_HEIGHT * textScale + CELL_MARGIN;
  return {
    columns,
    scale,
    textScale,
    maxCharacters,
    cellWidth,
    cellHeight,
    pictureHeight,
    keyTop: rows * cellHeight,
    size: { width: Math.max(columns * cellWidth, keyWidth), height: rows * cellHeight + keyHeight },
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
      const text = shorten(line, layout.maxCharacters);
      drawTextCentered(canvas, text, cellLeft + layout.cellWidth / 2, y, line.color ?? TEXT_COLOR, layout.textScale);
      y += GLYPH_HEIGHT * layout.textScale;
    }
  });
  (options.key ?? []).forEach((line, i) => {
    const y = layout.keyTop + TITLE_GAP + i * GLYPH_HEIGHT * layout.textScale;
    drawKeyLine(canvas, line, CELL_MARGIN, y, layout.textScale);
  });
  return encodePng(canvas);
}

function shorten(line: TitleLine, maxCharacters: number): string {
  return line.shorten === "end" ? truncateEnd(line.text, maxCharacters) : truncateMiddle(line.text, maxCharacters);
}

function keyLineWidth(line: KeyLine, textScale: number): number {
  const swatches = line.swatches?.length ?? 0;
  return (swatches === 0 ? 0 : (swatches * SWATCH + 4) * textScale) + textWidth(line.text, textScale);
}

function drawKeyLine(canvas: Canvas, line: KeyLine, x: number, y: number, textScale: number): void {
  const swatches = line.swatches ?? [];
  swatches.forEach((color, i) => {
    canvas.fillRect(x + i * SWATCH * textScale, y + textScale, SWATCH * textScale, (SWATCH - 1) * textScale, color);
  });
  const textX = x + (swatches.length === 0 ? 0 : (swatches.length * SWATCH + 4) * textScale);
  drawText(canvas, line.text, textX, y, line.color ?? TEXT_COLOR, textScale);
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
