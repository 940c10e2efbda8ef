// The model file on disk: saveModel writes atomically and loadModel reads back, and each failure
// (missing, unwritable, a directory, truncated) is one ModelFileError naming the file.
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ModelFileError } from "../../src/errors.js";
import { initParams } from "../../src/model/softmax-regression.js";
import { encodeModel, loadModel, MAX_MODEL_FILE_BYTES, saveModel } from "../../src/model-file/model-file.js";

const metadata = { format: "pt", epochs: "3", lr: "0.1" };

describe("saveModel / loadModel", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "softmax-safetensors-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("saves atomically (no temporary file left) and loads back", async () => {
    const path = join(dir, "model.safetensors");
    const params = initParams(4);
    await saveModel(path, params, metadata);
    expect(await readdir(dir)).toEqual(["model.safetensors"]);
    const loaded = await loadModel(path);
    expect(loaded.params.weight).toEqual(params.weight);
    expect(loaded.metadata).toEqual(metadata);
    expect(new Uint8Array(await readFile(path))).toEqual(encodeModel(params, metadata));
  });

  it("names a missing file and says what to do", async () => {
    const path = join(dir, "nope.safetensors");
    await expect(loadModel(path)).rejects.toMatchObject({
      name: "ModelFileError",
      message: `${path}: no such file`,
      hint: expect.stringContaining("softmax train"),
    });
  });

  it("reports a model that cannot be written as one ModelFileError", async () => {
    const path = join(dir, "missing", "model.safetensors");
    await expect(saveModel(path, initParams(0), metadata)).rejects.toMatchObject({
      name: "ModelFileError",
      message: `${path}: cannot write the model (ENOENT)`,
    });
  });

  it("names a directory given as the model", async () => {
    await expect(loadModel(dir)).rejects.toThrow(/is a directory/);
  });

  it("rejects a truncated file", async () => {
    const path = join(dir, "cut.safetensors");
    await writeFile(path, encodeModel(initParams(0), metadata).subarray(0, 1000));
    await expect(loadModel(path)).rejects.toThrow(ModelFileError);
  });

  it("refuses /dev/zero after reading no more than a model file can hold, in one line", async () => {
    const error = await loadModel("/dev/zero").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as Error).message).toBe(
      `/dev/zero: holds more than ${MAX_MODEL_FILE_BYTES} bytes, more than a model file can (1048576-byte header and 31400 bytes of tensors at most)`,
    );
  });

  it("refuses a regular file larger than a model file can be, by its size", async () => {
    const path = join(dir, "big.safetensors");
    await writeFile(path, Buffer.alloc(MAX_MODEL_FILE_BYTES + 1));
    await expect(loadModel(path)).rejects.toThrow(/holds more than \d+ bytes, more than a model file can/);
  });
});
