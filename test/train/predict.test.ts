// predict (d2l predict_ch3): ranked classes with their probabilities, the same from raw pixels as
// from inputs already scaled to [0,1], and the same best class as the backends' predictLabels.
import { describe, expect, it } from "vitest";
import { scalePixels } from "../../src/model/batch.js";
import { ReferenceBackend } from "../../src/model/reference-backend.js";
import { initParams } from "../../src/model/softmax-regression.js";
import { train } from "../../src/train/loop.js";
import { predict } from "../../src/train/predict.js";
import { NUM_INPUTS } from "../../src/types.js";
import { syntheticData } from "./synthetic.js";

const data = syntheticData(300, 100);

describe("predict", () => {
  it("ranks the classes by probability and agrees with the backend's predicted labels", async () => {
    const params = initParams(0);
    const backend = new ReferenceBackend();
    await train(backend, data, params, { epochs: 2, batchSize: 32, average: 0 });
    const predictions = predict(params, data.test.images);
    expect(predictions).toHaveLength(100);
    const labels = await backend.predictLabels(params, data.test);
    for (const [i, { ranked, probabilities }] of predictions.entries()) {
      expect([...ranked].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (let k = 1; k < 10; k++)
        expect(probabilities[ranked[k]!]!).toBeLessThanOrEqual(probabilities[ranked[k - 1]!]!);
      expect(probabilities.reduce((a, p) => a + p, 0)).toBeCloseTo(1, 5);
      expect(ranked[0]).toBe(labels[i]);
    }
  });

  it("scales raw pixels exactly as training does: uint8 and pre-scaled inputs give identical results", () => {
    const params = initParams(3);
    const pixels = data.test.images.subarray(0, 4 * NUM_INPUTS);
    const scaled = scalePixels(pixels);
    expect(scaled[0]).toBe(Math.fround(pixels[0]! / 255));
    expect(predict(params, pixels)).toEqual(predict(params, scaled));
  });

  it("breaks ties by class index (an all-zero model ranks 0..9 with 0.1 each)", () => {
    const zero = { weight: new Float32Array(10 * NUM_INPUTS), bias: new Float32Array(10) };
    const [only] = predict(zero, new Uint8Array(NUM_INPUTS));
    expect(only!.ranked).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(only!.probabilities[0]).toBeCloseTo(0.1, 6);
  });

  it("refuses a length that is not a whole number of images", () => {
    expect(() => predict(initParams(0), new Uint8Array(NUM_INPUTS + 1))).toThrow(
      /not a whole number of 784-pixel images/,
    );
  });
});
