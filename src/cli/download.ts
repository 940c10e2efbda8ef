// `softmax download`: flag parsing and output for fetching the dataset. The fetching, checking
// and file handling live in src/data/download.ts; this file only wires flags to it and turns its
// events into progress bars (stderr), log lines (stderr) and one result line per file (stdout).
import { type Command, InvalidArgumentError, Option } from "commander";
import type { FetchOptions } from "../data/download.js";
import type { DataEvent } from "../data/events.js";
import { DEFAULT_MIRRORS, mirrorsFrom } from "../data/fashion-mnist.js";
import { SYSTEM_DATA_DIR } from "../data/resolve.js";
import { InterruptedError } from "../errors.js";
import { dataDirFrom } from "./options.js";
import { Output, type Progress } from "./output.js";

interface DownloadFlags {
  dataDir?: string;
  mirror: string[];
  from?: string;
  force?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function registerDownload(program: Command): void {
  program
    .command("download")
    .description("Fetch the four Fashion-MNIST files into the data directory and verify their SHA-256.")
    .option("--data-dir <dir>", "where to put the files (default: $SOFTMAX_DATA_DIR, else ./data)")
    .addOption(
      new Option(
        "--mirror <url>",
        "base URL to fetch NAME.gz from; repeat to try several in order (replaces $SOFTMAX_MIRROR and the defaults)",
      )
        .argParser(collectUrl)
        .default([], "$SOFTMAX_MIRROR, else the three default mirrors below"),
    )
    .addOption(
      new Option("--from <dir>", "copy from a local directory holding the files (raw or .gz) instead").conflicts(
        "mirror",
      ),
    )
    .option("--force", "fetch again even if a valid copy is already present")
    .option("--json", "print one NDJSON `file` event per file on stdout")
    .option("--quiet", "no progress bars or log lines on stderr (warnings still shown)")
    .addHelpText(
      "after",
      `
Each file is checked against the SHA-256 of its decompressed IDX payload before it gets its
final name; a file that is already present and valid is skipped. Partial downloads are kept
as NAME.gz.part and resumed on the next run.

Default mirrors, tried in order:
${DEFAULT_MIRRORS.map((url) => `  ${url}`).join("\n")}
$SOFTMAX_MIRROR: one or more base URLs separated by spaces or commas. HTTPS_PROXY, HTTP_PROXY
and NO_PROXY are honoured.

Examples:
  softmax download                                  into ./data from the default mirrors
  softmax download --data-dir ~/datasets/fmnist --json
  softmax download --mirror http://localhost:8000/ --mirror https://example.org/fashion/
  softmax download --from ${SYSTEM_DATA_DIR}   copy Debian's package (no network)
  softmax download --force                          fetch again, replacing what is there`,
    )
    .action(async (flags: DownloadFlags) => {
      await runDownload(flags);
    });
}

async function runDownload(flags: DownloadFlags): Promise<void> {
  const output = new Output({ json: flags.json, quiet: flags.quiet });
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once("SIGINT", onSigint);
  const progress = new DownloadProgress(output);
  const options: FetchOptions = {
    dataDir: dataDirFrom(flags),
    mirrors: mirrorsFrom(flags.mirror),
    force: flags.force === true,
    signal: controller.signal,
    onEvent: (event) => progress.on(event),
  };
  try {
    // Imported here, not at the top: every command loads this module, and undici costs ~100 ms to load.
    const { copyFashionMnist, downloadFashionMnist } = await import("../data/download.js");
    if (flags.from !== undefined) await copyFashionMnist(flags.from, options);
    else await downloadFashionMnist(options);
  } catch (error) {
    progress.stopAll();
    if (controller.signal.aborted) {
      throw new InterruptedError("download interrupted", {
        hint: "partial files are kept as NAME.gz.part; run `softmax download` again to resume",
      });
    }
    throw error;
  } finally {
    process.removeListener("SIGINT", onSigint);
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

/** One progress bar per file while it downloads (TTY only); log lines for retries and failures. */
class DownloadProgress {
  private bar: { name: string; progress: Progress } | null = null;

  constructor(private readonly output: Output) {}

  on(event: DataEvent): void {
    switch (event.type) {
      case "download-start":
        if (this.bar?.name !== event.name) {
          this.stopAll();
          this.output.info(`downloading ${event.name} from ${event.url}`);
          const progress = event.total === null ? null : this.output.progress(event.name, event.total, " bytes");
          if (progress) this.bar = { name: event.name, progress };
        }
        this.bar?.progress.update(event.offset, event.total ?? undefined);
        break;
      case "download-progress":
        if (this.bar?.name === event.name) this.bar.progress.update(event.received);
        break;
      case "retry":
        this.stopAll();
        this.output.info(`retrying ${event.url} in ${event.delayMs} ms (attempt ${event.attempt}): ${event.reason}`);
        break;
      case "mirror-failed":
        this.stopAll();
        this.output.info(`${event.url} failed: ${event.reason}; trying the next mirror`);
        break;
      case "waiting":
        this.output.info(`waiting for process ${event.pid}, which is fetching ${event.name} into the same directory`);
        break;
      case "warning":
        this.stopAll();
        this.output.warn(event.message);
        break;
      case "file":
        this.stopAll();
        report(this.output, event);
        break;
    }
  }

  stopAll(): void {
    this.bar?.progress.stop();
    this.bar = null;
  }
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
