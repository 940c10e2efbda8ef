import { describe, expect, it } from "vitest";
import { DivergenceError, UsageError } from "../../src/errors.js";
import { WasmBackend } from "../../src/kernels/wasm-backend.js";
import { createParameterSums } from "../../src/model/average.js";
import { ReferenceBackend } from "../../src/model/reference-backend.js";
import { initParams } from "../../src/model/softmax-regression.js";
import { evaluateModel } from "../../src/train/evaluate.js";
import { epochOrder, evaluateAccuracy, type TrainOptions, train, trainEpoch } from "../../src/train/loop.js";
import { learningRate } from "../../src/train/schedule.js";
import type { Backend, StepOptions, StepReport } from "../../src/types.js";
import { syntheticData } from "./synthetic.js";

const data = syntheticData(300, 100);
const base: TrainOptions = {
  epochs: 3,
  batchSize: 64,
  lr: 0.1,
  weightDecay: 0,
  labelSmoothing: 0,
  loss: "cross-entropy",
  seed: 0,
  schedule: "constant",
  average: 0,
};
const step: StepOptions = { lr: 0.1, weightDecay: 0, labelSmoothing: 0, loss: "cross-entropy" };

describe("epochOrder and learningRate", () => {
  it("gives each epoch its own permutation, fixed by (seed, epoch)", () => {
    const a = epochOrder(0, 0, 300);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(epochOrder(0, 0, 300)).toEqual(a);
    expect(epochOrder(0, 1, 300)).not.toEqual(a);
    expect(epochOrder(1, 0, 300)).not.toEqual(a);
  });

  it("constant keeps lr; cosine goes lr, lr/2 at half way, and falls monotonically", () => {
    expect(learningRate("constant", 0.1, 7, 10)).toBe(0.1);
    expect(learningRate("cosine", 0.1, 0, 10)).toBe(0.1);
    expect(learningRate("cosine", 0.1, 5, 10)).toBeCloseTo(0.05, 15);
    const rates = Array.from({ length: 10 }, (_, e) => learningRate("cosine", 0.1, e, 10));
    for (let e = 1; e < 10; e++) expect(rates[e]!).toBeLessThan(rates[e - 1]!);
    expect(rates[9]!).toBeGreaterThan(0);
  });
});

describe("trainEpoch (d2l train_epoch_ch3)", () => {
  it("uses every example once, the last partial batch included, and returns the epoch's means", async () => {
    const backend = new ReferenceBackend();
    const params = initParams(0);
    const reports: StepReport[] = [];
    const order = epochOrder(0, 0, 300);
    const result = await trainEpoch(backend, params, data.train, order, 64, step, { onStep: (r) => reports.push(r) });
    expect(reports.map((r) => r.batchSize)).toEqual([64, 64, 64, 64, 44]);
    expect(reports.map((r) => r.step)).toEqual([1, 2, 3, 4, 5]);
    const lossSum = reports.reduce((a, r) => a + r.lossSum, 0);
    const correct = reports.reduce((a, r) => a + r.correct, 0);
    expect(result.trainLoss).toBeCloseTo(lossSum / 300, 12);
    expect(result.trainAcc).toBe(correct / 300);
    // The first batch is scored before any update: near-uniform predictions, loss ≈ ln 10.
    expect(reports[0]!.lossSum / 64).toBeCloseTo(Math.log(10), 0);
  });

  it("with running sums, trains the same and adds the parameters after every step to the sums", async () => {
    const order = epochOrder(3, 0, 300);
    const whole = initParams(1);
    const averaged = initParams(1);
    const a = await trainEpoch(new ReferenceBackend(), whole, data.train, order, 64, step);
    const reports: number[] = [];
    const sumW = new Float64Array(averaged.weight.length).fill(1); // sums carried over from an earlier epoch
    const sums = { ...createParameterSums(), count: 2 };
    sums.weight.fill(1);
    const b = await trainEpoch(
      new ReferenceBackend(),
      averaged,
      data.train,
      order,
      64,
      step,
      {
        onStep: (r) => {
          reports.push(r.step);
          for (let j = 0; j < sumW.length; j++) sumW[j] = sumW[j]! + averaged.weight[j]!; // the reference reports after its update
        },
      },
      sums,
    );
    expect(averaged.weight).toEqual(whole.weight);
    expect(averaged.bias).toEqual(whole.bias);
    expect(b).toEqual(a);
    expect(reports).toEqual([1, 2, 3, 4, 5]);
    expect(sums.count).toBe(7);
    expect(sums.weight).toEqual(sumW);
  });

  it("a batch size larger than the split is one full-batch step, with buffers sized by the split", async () => {
    const reports: StepReport[] = [];
    const result = await trainEpoch(
      new ReferenceBackend(),
      initParams(0),
      data.train,
      epochOrder(0, 0, 300),
      1e9,
      step,
      { onStep: (r) => reports.push(r) },
    );
    expect(reports.map((r) => [r.step, r.steps, r.batchSize])).toEqual([[1, 1, 300]]);
    expect(result.trainLoss).toBeCloseTo(reports[0]!.lossSum / 300, 12);
  });

  it("stops after the current step when asked (Ctrl-C)", async () => {
    const params = initParams(0);
    let steps = 0;
    const result = await trainEpoch(new ReferenceBackend(), params, data.train, epochOrder(0, 0, 300), 64, step, {
      onStep: () => steps++,
      shouldStop: () => steps >= 2,
    });
    expect(steps).toBe(2);
    expect(result.stopped).toBe(true);
  });

  it("throws DivergenceError naming --lr when the loss becomes NaN or Infinity", async () => {
    // lr·weightDecay = 10 multiplies the weights by about −9 per step: float32 overflows within ~40 steps.
    const exploding = { ...step, lr: 10, weightDecay: 1 };
    let steps = 0;
    const run = trainEpoch(new ReferenceBackend(), initParams(0), data.train, epochOrder(0, 0, 300), 4, exploding, {
      onStep: () => steps++,
    });
    await expect(run).rejects.toThrow(DivergenceError);
    await expect(run).rejects.toMatchObject({ hint: "try a smaller --lr than 10" });
    expect(steps).toBeLessThan(75); // stopped early, not at the end of the epoch
  });
});

describe("train (d2l train_ch3)", () => {
  it("learns the synthetic task: loss falls, accuracy rises, one report per epoch", async () => {
    const params = initParams(0);
    const epochs: number[] = [];
    const result = await train(
      new ReferenceBackend(),
      data,
      params,
      { ...base, epochs: 4 },
      {
        onEpoch: (r) => epochs.push(r.epoch),
      },
    );
    expect(epochs).toEqual([1, 2, 3, 4]);
    const h = result.history;
    expect(h[3]!.trainLoss).toBeLessThan(h[0]!.trainLoss);
    expect(h[3]!.trainAcc).toBeGreaterThan(0.9);
    expect(result.testAccuracy).toBeGreaterThan(0.9);
    expect(result.testAccuracy).toBe(await evaluateAccuracy(new ReferenceBackend(), params, data.test));
    expect(result.epochsDone).toBe(4);
    expect(result.stopped).toBe(false);
  });

  it("is deterministic: same options and seed give identical parameters and metrics", async () => {
    const run = async () => {
      const params = initParams(5);
      const r = await train(new ReferenceBackend(), data, params, {
        ...base,
        seed: 5,
        labelSmoothing: 0.1,
        weightDecay: 1e-3,
      });
      return { params, metrics: r.history.map(({ seconds: _, ...rest }) => rest) };
    };
    const a = await run();
    const b = await run();
    expect(b.params.weight).toEqual(a.params.weight);
    expect(b.params.bias).toEqual(a.params.bias);
    expect(b.metrics).toEqual(a.metrics);
  });

  it("resuming after 2 epochs for 2 more equals training 4 at once, bit for bit", async () => {
    const straight = initParams(0);
    const all = await train(new ReferenceBackend(), data, straight, { ...base, epochs: 4 });
    const resumed = initParams(0);
    await train(new ReferenceBackend(), data, resumed, { ...base, epochs: 2 });
    const rest = await train(new ReferenceBackend(), data, resumed, { ...base, epochs: 2, startEpoch: 2 });
    expect(resumed.weight).toEqual(straight.weight);
    expect(resumed.bias).toEqual(straight.bias);
    expect(rest.history.map((r) => [r.epoch, r.epochs])).toEqual([
      [3, 4],
      [4, 4],
    ]);
    expect(rest.history[1]!.testAcc).toBe(all.history[3]!.testAcc);
    expect(rest.epochsDone).toBe(4);
  });

  it("tail averaging returns the mean of the parameters after every step of the last epochs", async () => {
    const params = initParams(0);
    const result = await train(new ReferenceBackend(), data, params, { ...base, epochs: 2, average: 1 });
    // The same by hand: one plain epoch, then one epoch step by step, averaging the snapshots.
    const manual = initParams(0);
    const backend = new ReferenceBackend();
    await trainEpoch(backend, manual, data.train, epochOrder(0, 0, 300), 64, step);
    const sumW = new Float64Array(manual.weight.length);
    const sumB = new Float64Array(manual.bias.length);
    let n = 0;
    // The reference backend reports each step after applying its update.
    await trainEpoch(backend, manual, data.train, epochOrder(0, 1, 300), 64, step, {
      onStep: () => {
        for (let j = 0; j < sumW.length; j++) sumW[j] = sumW[j]! + manual.weight[j]!;
        for (let j = 0; j < sumB.length; j++) sumB[j] = sumB[j]! + manual.bias[j]!;
        n++;
      },
    });
    expect(n).toBe(5);
    expect(result.averaged).toBe(true);
    expect(params.weight).toEqual(Float32Array.from(sumW, (s) => s / n));
    expect(params.bias).toEqual(Float32Array.from(sumB, (s) => s / n));
    expect(Array.from(params.weight)).not.toEqual(Array.from(manual.weight)); // not the last iterate
    expect(result.history.map((r) => r.averaged)).toEqual([false, true]);
    expect(result.testAccuracy).toBe(await evaluateAccuracy(backend, params, data.test));
    expect(result.history[1]!.testAcc).toBe(result.testAccuracy);
  });

  it("tests every epoch, the last one included, with the training backend, not the reference", async () => {
    const reference = new ReferenceBackend();
    const miscounting: Backend = {
      name: "miscounting",
      kernel: "plain",
      trainEpoch: (...args) => reference.trainEpoch(...args),
      countCorrect: async () => 0,
      predictLabels: async (_params, set) => new Uint8Array(set.count).fill(255),
      close: async () => {},
    };
    const r = await train(miscounting, data, initParams(0), { ...base, epochs: 2 });
    expect(r.history.map((e) => e.testAcc)).toEqual([0, 0]);
    expect(r.testAccuracy).toBe(0);
  });

  it.each([
    ["reference", async (): Promise<Backend> => new ReferenceBackend()],
    ["wasm, 2 threads", (): Promise<Backend> => WasmBackend.create({ threads: 2 })],
  ])("%s: the final test accuracy is what evaluateModel reports with the same backend", async (_name, make) => {
    const backend = await make();
    try {
      for (const average of [0, 1]) {
        const params = initParams(0);
        const r = await train(backend, data, params, { ...base, epochs: 2, average });
        const evaluation = await evaluateModel(backend, params, data.test);
        expect(r.testAccuracy).toBeGreaterThan(0.5);
        expect(evaluation.accuracy).toBe(r.testAccuracy);
        expect(r.history[1]!.testAcc).toBe(r.testAccuracy);
        expect(evaluation.correct).toBe(await backend.countCorrect(params, data.test));
      }
    } finally {
      await backend.close();
    }
  });

  it("on divergence names the epoch and the base --lr, not the scheduled rate", async () => {
    const run = train(new ReferenceBackend(), data, initParams(0), {
      ...base,
      epochs: 3,
      batchSize: 4,
      lr: 10,
      weightDecay: 1,
      schedule: "cosine",
    });
    await expect(run).rejects.toThrow(
      /^training diverged in epoch 1: the loss became (NaN|-?Infinity) at step \d+ of 75$/,
    );
    await expect(run).rejects.toMatchObject({ hint: "try a smaller --lr than 10" });
  });

  it("refuses epoch counts that are not exact integers (past 2^53 the loop would never end)", async () => {
    const run = (epochs: number, startEpoch: number) =>
      train(new ReferenceBackend(), data, initParams(0), { ...base, epochs, startEpoch });
    await expect(run(10, 2 ** 53 - 1)).rejects.toThrow(/epochs is 10 after 9007199254740991 already trained/);
    await expect(run(1.5, 0)).rejects.toThrow(UsageError);
    await expect(run(-1, 0)).rejects.toThrow(UsageError);
  });

  it("with a cosine schedule, reports the per-epoch rates", async () => {
    const r = await train(new ReferenceBackend(), data, initParams(0), { ...base, epochs: 4, schedule: "cosine" });
    expect(r.history.map((e) => e.lr)).toEqual([0, 1, 2, 3].map((e) => learningRate("cosine", 0.1, e, 4)));
  });

  it("--loss mse trains too, and more slowly than cross-entropy at the same rate", async () => {
    const ce = await train(new ReferenceBackend(), data, initParams(0), { ...base, epochs: 2 });
    const mse = await train(new ReferenceBackend(), data, initParams(0), { ...base, epochs: 2, loss: "mse" });
    expect(mse.history[1]!.trainLoss).toBeLessThan(mse.history[0]!.trainLoss);
    expect(mse.history[1]!.trainAcc).toBeLessThan(ce.history[1]!.trainAcc);
  });

  it("stops after the current step on request, counting only complete epochs", async () => {
    let steps = 0;
    const params = initParams(0);
    const r = await train(new ReferenceBackend(), data, params, base, {
      onStep: () => steps++,
      shouldStop: () => steps >= 7, // epoch 2, step 2
    });
    expect(steps).toBe(7);
    expect(r.stopped).toBe(true);
    expect(r.epochsDone).toBe(1);
    expect(r.history.map((e) => e.complete)).toEqual([true, false]);
  });
});
