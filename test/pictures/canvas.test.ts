// The canvas and PNG encoding: pixels round-trip through the encoder, sizes are checked, and text is
// drawn glyph by glyph (horizontally and turned for vertical labels).
import { describe, expect, it } from "vitest";
import { Canvas, type Color, drawText, drawTextUp } from "../../src/pictures/canvas.js";
import { encodePng } from "../../src/pictures/encode-png.js";
import { glyphFor, glyphPixel, INK_HEIGHT, INK_WIDTH } from "../../src/pictures/font.js";
import { decodeRgba } from "../helpers/raw-png.js";

describe("Canvas and encodePng", () => {
  it("round-trips pixels through an 8-bit RGB PNG", () => {
    const canvas = new Canvas(7, 5);
    canvas.fillRect(1, 1, 3, 2, [10, 20, 30]);
    canvas.setPixel(6, 4, [255, 0, 128]);
    const decoded = decodeRgba(encodePng(canvas));
    expect([decoded.width, decoded.height]).toEqual([7, 5]);
    expect(decoded.at(0, 0)).toEqual([255, 255, 255]);
    expect(decoded.at(3, 2)).toEqual([10, 20, 30]);
    expect(decoded.at(4, 2)).toEqual([255, 255, 255]);
    expect(decoded.at(6, 4)).toEqual([255, 0, 128]);
  });

  it("refuses sizes that are not positive integers or too large", () => {
    expect(() => new Canvas(0, 5)).toThrow(RangeError);
    expect(() => new Canvas(2.5, 5)).toThrow(RangeError);
    expect(() => new Canvas(100_000, 100_000)).toThrow(/larger than/);
  });

  it("draws text glyph by glyph, each font pixel a scale×scale block", () => {
    const canvas = new Canvas(40, 30);
    const ink: Color = [0, 0, 0];
    drawText(canvas, "Ag", 2, 3, ink, 2);
    for (const [index, character] of ["A", "g"].entries()) {
      const glyph = glyphFor(character);
      for (let gy = 0; gy < INK_HEIGHT; gy++) {
        for (let gx = 0; gx < INK_WIDTH; gx++) {
          const want = glyphPixel(glyph, gx, gy) ? ink : [255, 255, 255];
          for (const [dx, dy] of [
            [0, 0],
            [1, 1],
          ] as const) {
            expect(canvas.getPixel(2 + index * 12 + gx * 2 + dx, 3 + gy * 2 + dy)).toEqual(want);
          }
        }
      }
    }
  });

  it("draws text turned anticlockwise for vertical labels", () => {
    const canvas = new Canvas(20, 20);
    drawTextUp(canvas, "L", 2, 15, [0, 0, 0]);
    // L's vertical stroke (column 0, rows 0..6) lies along the bottom row of the turned glyph: y = 14.
    for (let gy = 0; gy < 7; gy++) expect(canvas.getPixel(2 + gy, 14)).toEqual([0, 0, 0]);
    // Its foot (row 6, columns 0..4) runs upwards at x = 2 + 6.
    for (let gx = 0; gx < 5; gx++) expect(canvas.getPixel(8, 14 - gx)).toEqual([0, 0, 0]);
    expect(canvas.getPixel(3, 13)).toEqual([255, 255, 255]);
  });
});
