// Fixtures shared by the image-input tests: a Fashion-MNIST-like item, and the check that a failure
// is one ImageError line.
import { expect } from "vitest";
import { ImageError } from "../../src/errors.js";

/**
 * A Fashion-MNIST-like item: a light textured blob on a black background (bytes, 28×28), as tall as
 * the frame and centred across it, as the dataset's items are.
 */
export function item(): Uint8Array {
  const pixels = new Uint8Array(784);
  for (let y = 0; y < 28; y++) for (let x = 7; x < 21; x++) pixels[y * 28 + x] = 120 + ((x * 13 + y * 7) % 120);
  return pixels;
}

/** `run` throws an ImageError whose line as the CLI prints it, "message (hint)", is one line matching `pattern`. */
export function expectImageError(run: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ImageError);
  const { message, hint } = caught as ImageError;
  const line = hint === undefined ? message : `${message} (${hint})`;
  expect(line).toMatch(pattern);
  expect(line).not.toContain("\n");
}
