// `softmax show`: d2l §3.5 show_images as a PNG (the first --n images of a split, titled by class),
// or with --weights the ten rows of a trained W drawn as 28×28 templates. Flag parsing and file
// writing only; drawing lives in src/pictures/.
import type { Command } from "commander";
import {
  itemPicture,
  loadModel,
  NUM_INPUTS,
  renderWeightTemplates,
  type SplitName,
  showImages,
  UsageError,
} from "../index.js";
import { datasetOfModel, loadSplitForCommand } from "./load-data.js";
import { addDataOptions, addQuietOption, type DataOptions, integerAtLeast, splitOption } from "./options.js";
import { Output } from "./output.js";
import {
  addGridOptions,
  checkDatasetRange,
  checkGridSize,
  classNamesOf,
  givenOnCommandLine,
  picturePath,
  writePicture,
} from "./pictures.js";

interface ShowOptions extends DataOptions {
  n: number;
  offset: number;
  split: SplitName;
  out?: string;
  weights?: string;
  cols?: number;
  scale: number;
  json?: boolean;
  quiet?: boolean;
}

export function registerShow(program: Command): void {
  const command = program
    .command("show")
    .description("Draw dataset images with their class names (d2l show_images), or a model's weight templates.")
    .option("-n, --n <count>", "how many images", integerAtLeast(1), 18)
    .option("--offset <index>", "index of the first image", integerAtLeast(0), 0)
    .addOption(splitOption("train"))
    .option("-o, --out <file.png>", "PNG to write (default: samples.png, or weights.png with --weights)", picturePath)
    .option("--weights <model>", "draw the ten rows of the model's W as 28×28 templates (red +, blue −)")
    .option("--json", "report the file written as an NDJSON `file` event");
  addQuietOption(command);
  addGridOptions(command);
  addDataOptions(command);
  command.addHelpText(
    "after",
    `
Reports the PNG written as "wrote FILE" on stderr (with --json, a "file" event
with its size on stdout). --offset + --n must stay within the split (train:
60000 images, test: 10000).

Examples:
  softmax show                         # 18 training images -> samples.png
  softmax show -n 10 --split test --scale 4 -o test.png
  softmax show --weights model.safetensors   # what each row of W looks for`,
  );
  command.action(async (options: ShowOptions, self: Command) => {
    await runShow(options, self);
  });
}

async function runShow(options: ShowOptions, command: Command): Promise<void> {
  const output = new Output({ json: options.json === true, quiet: options.quiet === true });
  const gridOptions = { columns: options.cols, scale: options.scale };
  const report = (path: string) => output.notice(`wrote ${path}`);

  if (options.weights !== undefined) {
    for (const flag of ["n", "offset", "split"] as const) {
      if (givenOnCommandLine(command, flag)) {
        throw new UsageError(`--${flag} selects dataset images; it cannot be used with --weights`, {
          hint: "drop it, or drop --weights",
        });
      }
    }
    const { params, metadata } = await loadModel(options.weights);
    datasetOfModel(options, metadata, options.weights); // an explicit --dataset must agree with the model
    const png = renderWeightTemplates(params.weight, classNamesOf(metadata), gridOptions);
    (await writePicture(options.out ?? "weights.png", png, "weights", output, report))();
    return;
  }

  const data = await loadSplitForCommand(options, options.split, output);
  const set = data.set;
  checkDatasetRange(options.offset, options.n, options.split, set.count);
  const images: Uint8Array[] = [];
  const titles: string[] = [];
  for (let i = options.offset; i < options.offset + options.n; i++) {
    images.push(set.images.subarray(i * NUM_INPUTS, (i + 1) * NUM_INPUTS));
    titles.push(data.classes[set.labels[i]!] ?? String(set.labels[i]));
  }
  checkGridSize(
    images.map((pixels, i) => ({ picture: itemPicture(pixels), title: [{ text: titles[i]! }] })),
    gridOptions,
  );
  const png = showImages(images, titles, gridOptions);
  (await writePicture(options.out ?? "samples.png", png, "samples", output, report))();
}
