// `softmax evaluate`: loads a saved model and the test split, and prints the test accuracy, the
// accuracy of each class, the confusion matrix and the most confused pairs (or one NDJSON
// `evaluation` object with --json). Formatting only; the numbers come from train/evaluate.ts.
import type { Command } from "commander";
import {
  type DatasetSplit,
  type Evaluation,
  evaluateModel,
  loadModel,
  NUM_CLASSES,
  renderConfusionHeatmap,
  UsageError,
} from "../index.js";
import { datasetOfModel, loadSplitForCommand } from "./load-data.js";
import {
  addBackendOptions,
  addDataOptions,
  addModelOption,
  addQuietOption,
  type BackendFlags,
  backendFor,
  type CliContext,
  type DataOptions,
} from "./options.js";
import { Output } from "./output.js";
import { picturePath, writePicture, writesToStdout } from "./pictures.js";

interface EvaluateFlags extends DataOptions, BackendFlags {
  model: string;
  json?: boolean;
  quiet?: boolean;
  confusion?: string;
}

export function registerEvaluate(program: Command, context: CliContext = {}): void {
  const command = program
    .command("evaluate")
    .description("Evaluate a saved model on the Fashion-MNIST test set: accuracy, per class, confusion matrix.")
    .argument("[model]", "model file, as people type it (the same as --model)");
  addModelOption(command)
    .option("--json", "print one NDJSON `evaluation` object instead of tables")
    .option("--confusion <file>", "also draw the confusion matrix as a heatmap PNG (counts in the cells)", picturePath);
  addQuietOption(command);
  addBackendOptions(command, "what computes the predictions (the same as train's gives the same accuracy)");
  addDataOptions(command);
  command.addHelpText(
    "after",
    `
Examples:
  softmax evaluate                     # evaluate model.safetensors
  softmax evaluate best.safetensors --json | jq .test_accuracy
  softmax evaluate --confusion confusion.png

The confusion matrix has one row per true class and one column per predicted
class; the columns are headed by the class numbers of the per-class list.`,
  );
  command.action(async (model: string | undefined, flags: EvaluateFlags, self: Command) => {
    if (model !== undefined && self.getOptionValueSource("model") === "cli" && model !== flags.model) {
      throw new UsageError(`two models given: ${model} and --model ${flags.model}`, { hint: "give one" });
    }
    const modelPath = model ?? flags.model;
    const output = new Output({
      json: flags.json,
      quiet: flags.quiet,
      pictureOnStdout: writesToStdout(flags.confusion),
    });
    const { params, metadata } = await loadModel(modelPath);
    // The backend first: the data is read into its memory (Backend.allocate) while its worker starts.
    const backend = await backendFor(flags, context);
    let data: DatasetSplit;
    let evaluation: Evaluation;
    try {
      data = await loadSplitForCommand(
        { ...flags, dataset: datasetOfModel(flags, metadata, modelPath) },
        "test",
        output,
        backend,
      );
      evaluation = await evaluateModel(backend, params, data.set);
    } finally {
      await backend.close();
    }
    const reportPicture =
      flags.confusion === undefined
        ? () => {}
        : await writePicture(
            flags.confusion,
            renderConfusionHeatmap(evaluation.confusion, data.classes),
            "confusion",
            output,
            (path) => output.notice(`wrote ${path}`),
          );
    if (output.json) {
      output.event("evaluation", evaluationJson(modelPath, evaluation, data.classes));
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

/** The widest line of the report: an 80-column terminal shows it without wrapping. */
export const REPORT_WIDTH = 80;

/**
 * The human report: accuracy, per-class accuracy, the confusion table, the most confused pairs.
 * Classes are numbered in the per-class list and the table's rows, and the table's columns are
 * headed by those numbers, so ten counts fit in 80 columns (full names as headers took 143).
 */
export function formatEvaluation(e: Evaluation, classes: readonly string[]): string {
  const name = (c: number) => classes[c] ?? String(c);
  const numberWidth = String(NUM_CLASSES - 1).length;
  const cellWidth = Math.max(3, ...Array.from(e.confusion, (n) => String(n).length));
  // "  7 Sneaker" then ten cells of "  1234"; names too long for the width are cut with an ellipsis.
  const labelRoom = REPORT_WIDTH - 2 - NUM_CLASSES * (cellWidth + 2) - numberWidth - 1;
  const names = Array.from({ length: NUM_CLASSES }, (_, c) => shortened(name(c), Math.max(1, labelRoom)));
  const nameWidth = Math.max(...names.map((n) => n.length));
  const label = (c: number) => `${String(c).padStart(numberWidth)} ${names[c]!.padEnd(nameWidth)}`;
  const lines: string[] = [];
  lines.push(`test accuracy ${e.accuracy.toFixed(4)}  (${e.correct}/${e.count})`, "");
  lines.push("per-class accuracy");
  for (let c = 0; c < NUM_CLASSES; c++) {
    const a = e.perClassAccuracy[c]!;
    lines.push(`  ${label(c)}  ${Number.isNaN(a) ? "  -  " : a.toFixed(3)}`);
  }
  lines.push("", "confusion matrix (rows: true class; columns: predicted class, by number)");
  const cells = (value: (p: number) => string) =>
    Array.from({ length: NUM_CLASSES }, (_, p) => `  ${value(p).padStart(cellWidth)}`).join("");
  lines.push(`  ${"".padEnd(label(0).length)}${cells(String)}`);
  for (let t = 0; t < NUM_CLASSES; t++) {
    lines.push(`  ${label(t)}${cells((p) => String(e.confusion[t * NUM_CLASSES + p]))}`);
  }
  lines.push("", "most confused (true -> predicted)");
  if (e.mostConfused.length === 0) lines.push("  none");
  const pairs = e.mostConfused.map((p) => `${name(p.actual)} -> ${name(p.predicted)}`);
  const pairWidth = Math.max(0, ...pairs.map((pair) => pair.length));
  e.mostConfused.forEach((p, i) => {
    lines.push(`  ${pairs[i]!.padEnd(pairWidth)}  ${p.count}`);
  });
  return `${lines.join("\n")}\n`;
}

/** `text` cut to `width` characters, the last one an ellipsis when it was cut. */
function shortened(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}
