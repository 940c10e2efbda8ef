// `softmax predict`: d2l §3.6 predict_ch3 from the command line. Classifies dataset images (the first
// --n of --split from --offset) or the user's own PNG files, prints TSV or NDJSON, and with --out draws
// the grid. Flag parsing and formatting only: the forward pass is the model's, reading and preparing
// images is src/image-input/, drawing is src/pictures/.
import type { Command } from "commander";
import {
  type Prediction as ClassRanking,
  ImageError,
  inputPicture,
  itemPicture,
  loadModel,
  type ModelInput,
  NUM_INPUTS,
  type Params,
  type PredictionCell,
  predict,
  predictionItem,
  readImageFile,
  readImageInput,
  renderPredictions,
  type SplitName,
  UsageError,
} from "../index.js";
import { ExitCode } from "./exit-code.js";
import { datasetOfModel, loadSplitForCommand } from "./load-data.js";
import {
  addDataOptions,
  addModelOption,
  addQuietOption,
  type DataOptions,
  integerAtLeast,
  splitOption,
} from "./options.js";
import { Output } from "./output.js";
import {
  addGridOptions,
  checkDatasetRange,
  checkGridSize,
  classNamesOf,
  givenOnCommandLine,
  picturePath,
  writePicture,
  writesToStdout,
} from "./pictures.js";

interface PredictOptions extends DataOptions {
  model: string;
  n: number;
  offset: number;
  split: SplitName;
  out?: string;
  cols?: number;
  scale: number;
  invert?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** One classified example, whichever way it came in: the library's ranking and what to show. */
interface Prediction extends ClassRanking {
  /** Dataset index, or the file name of a user's image. */
  readonly index: number | string;
  /** True class, or null for a user's image. */
  readonly trueClass: number | null;
  /** A dataset image's pixels (784), 0..255. */
  readonly pixels?: Uint8Array;
  /** A user's image as the model saw it (784), in [0,1]. */
  readonly input?: Float32Array;
  readonly inverted?: boolean;
}

export function registerPredict(program: Command): void {
  const command = program
    .command("predict")
    .description("Classify test images, or your own PNG files, with a trained model (d2l predict_ch3).")
    .argument("[images...]", "PNG files to classify instead of the dataset; - reads one PNG from stdin");
  addModelOption(command)
    .option("-n, --n <count>", "how many dataset images", integerAtLeast(1), 6)
    .option("--offset <index>", "index of the first dataset image", integerAtLeast(0), 0)
    .addOption(splitOption("test"))
    .option(
      "-o, --out <file.png>",
      "also draw the images titled true over predicted class (wrong ones in red)",
      picturePath,
    )
    .option("--invert", "own images: always invert (for dark items on a light background)")
    .option("--no-invert", "own images: never invert (default: invert when the border is lighter than the centre)")
    .option("--json", "print NDJSON `prediction` events (with the top 3 classes) instead of TSV");
  addQuietOption(command);
  addGridOptions(command);
  addDataOptions(command);
  command.addHelpText(
    "after",
    `
Output: TSV with the header index<TAB>true<TAB>pred<TAB>confidence (class names,
confidence to 3 decimals; for own images index is the path as given and true is
empty), or NDJSON with --json. With --out the PNG is written before the table
and reported after it: "wrote FILE" on stderr, or a "file" event on stdout with
--json. With -o - stdout carries the PNG alone and the table goes to stderr.
--offset + --n must stay within the split (test: 10000 images, train:
60000). Own images are read one at a time: a file that cannot be read is one
error line on stderr, the others are still classified, and the exit status is 1.

Examples:
  softmax predict                      # the first 6 test images as TSV
  softmax predict -n 10 -o predictions.png   # and draw them
  softmax predict -n 10000 | tail -n +2 | cut -f3 | sort | uniq -c
  softmax predict --json -n 3 | jq -c '.top3'
  softmax predict shirt.png boot.png   # your own PNGs (any size or colour type)
  convert photo.jpg png:- | softmax predict -   # one PNG from stdin`,
  );
  command.action(async (images: string[], options: PredictOptions, self: Command) => {
    await runPredict(images, options, self);
  });
}

async function runPredict(images: readonly string[], options: PredictOptions, command: Command): Promise<void> {
  const output = new Output({
    json: options.json === true,
    quiet: options.quiet === true,
    pictureOnStdout: writesToStdout(options.out),
  });
  if (images.length > 0) {
    for (const flag of ["n", "offset", "split"] as const) {
      if (givenOnCommandLine(command, flag)) {
        throw new UsageError(`--${flag} selects dataset images; it cannot be used with image files`, {
          hint: "drop it, or drop the file names",
        });
      }
    }
    if (images.filter((name) => name === "-").length > 1) {
      throw new UsageError("- (stdin) can be given only once", { hint: "stdin holds one PNG" });
    }
    if (images.includes("-") && process.stdin.isTTY === true) {
      throw new UsageError("- reads a PNG from stdin, but stdin is a terminal", {
        hint: "pipe or redirect a PNG into it: softmax predict - < image.png",
      });
    }
  }

  const { params, metadata } = await loadModel(options.model);
  const classes = classNamesOf(metadata);
  // Dataset images come from the dataset the model was trained on.
  options.dataset = datasetOfModel(options, metadata, options.model);

  // Own images are read one at a time: a bad file is reported and the others are still classified.
  const { predictions, failed } =
    images.length > 0
      ? await predictFiles(images, options, params, output)
      : { predictions: await predictDataset(options, params, output), failed: 0 };
  if (failed > 0) process.exitCode = ExitCode.Failure;
  if (predictions.length === 0) return;

  let announce: (() => void) | undefined;
  if (options.out !== undefined) {
    const cells = predictions.map((p) => predictionCell(p, classes));
    const gridOptions = { columns: options.cols, scale: options.scale };
    checkGridSize(cells.map(predictionItem), gridOptions);
    // The picture is written before the table is printed, so it exists even if the reader of stdout stops early.
    announce = await writePicture(options.out, renderPredictions(cells, gridOptions), "predictions", output, (path) =>
      output.notice(`wrote ${path}`),
    );
  }
  printPredictions(predictions, classes, output);
  announce?.();
}

async function predictDataset(options: PredictOptions, params: Params, output: Output): Promise<Prediction[]> {
  const data = await loadSplitForCommand(options, options.split, output);
  const set = data.set;
  checkDatasetRange(options.offset, options.n, options.split, set.count);
  const pixels = set.images.subarray(options.offset * NUM_INPUTS, (options.offset + options.n) * NUM_INPUTS);
  return predict(params, pixels).map((prediction, i) => ({
    ...prediction,
    index: options.offset + i,
    trueClass: set.labels[options.offset + i]!,
    pixels: pixels.subarray(i * NUM_INPUTS, (i + 1) * NUM_INPUTS),
  }));
}

/**
 * Classifies the readable images of `names`; each one that cannot be read or decoded is one error
 * line on stderr (as the CLI reports any error) and is left out. `failed` counts those.
 */
async function predictFiles(
  names: readonly string[],
  options: PredictOptions,
  params: Params,
  output: Output,
): Promise<{ predictions: Prediction[]; failed: number }> {
  const inputs: (ModelInput & { name: string })[] = [];
  let failed = 0;
  for (const name of names) {
    try {
      const bytes = await readImageFile(name);
      inputs.push({ name, ...readImageInput(bytes, name === "-" ? "stdin" : name, { invert: options.invert }) });
    } catch (error) {
      if (!(error instanceof ImageError)) throw error;
      output.error(error);
      failed++;
    }
  }
  if (inputs.length === 0) return { predictions: [], failed };
  const X = new Float32Array(inputs.length * NUM_INPUTS); // (n, 784) in [0,1]
  inputs.forEach((input, i) => {
    X.set(input.pixels, i * NUM_INPUTS);
  });
  const predictions = predict(params, X).map((prediction, i) => ({
    ...prediction,
    index: inputs[i]!.name,
    trueClass: null,
    input: inputs[i]!.pixels,
    inverted: inputs[i]!.inverted,
  }));
  return { predictions, failed };
}

function predictionCell(prediction: Prediction, classes: readonly string[]): PredictionCell {
  const best = prediction.ranked[0]!;
  const picture = prediction.pixels ? itemPicture(prediction.pixels) : inputPicture(prediction.input!);
  const cell = { picture, predictedClass: classes[best]!, confidence: prediction.probabilities[best]! };
  return prediction.trueClass === null
    ? { ...cell, label: String(prediction.index) }
    : { ...cell, trueClass: classes[prediction.trueClass]! };
}

/** TSV cells must not contain tabs or newlines. */
function tsvField(text: string): string {
  return text.replace(/[\t\r\n]/g, " ");
}

function rounded(value: number): number {
  return Number(value.toFixed(6));
}

function printPredictions(predictions: readonly Prediction[], classes: readonly string[], output: Output): void {
  if (!output.json) {
    const lines = ["index\ttrue\tpred\tconfidence"];
    for (const p of predictions) {
      const best = p.ranked[0]!;
      const truth = p.trueClass === null ? "" : classes[p.trueClass]!;
      lines.push(`${tsvField(String(p.index))}\t${truth}\t${classes[best]}\t${p.probabilities[best]!.toFixed(3)}`);
    }
    output.write(`${lines.join("\n")}\n`);
    return;
  }
  for (const p of predictions) {
    const order = p.ranked;
    const best = order[0]!;
    output.event("prediction", {
      index: p.index,
      true: p.trueClass === null ? null : classes[p.trueClass],
      pred: classes[best],
      confidence: rounded(p.probabilities[best]!),
      correct: p.trueClass === null ? null : p.trueClass === best,
      top3: order.slice(0, 3).map((c) => ({ class: classes[c], probability: rounded(p.probabilities[c]!) })),
      ...(p.inverted === undefined ? {} : { inverted: p.inverted }),
    });
  }
}
