// `softmax evaluate`: loads a saved model and the test split, and prints the test accuracy, the
// accuracy of each class, the confusion matrix and the most confused pairs (or one NDJSON
// `evaluation` object with --json). Formatting only; the numbers come from train/evaluate.ts.
import type { Command } from "commander";
import { createBackend } from "../backend.js";
import { loadModel, renderConfusionHeatmap } from "../index.js";
import { type Evaluation, evaluateModel } from "../train/evaluate.js";
import { NUM_CLASSES } from "../types.js";
import { loadDataForCommand } from "./load-data.js";
import { addBackendOptions, addDataOptions, type BackendFlags, type DataOptions } from "./options.js";
import { Output } from "./output.js";
import { writePicture } from "./pictures.js";

interface EvaluateFlags extends DataOptions, BackendFlags {
  model: string;
  json?: boolean;
  confusion?: string;
}

export function registerEvaluate(program: Command): void {
  const command = program
    .command("evaluate")
    .description("Evaluate a saved model on the Fashion-MNIST test set: accuracy, per class, confusion matrix.")
    .option("--model <file>", "model file saved by `softmax train`", "model.safetensors")
    .option("--json", "print one NDJSON `evaluation` object instead of tables")
    .option("--confusion <file>", "also draw the confusion matrix as a heatmap PNG (counts in the cells)");
  addBackendOptions(command, "what computes the predictions (the same as train's gives the same accuracy)");
  addDataOptions(command);
  command.addHelpText(
    "after",
    `
Examples:
  softmax evaluate                              evaluate model.safetensors
  softmax evaluate --model best.safetensors --json | jq .test_accuracy
  softmax evaluate --confusion confusion.png

The confusion matrix has one row per true class and one column per predicted class.`,
  );
  command.action(async (flags: EvaluateFlags) => {
    const output = new Output({ json: flags.json });
    const { params } = await loadModel(flags.model);
    const data = await loadDataForCommand(flags, output);
    const backend = await createBackend(flags.backend, { threads: flags.threads });
    const evaluation = await evaluateModel(backend, params, data.test).finally(() => backend.close());
    const reportPicture =
      flags.confusion === undefined
        ? () => {}
        : await writePicture(
            flags.confusion,
            renderConfusionHeatmap(evaluation.confusion, data.classes),
            "confusion",
            output,
            (path) => output.info(`wrote ${path}`),
          );
    if (output.json) {
      output.event("evaluation", evaluationJson(flags.model, evaluation, data.classes));
    } else {
      output.write(formatEvaluation(evaluation, data.classes));
    }
    reportPicture();
  });
}

export function evaluationJson(model: string, e: Evaluation, classes: readonly string[]): Record<string, unknown> {
  const name = (c: number) => classes[c] ?? String(c);
  return {
    model,
    test_accuracy: e.accuracy,
    correct: e.correct,
    count: e.count,
    classes,
    per_class_accuracy: Object.fromEntries(e.perClassAccuracy.map((a, c) => [name(c), Number.isNaN(a) ? null : a])),
    confusion: Array.from({ length: NUM_CLASSES }, (_, t) =>
      Array.from(e.confusion.subarray(t * NUM_CLASSES, (t + 1) * NUM_CLASSES)),
    ),
    most_confused: e.mostConfused.map((p) => ({ true: name(p.actual), predicted: name(p.predicted), count: p.count })),
  };
}

/** The human report: accuracy, per-class accuracy, aligned confusion table, most confused pairs. */
export function formatEvaluation(e: Evaluation, classes: readonly string[]): string {
  const name = (c: number) => classes[c] ?? String(c);
  const lines: string[] = [];
  lines.push(`test accuracy ${e.accuracy.toFixed(4)}  (${e.correct}/${e.count})`, "");
  const nameWidth = Math.max(...Array.from({ length: NUM_CLASSES }, (_, c) => name(c).length));
  lines.push("per-class accuracy");
  for (let c = 0; c < NUM_CLASSES; c++) {
    const a = e.perClassAccuracy[c]!;
    lines.push(`  ${name(c).padEnd(nameWidth)}  ${Number.isNaN(a) ? "  -  " : a.toFixed(3)}`);
  }
  lines.push("", "confusion matrix (rows: true class, columns: predicted class)");
  const cellWidth = Math.max(
    ...Array.from({ length: NUM_CLASSES }, (_, c) => name(c).length),
    ...Array.from(e.confusion, (n) => String(n).length),
  );
  lines.push(
    `  ${"".padEnd(nameWidth)}${Array.from({ length: NUM_CLASSES }, (_, c) => `  ${name(c).padStart(cellWidth)}`).join("")}`,
  );
  for (let t = 0; t < NUM_CLASSES; t++) {
    const cells = Array.from(
      { length: NUM_CLASSES },
      (_, p) => `  ${String(e.confusion[t * NUM_CLASSES + p]).padStart(cellWidth)}`,
    );
    lines.push(`  ${name(t).padEnd(nameWidth)}${cells.join("")}`);
  }
  lines.push("", "most confused (true -> predicted)");
  if (e.mostConfused.length === 0) lines.push("  none");
  for (const p of e.mostConfused) {
    lines.push(`  ${`${name(p.actual)} -> ${name(p.predicted)}`.padEnd(2 * nameWidth + 4)}  ${p.count}`);
  }
  return `${lines.join("\n")}\n`;
}
