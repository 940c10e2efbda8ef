// An RGB raster and the few drawing operations the renderers need: rectangles, thick (dashed) lines and
// text in the project's bitmap font, plus the palette the pictures share. Pure: nothing here encodes,
// reads or writes files, and nothing knows what is being drawn (grids, plots and heatmaps build on it).
import { GLYPH_WIDTH, glyphFor, glyphPixel, INK_HEIGHT, INK_WIDTH, textWidth } from "./font.js";

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
