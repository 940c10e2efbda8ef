// The bitmap font: every printable ASCII character has its own glyph, within its cell, and text is
// measured and shortened as the grid layout expects.
import { describe, expect, it } from "vitest";
import {
  fontCharacters,
  GLYPH_HEIGHT,
  GLYPH_WIDTH,
  glyphFor,
  glyphPixel,
  INK_HEIGHT,
  INK_WIDTH,
  textHeight,
  textWidth,
  truncateEnd,
  truncateMiddle,
} from "../../src/pictures/font.js";

const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i));

function inkCount(character: string): number {
  const glyph = glyphFor(character);
  let count = 0;
  for (let y = 0; y < INK_HEIGHT; y++) for (let x = 0; x < INK_WIDTH; x++) if (glyphPixel(glyph, x, y)) count++;
  return count;
}

describe("font", () => {
  it("has a glyph for each of the 95 printable ASCII characters and nothing else", () => {
    expect(fontCharacters().sort()).toEqual([...PRINTABLE].sort());
  });

  it("draws ink for every character but space, inside the 5×9 ink box of a 6×10 cell", () => {
    expect(GLYPH_WIDTH).toBe(INK_WIDTH + 1);
    expect(GLYPH_HEIGHT).toBe(INK_HEIGHT + 1);
    expect(inkCount(" ")).toBe(0);
    for (const character of PRINTABLE.slice(1)) {
      expect(inkCount(character), JSON.stringify(character)).toBeGreaterThan(0);
      const glyph = glyphFor(character);
      expect(glyph.length).toBe(INK_HEIGHT);
      for (const row of glyph) expect(row >> INK_WIDTH, JSON.stringify(character)).toBe(0);
    }
  });

  it("gives every character a different bitmap", () => {
    const seen = new Map<string, string>();
    for (const character of PRINTABLE) {
      const key = Array.from(glyphFor(character)).join(",");
      expect(seen.get(key), `${JSON.stringify(character)} looks like ${JSON.stringify(seen.get(key))}`).toBeUndefined();
      seen.set(key, character);
    }
  });

  it("keeps capitals and digits above the descender rows and puts descenders below", () => {
    for (const character of "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") {
      const glyph = glyphFor(character);
      expect(glyph[7]! | glyph[8]!, character).toBe(0);
    }
    for (const character of "gjpqy") {
      const glyph = glyphFor(character);
      expect(glyph[7]! | glyph[8]!, character).not.toBe(0);
    }
  });

  it("draws characters outside printable ASCII as ?", () => {
    for (const character of ["é", "\t", "\u0000", "☃"]) expect(glyphFor(character)).toBe(glyphFor("?"));
  });

  it.each([
    ["", 1, 0],
    ["A", 1, 5],
    ["Ankle boot", 1, 59],
    ["Ankle boot", 2, 118],
  ])("textWidth(%j, %i) = %i", (text, scale, width) => {
    expect(textWidth(text, scale)).toBe(width);
  });

  it("measures lines of text", () => {
    expect(textHeight(0)).toBe(0);
    expect(textHeight(1)).toBe(9);
    expect(textHeight(3, 2)).toBe(58);
  });

  it.each([
    ["shirt.png", 12, "shirt.png"],
    ["a-very-long-photo-name.png", 12, "a-ver..e.png"],
    ["abcdef", 5, "ab..f"],
    ["abcdef", 2, "ab"],
  ])("truncateMiddle(%j, %i) = %j", (text, max, expected) => {
    expect(truncateMiddle(text, max)).toBe(expected);
    expect([...truncateMiddle(text, max)].length).toBeLessThanOrEqual(max);
  });

  it.each([
    ["shirt.png", 12, "shirt.png"],
    ["a-very-long-photo-name.png", 12, "a-very-lon.."],
    ["abcdef", 2, "ab"],
  ])("truncateEnd(%j, %i) = %j", (text, max, expected) => {
    expect(truncateEnd(text, max)).toBe(expected);
  });
});
