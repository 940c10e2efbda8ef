// Pairing images with labels: shapes, counts and label range, each error naming the file at fault.
import { describe, expect, it } from "vitest";
import { encodeIdx, parseIdx } from "../../src/data/idx.js";
import { imageSetFromIdx } from "../../src/data/image-set.js";
import { DataError } from "../../src/errors.js";

const images = (count: number) =>
  parseIdx(encodeIdx("u8", [count, 28, 28], new Uint8Array(count * 784).fill(7)), "imgs");
const labels = (values: number[]) => parseIdx(encodeIdx("u8", [values.length], values), "labs");

describe("imageSetFromIdx", () => {
  it("gives count, images (count, 784) and labels", () => {
    const set = imageSetFromIdx(images(3), labels([0, 9, 4]), "imgs", "labs");
    expect(set.count).toBe(3);
    expect(set.images.length).toBe(3 * 784);
    expect(Array.from(set.labels)).toEqual([0, 9, 4]);
  });

  const rejections = [
    {
      what: "a count mismatch",
      set: () => [images(3), labels([0, 1])],
      message: /^labs: holds 2 labels but imgs holds 3 images/,
    },
    {
      what: "a label of 10",
      set: () => [images(3), labels([0, 10, 1])],
      message: /^labs: label 10 at index 1 is outside 0\.\.9/,
    },
    { what: "a label of 255", set: () => [images(1), labels([255])], message: /^labs: label 255 at index 0/ },
    {
      what: "images of the wrong side",
      set: () => [parseIdx(encodeIdx("u8", [1, 27, 28], new Uint8Array(27 * 28)), "imgs"), labels([0])],
      message: /^imgs: expected u8 images of shape \(N, 28, 28\), got u8 \[1, 27, 28\]/,
    },
    {
      what: "a labels file given as images",
      set: () => [labels([0, 1]), labels([0, 1])],
      message: /^imgs: expected u8 images/,
    },
    {
      what: "an images file given as labels",
      set: () => [images(1), images(1)],
      message: /^labs: expected u8 labels of shape \(N\), got u8 \[1, 28, 28\]/,
    },
    {
      what: "labels of a wider type",
      set: () => [images(1), parseIdx(encodeIdx("i32", [1], [3]), "labs")],
      message: /^labs: expected u8 labels/,
    },
  ] as const;

  it.each(rejections)("rejects $what", ({ set, message }) => {
    const [imagesIdx, labelsIdx] = set();
    expect(() => imageSetFromIdx(imagesIdx!, labelsIdx!, "imgs", "labs")).toThrow(DataError);
    expect(() => imageSetFromIdx(imagesIdx!, labelsIdx!, "imgs", "labs")).toThrow(message);
  });
});
