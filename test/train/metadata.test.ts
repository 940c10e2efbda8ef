import { describe, expect, it } from "vitest";
import { ModelFileError } from "../../src/errors.js";
import { readTrainingRecord, type TrainingRecord, trainingMetadata } from "../../src/train/metadata.js";
import { VERSION } from "../../src/version.js";

const record: TrainingRecord = {
  epochs: 12,
  lr: 0.25,
  batchSize: 32,
  seed: 7,
  weightDecay: 0.0001,
  labelSmoothing: 0.1,
  loss: "mse",
  schedule: "cosine",
  dataset: "mnist",
  average: 3,
  validation: 5000,
  kernel: "fma",
  testAccuracy: 0.8505,
};

describe("training metadata", () => {
  it("is strings only, with the keys files have always had and no timestamp", () => {
    const m = trainingMetadata(record, ["a", "b"]);
    expect(m).toEqual({
      format: "pt",
      version: VERSION,
      classes: '["a","b"]',
      epochs: "12",
      lr: "0.25",
      batch_size: "32",
      seed: "7",
      weight_decay: "0.0001",
      label_smoothing: "0.1",
      loss: "mse",
      schedule: "cosine",
      dataset: "mnist",
      average: "3",
      validation: "5000",
      kernel: "fma",
      test_accuracy: "0.8505",
    });
  });

  it("reads back what it wrote (for --resume)", () => {
    const { testAccuracy: _, epochs, ...hyperparameters } = record;
    expect(readTrainingRecord(trainingMetadata(record, []), "m")).toEqual({ epochs, hyperparameters });
  });

  it("needs only epochs; hyperparameters are left out when absent (older files)", () => {
    expect(readTrainingRecord({ epochs: "3" }, "m")).toEqual({ epochs: 3, hyperparameters: {} });
    expect(readTrainingRecord({ epochs: "0", lr: "0.5" }, "m")).toEqual({ epochs: 0, hyperparameters: { lr: 0.5 } });
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{}, /m: metadata has no "epochs" entry/],
    [{ epochs: "-1" }, /m: metadata epochs is "-1", expected an integer >= 0/],
    [{ epochs: "" }, /metadata epochs is ""/],
    [{ epochs: "2", lr: "0" }, /metadata lr is "0", expected a finite number > 0/],
    [{ epochs: "2", batch_size: "1.5" }, /metadata batch_size is "1.5", expected an integer >= 1/],
    [{ epochs: "2", label_smoothing: "1" }, /metadata label_smoothing/],
    [{ epochs: "2", loss: "squared" }, /metadata loss is "squared", expected one of cross-entropy, mse, hinge/],
    [{ epochs: "2", schedule: "step" }, /metadata schedule/],
    [{ epochs: "2", average: "x" }, /metadata average/],
    [
      { epochs: "2", dataset: "cifar10" },
      /metadata dataset is "cifar10", expected one of fashion-mnist, mnist, kmnist/,
    ],
  ];
  for (const [metadata, pattern] of bad) {
    it(`rejects ${JSON.stringify(metadata)}`, () => {
      expect(() => readTrainingRecord(metadata, "m")).toThrow(ModelFileError);
      expect(() => readTrainingRecord(metadata, "m")).toThrow(pattern);
    });
  }
});
