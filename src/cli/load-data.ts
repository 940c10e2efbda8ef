// Loading a dataset for a command, and the one renderer of the data layer's events as stderr
// lines and download progress bars, shared by every command (`download` included). Resolves the
// data directory, system directory and mirrors from the flags and the environment through the
// library; formatting and signal handling only.
import { homedir } from "node:os";
import {
  type Backend,
  type DataEvent,
  type DatasetSpec,
  type DatasetSplit,
  dataDirFor,
  FASHION_MNIST,
  type FashionMnist,
  findDataset,
  type LoadOptions,
  loadDataset,
  loadSplit,
  ModelFileError,
  mirrorsFor,
  removeRegisteredSync,
  type SplitName,
  UsageError,
} from "../index.js";
import type { Output } from "./output.js";
import type { Progress } from "./progress-bar.js";

export interface DataFlags {
  dataDir?: string;
  offline?: boolean;
  dataset?: string;
}

/** The dataset named by `--dataset` (default Fashion-MNIST). */
export function datasetFrom(flags: { dataset?: string }): DatasetSpec {
  if (flags.dataset === undefined) return FASHION_MNIST;
  const dataset = findDataset(flags.dataset);
  if (dataset === undefined) throw new UsageError(`--dataset: unknown dataset ${flags.dataset}`);
  return dataset;
}

/**
 * The dataset of a command that uses a model (evaluate, predict, show --weights): the one the
 * model was trained on (its metadata's `dataset`), else `--dataset`, else the default. An explicit
 * `--dataset` that disagrees with the model is a usage error naming both.
 */
export function datasetOfModel(
  flags: { dataset?: string },
  metadata: Record<string, string>,
  model: string,
): string | undefined {
  const recorded = metadata.dataset;
  if (recorded !== undefined && findDataset(recorded) === undefined) {
    throw new ModelFileError(`${model} was trained on ${JSON.stringify(recorded)}, which is not a known dataset`, {
      hint: "`softmax datasets` lists the datasets this version knows",
    });
  }
  if (flags.dataset !== undefined && recorded !== undefined && flags.dataset !== recorded) {
    throw new UsageError(`--dataset ${flags.dataset} disagrees with ${model}, which was trained on ${recorded}`, {
      hint: `leave out --dataset, or use a model trained on ${flags.dataset}`,
    });
  }
  return flags.dataset ?? recorded;
}

/**
 * Loads the dataset the flags name, saying on stderr where it comes from and where it is cached.
 * With a `backend` that has memory of its own, the files are read into it (Backend.allocate).
 */
export function loadDataForCommand(flags: DataFlags, output: Output, backend?: Backend): Promise<FashionMnist> {
  return withDataEvents(output, (options) => loadDataset({ ...options, ...loadOptionsFrom(flags, backend) }));
}

/** As loadDataForCommand, reading only `split`'s files (evaluate, predict, show use no other split). */
export function loadSplitForCommand(
  flags: DataFlags,
  split: SplitName,
  output: Output,
  backend?: Backend,
): Promise<DatasetSplit> {
  return withDataEvents(output, (options) => loadSplit({ ...options, ...loadOptionsFrom(flags, backend), split }));
}

/** The loader's options the flags, the environment and the backend give. */
function loadOptionsFrom(flags: DataFlags, backend: Backend | undefined): LoadOptions {
  const dataset = datasetFrom(flags);
  return {
    dataset,
    dataDir: dataDirFor(dataset, flags.dataDir),
    offline: flags.offline === true,
    mirrors: mirrorsFor(dataset),
    allocate: backend?.allocate?.bind(backend),
  };
}

/** Runs `load` with the data events rendered on stderr and Ctrl-C / SIGTERM ending the process. */
async function withDataEvents<T>(
  output: Output,
  load: (options: Pick<LoadOptions, "onEvent">) => Promise<T>,
): Promise<T> {
  const renderer = new DataEventRenderer(output);
  const stopOnSignal = exitOnSignal(renderer, "interrupted while loading the data");
  try {
    return await load({ onEvent: (event) => renderer.on(event) });
  } finally {
    stopOnSignal();
    renderer.stop();
  }
}

/**
 * Ctrl-C or SIGTERM while the data is fetched or cached: stop at once with 130 or 143 and one
 * line. Temporary files and held locks are removed by the 'exit' handler of src/fs/temporary.ts;
 * a `.part` download is kept to be resumed. Returns the function that removes the handlers.
 */
export function exitOnSignal(renderer: DataEventRenderer, message: string): () => void {
  const handlers = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const handler = (): void => {
      renderer.stop();
      removeRegisteredSync();
      process.stderr.write(`softmax: ${message}\n`);
      process.exit(signal === "SIGINT" ? 130 : 143);
    };
    process.once(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  };
}

/**
 * The data layer's events as stderr lines (silenced by --quiet, warnings excepted) and a progress
 * bar per downloading file (TTY only). `onFile` receives the `file` events (the result lines of
 * `softmax download`); other commands ignore them.
 */
export class DataEventRenderer {
  private bar: { name: string; progress: Progress } | null = null;

  constructor(
    private readonly output: Output,
    private readonly onFile?: (event: Extract<DataEvent, { type: "file" }>) => void,
  ) {}

  on(event: DataEvent): void {
    const output = this.output;
    switch (event.type) {
      case "directory-created":
        output.info(`created ${tildePath(event.path)}`);
        break;
      case "caching":
        output.info(cachingLine(event));
        break;
      case "download-start":
        if (this.bar?.name !== event.name) {
          this.stop();
          output.info(`downloading ${event.name} from ${event.url}`);
          const progress = event.total === null ? null : output.progress(event.name, event.total, "bytes");
          if (progress) this.bar = { name: event.name, progress };
        }
        this.bar?.progress.update(event.offset, event.total ?? undefined);
        break;
      case "download-progress":
        if (this.bar?.name === event.name) this.bar.progress.update(event.received);
        break;
      case "retry":
        this.stop();
        output.info(
          `retrying ${event.url} in ${Math.round(event.delayMs)} ms (attempt ${event.attempt}): ${event.reason}`,
        );
        break;
      case "mirror-failed":
        this.stop();
        output.info(`${event.url} failed: ${event.reason}; trying the next mirror`);
        break;
      case "waiting":
        output.info(`waiting for process ${event.pid}, which is fetching ${event.name} into the same directory`);
        break;
      case "warning":
        this.stop();
        output.warn(event.message);
        break;
      case "file":
        this.stop();
        this.onFile?.(event);
        break;
    }
  }

  stop(): void {
    this.bar?.progress.stop();
    this.bar = null;
  }
}

/** "using Fashion-MNIST from /usr/share/datasets/fashion-mnist; caching 55 MB in ~/.cache/softmax/fashion-mnist" */
function cachingLine(event: Extract<DataEvent, { type: "caching" }>): string {
  const into = tildePath(event.into);
  const size = megabytes(event.bytes);
  switch (event.via) {
    case "system":
      return `using ${event.dataset} from ${tildePath(event.from)}; caching ${size} in ${into}`;
    case "data-dir":
      return `decompressing ${event.dataset}'s .gz files in ${into}; caching ${size} there`;
    case "copy":
      return `copying ${event.dataset} (${size}) from ${tildePath(event.from)} into ${into}`;
    case "mirror":
      return `downloading ${event.dataset} (${size}) into ${into}`;
  }
}

function megabytes(bytes: number): string {
  return bytes >= 1e6 ? `${Math.round(bytes / 1e6)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

/** A path under the home directory written with `~`, as a user would type it. */
export function tildePath(path: string, home: string = homedir()): string {
  return home !== "" && home !== "/" && (path === home || path.startsWith(`${home}/`))
    ? `~${path.slice(home.length)}`
    : path;
}
