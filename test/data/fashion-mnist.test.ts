// The file table, mirror URLs and the mirror list from flags and $SOFTMAX_MIRROR (pure, no network).
import { describe, expect, it } from "vitest";
import {
  CLASSES,
  DEFAULT_MIRRORS,
  FASHION_MNIST_FILES,
  mirrorsFrom,
  mirrorUrl,
  specFor,
} from "../../src/data/fashion-mnist.js";
import { CLASS_NAMES } from "../helpers/pictures-cli.js";

describe("Fashion-MNIST constants", () => {
  it("names the ten classes in label order", () => {
    expect(CLASSES).toEqual(CLASS_NAMES);
  });

  it("has raw sizes that match the IDX headers of 60000/10000 28×28 images", () => {
    expect(specFor(FASHION_MNIST_FILES, "train", "images")?.rawBytes).toBe(16 + 60000 * 784);
    expect(specFor(FASHION_MNIST_FILES, "train", "labels")?.rawBytes).toBe(8 + 60000);
    expect(specFor(FASHION_MNIST_FILES, "test", "images")?.rawBytes).toBe(16 + 10000 * 784);
    expect(specFor(FASHION_MNIST_FILES, "test", "labels")?.rawBytes).toBe(8 + 10000);
  });
});

describe("mirrorUrl", () => {
  it.each([
    ["https://example.org/fashion/", "https://example.org/fashion/train-images-idx3-ubyte.gz"],
    ["https://example.org/fashion", "https://example.org/fashion/train-images-idx3-ubyte.gz"],
    ["http://127.0.0.1:8000/", "http://127.0.0.1:8000/train-images-idx3-ubyte.gz"],
  ])("%s", (mirror, url) => {
    expect(mirrorUrl(mirror, FASHION_MNIST_FILES[0]!)).toBe(url);
  });
});

describe("mirrorsFrom", () => {
  it("uses the defaults when neither flag nor variable is set", () => {
    expect(mirrorsFrom([], {})).toEqual(DEFAULT_MIRRORS);
    expect(mirrorsFrom([], { SOFTMAX_MIRROR: "  " })).toEqual(DEFAULT_MIRRORS);
  });
  it("replaces the defaults with $SOFTMAX_MIRROR, split on whitespace and commas", () => {
    expect(mirrorsFrom([], { SOFTMAX_MIRROR: "http://a/ ,http://b/\nhttp://c/" })).toEqual([
      "http://a/",
      "http://b/",
      "http://c/",
    ]);
  });
  it("prefers --mirror flags over the variable", () => {
    expect(mirrorsFrom(["http://x/"], { SOFTMAX_MIRROR: "http://a/" })).toEqual(["http://x/"]);
  });
});
