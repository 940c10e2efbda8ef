#!/usr/bin/env node
// Renders training curves and a confusion heatmap from the NDJSON that `softmax train --json` and
// `softmax evaluate --json` print, with the library's renderers (src/io/plot.ts, src/io/heatmap.ts).
// Used to make the pictures in docs/; `train --plot` and `evaluate --confusion` draw the same ones.
//
//   softmax train --epochs 10 --json > train.ndjson
//   softmax evaluate --json > evaluate.json
//   node scripts/pictures-from-json.mjs train.ndjson evaluate.json docs/curves.png docs/confusion.png
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../dist/io/atomic.js";
import { renderConfusionHeatmap } from "../dist/io/heatmap.js";
import { renderTrainingCurves } from "../dist/io/plot.js";

const [trainFile, evaluateFile, curvesOut, confusionOut] = process.argv.slice(2);
if (!trainFile || !evaluateFile || !curvesOut || !confusionOut) {
  process.stderr.write("usage: pictures-from-json.mjs TRAIN.ndjson EVALUATE.json CURVES.png CONFUSION.png\n");
  process.exit(2);
}

const events = (file) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));

const epochs = events(trainFile).filter((event) => event.event === "epoch");
const history = epochs.map((event) => ({
  epoch: event.epoch,
  trainLoss: event.train_loss,
  trainAcc: event.train_acc,
  testAcc: event.test_acc,
}));
await writeFileAtomic(curvesOut, renderTrainingCurves(history, { epochs: epochs.at(-1)?.epochs }));

const evaluation = events(evaluateFile).find((event) => event.event === "evaluation");
await writeFileAtomic(confusionOut, renderConfusionHeatmap(evaluation.confusion, evaluation.classes));
process.stdout.write(`${curvesOut}\n${confusionOut}\n`);
