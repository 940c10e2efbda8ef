// The hyperparameter table: each entry drives a flag of `softmax train` (shown in --help with its
// default), the model file's metadata both ways, and what --resume inherits. Adding an entry
// without a value in TEST_VALUES fails the first test, so every entry is round-tripped.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { initParams } from "../../src/model/softmax-regression.js";
import { resumeTraining, saveTrainedModel } from "../../src/train/checkpoint.js";
import {
  DEFAULT_HYPERPARAMETERS,
  HYPERPARAMETER_NAMES,
  type Hyperparameters,
  hyperparameter,
  resolveHyperparameters,
} from "../../src/train/hyperparameters.js";
import { assertBuilt, BIN } from "../helpers/pictures-cli.js";

/** A valid value other than the default, for every entry. */
const TEST_VALUES: Hyperparameters = {
  lr: 0.25,
  batchSize: 32,
  seed: 2 ** 40 + 7,
  weightDecay: 0.0001,
  labelSmoothing: 0.1,
  loss: "mse",
  schedule: "cosine",
  dataset: "mnist",
  average: 3,
  validation: 5000,
  kernel: "plain",
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "softmax-hyperparameters-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

describe("the hyperparameter table", () => {
  it("has a test value for every entry, valid and different from the default", () => {
    expect(Object.keys(TEST_VALUES).sort()).toEqual([...HYPERPARAMETER_NAMES].sort());
    for (const name of HYPERPARAMETER_NAMES) {
      const { kind } = hyperparameter(name);
      expect(kind.valid(TEST_VALUES[name]), name).toBe(true);
      expect(TEST_VALUES[name], name).not.toEqual(DEFAULT_HYPERPARAMETERS[name]);
    }
  });

  it.each(HYPERPARAMETER_NAMES)("%s: flag named after it, valid default, value parsed back from its text", (name) => {
    const { flag, kind, metadataKey } = hyperparameter(name);
    expect(flag).toBe(`--${kebab(name)}`); // commander turns the flag into the option name
    expect(metadataKey).toMatch(/^[a-z_]+$/);
    expect(kind.valid(DEFAULT_HYPERPARAMETERS[name])).toBe(true);
    expect(kind.parse(String(TEST_VALUES[name]))).toBe(TEST_VALUES[name]);
    expect(kind.parse("")).toBeUndefined();
    expect(kind.parse("nonsense")).toBeUndefined();
  });

  it("metadata keys are distinct and none is one of the record's own keys", () => {
    const keys = HYPERPARAMETER_NAMES.map((name) => hyperparameter(name).metadataKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const own of ["format", "version", "classes", "epochs", "test_accuracy"]) expect(keys).not.toContain(own);
  });

  it("every entry round-trips through a saved model file, and --resume inherits what its entry says", async () => {
    const path = join(dir, "all.safetensors");
    await saveTrainedModel(path, initParams(0), { ...TEST_VALUES, epochs: 4, testAccuracy: 0.5 }, ["a"]);
    const resumed = await resumeTraining(path);
    expect(resumed.startEpoch).toBe(4);
    for (const name of HYPERPARAMETER_NAMES) {
      const expected = hyperparameter(name).resume ? TEST_VALUES[name] : DEFAULT_HYPERPARAMETERS[name];
      expect(resumed.hyperparameters[name], name).toBe(expected);
      expect(resumed.metadata[hyperparameter(name).metadataKey], name).toBe(String(TEST_VALUES[name]));
    }
    // What is given wins over the file.
    const given = await resumeTraining(path, { lr: 0.5, loss: "cross-entropy", seed: undefined });
    expect(given.hyperparameters).toEqual({ ...TEST_VALUES, lr: 0.5, loss: "cross-entropy" });
  });

  it("a file without hyperparameters (older or foreign) resumes with the defaults", async () => {
    const path = join(dir, "bare.safetensors");
    const { saveModel } = await import("../../src/model-file/model-file.js");
    await saveModel(path, initParams(0), { epochs: "2" });
    expect((await resumeTraining(path)).hyperparameters).toEqual(DEFAULT_HYPERPARAMETERS);
  });

  it("resolveHyperparameters fills defaults and rejects bad values and unknown names, naming them", () => {
    expect(resolveHyperparameters({})).toEqual(DEFAULT_HYPERPARAMETERS);
    expect(resolveHyperparameters({ lr: 0.5 })).toEqual({ ...DEFAULT_HYPERPARAMETERS, lr: 0.5 });
    expect(() => resolveHyperparameters({ lr: 0 })).toThrow(UsageError);
    expect(() => resolveHyperparameters({ batchSize: 1.5 })).toThrow(/batchSize is 1.5, expected an integer >= 1/);
    expect(() => resolveHyperparameters({ loss: "squared" as "mse" })).toThrow(/loss is "squared"/);
    expect(() => resolveHyperparameters({ learningRate: 1 } as Partial<Hyperparameters>)).toThrow(
      /unknown hyperparameter learningRate/,
    );
  });

  it("every entry appears in `softmax train --help` with its help text and default", () => {
    assertBuilt();
    const r = spawnSync(process.execPath, [BIN, "train", "--help"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    // One entry per option: its first line starts with "  -", wrapped lines are indented further.
    const options: string[] = [];
    for (const line of r.stdout.split("\n")) {
      if (/^ {2}-/.test(line)) options.push(line.trim());
      else if (/^ {3,}\S/.test(line) && options.length > 0) options[options.length - 1] += ` ${line.trim()}`;
    }
    for (const name of HYPERPARAMETER_NAMES) {
      const { flag, placeholder, help: text, default: value } = hyperparameter(name);
      const described = options.find((option) => option.startsWith(`${flag} ${placeholder} `));
      expect(described, flag).toBeDefined();
      expect(described!.replace(/\s+/g, " ")).toContain(text);
      expect(described).toContain(`default: ${JSON.stringify(value)})`);
    }
  });
});
