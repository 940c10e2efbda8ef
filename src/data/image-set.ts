// Pairs a parsed images file with its labels file into one ImageSet, checking what makes them
// Fashion-MNIST-shaped: u8 images (count, 28, 28), u8 labels (count), equal counts, labels 0..9.
// Pure; no I/O.
import { DataError } from "../errors.js";
import { IMAGE_SIDE, type ImageSet, NUM_CLASSES } from "../types.js";
import type { IdxArray } from "./idx.js";

const HINT = "run `softmax download --force` to fetch a fresh copy";

/** The ImageSet of one split; `imagesFile` and `labelsFile` name the files in errors. */
export function imageSetFromIdx(images: IdxArray, labels: IdxArray, imagesFile: string, labelsFile: string): ImageSet {
  const [count, rows, cols] = images.dims;
  if (images.type !== "u8" || images.dims.length !== 3 || rows !== IMAGE_SIDE || cols !== IMAGE_SIDE) {
    throw new DataError(
      `${imagesFile}: expected u8 images of shape (N, ${IMAGE_SIDE}, ${IMAGE_SIDE}), got ${images.type} [${images.dims.join(", ")}]`,
      { hint: HINT },
    );
  }
  if (labels.type !== "u8" || labels.dims.length !== 1) {
    throw new DataError(
      `${labelsFile}: expected u8 labels of shape (N), got ${labels.type} [${labels.dims.join(", ")}]`,
      {
        hint: HINT,
      },
    );
  }
  if (labels.dims[0] !== count) {
    throw new DataError(`${labelsFile}: holds ${labels.dims[0]} labels but ${imagesFile} holds ${count} images`, {
      hint: HINT,
    });
  }
  const labelData = labels.data as Uint8Array;
  for (let i = 0; i < labelData.length; i++) {
    if (labelData[i]! >= NUM_CLASSES) {
      throw new DataError(`${labelsFile}: label ${labelData[i]} at index ${i} is outside 0..${NUM_CLASSES - 1}`, {
        hint: HINT,
      });
    }
  }
  return { images: images.data as Uint8Array, labels: labelData, count: count! };
}
