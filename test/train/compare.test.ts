// The comparison library: the grid of runs and their labels, running them (each run as train()
// runs it alone), a diverging run, Ctrl-C, and the choice of the best run. Synthetic data.
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { ReferenceBackend } from "../../src/model/reference-backend.js";
import { initParams } from "../../src/model/softmax-regression.js";
import { bestRun, compare, comparisonRuns, MAX_RUNS, type RunOutcome } from "../../src/train/compare.js";
import { DEFAULT_HYPERPARAMETERS } from "../../src/train/hyperparameters.js";
import { train } from "../../src/train/loop.js";
import { syntheticData } from "./synthetic.js";

const data = syntheticData(300, 100);

describe("comparisonRuns", () => {
  it("is the cross product, the table's first hyperparameter outermost, labelled by what varies", () => {
    const runs = comparisonRuns({ loss: ["cross-entropy", "mse"], lr: [0.1, 0.3], seed: [7] });
    expect(runs.map((run) => run.label)).toEqual([
      "lr=0.1 loss=cross-entropy",
      "lr=0.1 loss=mse",
      "lr=0.3 loss=cross-entropy",
      "lr=0.3 loss=mse",
    ]);
    expect(runs[3]!.settings).toEqual({ lr: 0.3, loss: "mse" });
    // A single value applies to every run without entering the label; the rest are defaults.
    expect(runs[3]!.hyperparameters).toEqual({ ...DEFAULT_HYPERPARAMETERS, lr: 0.3, loss: "mse", seed: 7 });
  });

  it("labels a single run by what was given, or by its loss", () => {
    expect(comparisonRuns({ lr: [0.3] }).map((run) => run.label)).toEqual(["lr=0.3"]);
    expect(comparisonRuns({}).map((run) => run.label)).toEqual(["loss=cross-entropy"]);
  });

  it("applies the fixed settings (the validation split) to every run, outside the labels", () => {
    const runs = comparisonRuns({ lr: [0.03, 0.1] }, { validation: 50 });
    expect(runs.map((run) => [run.label, run.hyperparameters.validation])).toEqual([
      ["lr=0.03", 50],
      ["lr=0.1", 50],
    ]);
  });

  it(`allows ${MAX_RUNS} runs and refuses more, naming the flags`, () => {
    const eight = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(comparisonRuns({ seed: eight, batchSize: eight })).toHaveLength(64);
    expect(() => comparisonRuns({ seed: [...eight, 9], batchSize: eight })).toThrow(UsageError);
    expect(() => comparisonRuns({ seed: [...eight, 9], batchSize: eight })).toThrow(
      "8 --batch-size × 9 --seed make 72 runs, more than 64",
    );
  });

  it("refuses an empty list, a value listed twice, and a value out of range", () => {
    expect(() => comparisonRuns({ lr: [] })).toThrow("--lr lists no value");
    expect(() => comparisonRuns({ lr: [0.1, 0.1] })).toThrow("--lr lists 0.1 twice");
    expect(() => comparisonRuns({ lr: [0.1, -1] })).toThrow(UsageError);
  });
});

describe("compare", () => {
  it("gives each run exactly what train() gives it alone, from the same initial weights", async () => {
    const backend = new ReferenceBackend();
    const runs = comparisonRuns({ lr: [0.05, 0.2], batchSize: [64], average: [0] });
    const comparison = await compare(backend, data, runs, 2);
    expect(comparison.outcomes).toHaveLength(2);
    for (const [i, run] of runs.entries()) {
      const params = initParams(run.hyperparameters.seed);
      const alone = await train(backend, data, params, { ...run.hyperparameters, epochs: 2 });
      const outcome = comparison.outcomes[i]!;
      expect(outcome.history.map(({ seconds: _, ...figures }) => figures)).toEqual(
        alone.history.map(({ seconds: _, ...figures }) => figures),
      );
      expect(outcome.result?.testAccuracy).toBe(alone.testAccuracy);
      expect(outcome.params).toEqual(params);
    }
    expect(comparison.chosenBy).toBe("test");
    const [slow, fast] = comparison.outcomes;
    expect(comparison.best).toBe(fast!.result!.testAccuracy >= slow!.result!.testAccuracy ? fast : slow);
  });

  it("with a validation split, chooses by validation accuracy and reports it every epoch", async () => {
    const runs = comparisonRuns({ lr: [0.01, 0.3], batchSize: [32] }, { validation: 60 });
    const comparison = await compare(new ReferenceBackend(), data, runs, 2);
    expect(comparison.chosenBy).toBe("validation");
    for (const outcome of comparison.outcomes)
      for (const report of outcome.history) {
        expect(report.valAcc).toBeGreaterThanOrEqual(0);
        expect(report.testAcc).toBeUndefined();
      }
    const valAccs = comparison.outcomes.map((outcome) => outcome.history.at(-1)!.valAcc!);
    expect(comparison.best).toBe(comparison.outcomes[valAccs[1]! > valAccs[0]! ? 1 : 0]);
  });

  it("reports a run that diverges and goes on with the next", async () => {
    // lr 10 with weight decay 1 multiplies W by −9 every step: the loss overflows within the epoch.
    const runs = comparisonRuns({ lr: [10, 0.1], batchSize: [4], weightDecay: [1] });
    const ended: string[] = [];
    const comparison = await compare(new ReferenceBackend(), data, runs, 1, {
      onRunEnd: (outcome) => {
        ended.push(outcome.run.label);
      },
    });
    expect(ended).toEqual(["lr=10", "lr=0.1"]);
    expect(comparison.outcomes[0]!.diverged?.message).toMatch(/diverged in epoch 1/);
    expect(comparison.outcomes[0]!.result).toBeUndefined();
    expect(comparison.best).toBe(comparison.outcomes[1]);
  });

  it("stops after the current step when asked, and starts no further run", async () => {
    let steps = 0;
    const runs = comparisonRuns({ lr: [0.1, 0.2], batchSize: [64] });
    const comparison = await compare(new ReferenceBackend(), data, runs, 3, {
      onStep: () => {
        steps++;
      },
      shouldStop: () => steps >= 2,
    });
    expect(comparison.stopped).toBe(true);
    expect(comparison.outcomes).toHaveLength(1);
    expect(steps).toBe(2);
  });
});

describe("bestRun", () => {
  const outcome = (label: string, valAcc: number | undefined, testAcc: number): RunOutcome =>
    ({
      run: { label },
      history: [{ trainLoss: 1, trainAcc: 0.5, valAcc }],
      result: { testAccuracy: testAcc },
    }) as unknown as RunOutcome;

  it("picks the highest validation accuracy, or test accuracy without a split; the first of equals", () => {
    const runs = [outcome("a", 0.8, 0.9), outcome("b", 0.85, 0.7), outcome("c", 0.85, 0.95)];
    expect(bestRun(runs, "validation")?.run.label).toBe("b");
    expect(bestRun(runs, "test")?.run.label).toBe("c");
    expect(bestRun([], "test")).toBeNull();
  });
});
