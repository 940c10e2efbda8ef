// The dataset registry: file tables, class names, mirror URLs, and naming another dataset's file
// (pure, no network).
import { describe, expect, it } from "vitest";
import {
  CLASSES,
  DATASET_NAMES,
  DATASETS,
  FASHION_MNIST,
  FASHION_MNIST_FILES,
  findDataset,
  identifyPayload,
  KMNIST,
  MNIST,
  mirrorUrl,
  specFor,
} from "../../src/data/datasets.js";
import { CLASS_NAMES } from "../helpers/pictures-cli.js";

describe("the registry", () => {
  it("names Fashion-MNIST's ten classes in label order", () => {
    expect(CLASSES).toEqual(CLASS_NAMES);
  });

  it("lists fashion-mnist (the default), mnist and kmnist, each with ten classes and four files", () => {
    expect(DATASET_NAMES).toEqual(["fashion-mnist", "mnist", "kmnist"]);
    expect(findDataset("mnist")).toBe(MNIST);
    expect(findDataset("emnist")).toBeUndefined();
    for (const dataset of DATASETS) {
      expect(dataset.classes, dataset.name).toHaveLength(10);
      expect(new Set(dataset.classes).size, dataset.name).toBe(10);
      expect(dataset.files.map((file) => file.name)).toEqual(FASHION_MNIST_FILES.map((file) => file.name));
      expect(dataset.mirrors.length, dataset.name).toBeGreaterThan(0);
    }
    expect(MNIST.classes).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(KMNIST.classes[0]).toBe("o");
  });

  it.each(
    DATASETS.map((dataset) => [dataset.name, dataset] as const),
  )("%s: raw sizes match the IDX headers of 60000/10000 28×28 images; every file has a digest", (_, dataset) => {
    expect(specFor(dataset.files, "train", "images")?.rawBytes).toBe(16 + 60000 * 784);
    expect(specFor(dataset.files, "train", "labels")?.rawBytes).toBe(8 + 60000);
    expect(specFor(dataset.files, "test", "images")?.rawBytes).toBe(16 + 10000 * 784);
    expect(specFor(dataset.files, "test", "labels")?.rawBytes).toBe(8 + 10000);
    for (const file of dataset.files) expect(file.sha256 ?? file.gz?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("knows KMNIST only by its .gz digests, and records them with their sizes", () => {
    for (const file of KMNIST.files) {
      expect(file.sha256).toBeUndefined();
      expect(file.gz?.bytes).toBeGreaterThan(0);
    }
  });

  it("identifies a payload digest as the registered dataset's file it is", () => {
    const mnistTest = specFor(MNIST.files, "test", "images")!;
    expect(identifyPayload(mnistTest.sha256!)).toEqual({ dataset: MNIST, file: mnistTest });
    expect(identifyPayload(FASHION_MNIST.files[1]!.sha256!)?.dataset).toBe(FASHION_MNIST);
    expect(identifyPayload(KMNIST.files[0]!.gz!.sha256)?.dataset).toBe(KMNIST);
    expect(identifyPayload("0".repeat(64))).toBeUndefined();
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
