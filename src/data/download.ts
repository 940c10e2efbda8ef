// Fetching the dataset files into a data directory: over HTTP(S) from a list of mirrors with
// undici, or by copying from a local directory (--from). Every byte lands in a `.part` file first
// and reaches its final name only after the decompressed payload's SHA-256 matches; a lock file
// lets two processes share one directory. Which files and URLs to fetch are decided by pure
// helpers in fashion-mnist.ts; parsing IDX is not done here.
import { writeSync } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { finished } from "node:stream/promises";
import { type Dispatcher, EnvHttpProxyAgent, request } from "undici";
import { DataError, DownloadError } from "../errors.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { VERSION } from "../version.js";
import type { DataEventHandler, FileOrigin } from "./events.js";
import { DEFAULT_MIRRORS, FASHION_MNIST_FILES, type FileSpec, mirrorUrl } from "./fashion-mnist.js";
import {
  gzPath,
  lockPath,
  partPath,
  type RecordOptions,
  rawPath,
  readGzCopy,
  readRawCopy,
  writeRawCache,
} from "./local.js";
import { withLock } from "./lock.js";
import { isGzip, readWhole, storedByteCap, verifiedPayload } from "./payload.js";

/** Knobs of the HTTP client; the defaults suit a real network, tests shrink them. */
export interface HttpOptions {
  /** Time to establish a connection (ms). Default 15 000. */
  connectTimeoutMs?: number;
  /** Longest wait for response headers or for the next chunk of the body (ms). Default 30 000. */
  idleTimeoutMs?: number;
  /** Further attempts on one mirror after a network error or a 5xx. Default 3. */
  retries?: number;
  /** First backoff delay (ms), doubled after each retry. Default 500. */
  backoffMs?: number;
  /** Ceiling of the backoff delay (ms). Default 8000. */
  maxBackoffMs?: number;
  /** Redirects followed per request. Default 5. */
  maxRedirects?: number;
  /** How often a process waiting for another one's download looks again (ms). Default 200. */
  lockPollMs?: number;
  /** A lock not refreshed for this long is considered abandoned (ms). Default 60 000. */
  lockStaleMs?: number;
  /** The undici dispatcher; default an EnvHttpProxyAgent (honours HTTPS_PROXY, HTTP_PROXY, NO_PROXY). */
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}

export interface FetchOptions extends HttpOptions, RecordOptions {
  dataDir: string;
  /** Base URLs, tried in order. Default DEFAULT_MIRRORS. */
  mirrors?: readonly string[];
  /** The files and their digests. Default FASHION_MNIST_FILES (tests pass small synthetic ones). */
  files?: readonly FileSpec[];
  /** Fetch even when a valid copy is already in the data directory. */
  force?: boolean;
  /** Report a corrupt copy found in the data directory as a warning event (default true). */
  warnCorrupt?: boolean;
  onEvent?: DataEventHandler;
}

/** What `softmax download` reports for each file. */
export interface FileResult {
  readonly name: string;
  /** The raw IDX file in the data directory. */
  readonly path: string;
  /** Size of the raw payload. */
  readonly bytes: number;
  readonly sha256: string;
  /** "data-dir": a valid copy was already there and nothing was fetched. */
  readonly origin: FileOrigin;
  /** URL or path the payload came from. */
  readonly source: string;
  readonly verified: "sha256" | "record";
  /** The verified raw payload, so a caller can use it without reading it back. */
  readonly raw: Uint8Array;
}

/**
 * Downloads every file of the dataset that is not already valid in the data directory, one after
 * the other, reporting each as a `file` event when it is ready.
 */
export async function downloadFashionMnist(options: FetchOptions): Promise<FileResult[]> {
  return withDispatcher(options, async (dispatcher) => {
    const results: FileResult[] = [];
    for (const file of options.files ?? FASHION_MNIST_FILES) {
      results.push(announce(await downloadFile(file, { ...options, dispatcher }), options));
    }
    return results;
  });
}

/** `--from DIR`: copies (and verifies) every file from a local directory holding NAME or NAME.gz; a `file` event each. */
export async function copyFashionMnist(fromDir: string, options: FetchOptions): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for (const file of options.files ?? FASHION_MNIST_FILES) {
    results.push(announce(await copyFile(file, fromDir, options), options));
  }
  return results;
}

/** Reports a finished file as a `file` event and passes it on. */
function announce(result: FileResult, options: FetchOptions): FileResult {
  const { name, path, bytes, origin, source, sha256, verified } = result;
  options.onEvent?.({ type: "file", name, path, bytes, origin, source, sha256, verified });
  return result;
}

/** Fetches one file from the first mirror that serves it intact, unless a valid copy is present. */
export async function downloadFile(file: FileSpec, options: FetchOptions): Promise<FileResult> {
  return withDispatcher(options, (dispatcher) =>
    underLock(file, options, async () => {
      if (!options.force) {
        const present = await presentCopy(file, options);
        if (present !== null) return present;
      }
      const mirrors = options.mirrors ?? DEFAULT_MIRRORS;
      const failures: string[] = [];
      for (const mirror of mirrors) {
        const url = mirrorUrl(mirror, file);
        let fetched: { raw: Uint8Array; gzip: boolean };
        try {
          fetched = await fetchFromMirror(file, url, { ...options, dispatcher });
        } catch (error) {
          options.signal?.throwIfAborted();
          const reason = reasonOf(error);
          failures.push(`${url}: ${reason}`);
          options.onEvent?.({ type: "mirror-failed", name: file.name, url, reason });
          continue;
        }
        // Local I/O errors from here on are not the mirror's fault: they end the download.
        const part = partPath(options.dataDir, file);
        // Keep the .gz as served; a mirror serving the raw file leaves only the raw copy below.
        if (fetched.gzip) await rename(part, gzPath(options.dataDir, file));
        else await rm(part, { force: true });
        await rm(`${part}.json`, { force: true });
        const path = await writeRawCache(options.dataDir, file, fetched.raw, options);
        return {
          name: file.name,
          path,
          bytes: fetched.raw.length,
          sha256: file.sha256,
          origin: "mirror",
          source: url,
          verified: "sha256",
          raw: fetched.raw,
        };
      }
      throw new DownloadError(
        mirrors.length === 0
          ? `cannot download ${file.name}: the mirror list is empty`
          : `cannot download ${file.name} from any mirror: ${failures.join("; ")}`,
        {
          hint:
            "check the network and HTTPS_PROXY/HTTP_PROXY, pass --mirror URL, copy the files with --from DIR, " +
            "or `apt-get install dataset-fashion-mnist`",
        },
      );
    }),
  );
}

/** Copies one file from `fromDir` (NAME, else NAME.gz), verified, unless a valid copy is present. */
export async function copyFile(file: FileSpec, fromDir: string, options: FetchOptions): Promise<FileResult> {
  return underLock(file, options, async () => {
    if (!options.force) {
      const present = await presentCopy(file, options);
      if (present !== null) return present;
    }
    const source = (await readRawCopy(fromDir, file, false)) ?? (await readGzCopy(fromDir, file));
    if (source === null) {
      throw new DataError(`${fromDir} holds neither ${file.name} nor ${file.name}.gz`, {
        hint: "give --from a directory holding the four Fashion-MNIST files, e.g. /usr/share/datasets/fashion-mnist",
      });
    }
    if (source.path.endsWith(".gz")) {
      await writeFileAtomic(gzPath(options.dataDir, file), await readWhole(source.path, storedByteCap(file)));
    }
    const path = await writeRawCache(options.dataDir, file, source.raw, options);
    return {
      name: file.name,
      path,
      bytes: source.raw.length,
      sha256: file.sha256,
      origin: "copy",
      source: source.path,
      verified: "sha256",
      raw: source.raw,
    };
  });
}

async function underLock<T>(file: FileSpec, options: FetchOptions, task: () => Promise<T>): Promise<T> {
  try {
    await mkdir(options.dataDir, { recursive: true });
  } catch (error) {
    throw new DataError(
      `cannot create the data directory ${options.dataDir} (${(error as NodeJS.ErrnoException).code})`,
      {
        hint: "choose another with --data-dir or $SOFTMAX_DATA_DIR",
        cause: error,
      },
    );
  }
  return withLock(lockPath(options.dataDir, file), task, {
    pollMs: options.lockPollMs,
    staleMs: options.lockStaleMs,
    signal: options.signal,
    onWait: (pid) => options.onEvent?.({ type: "waiting", name: file.name, pid }),
  });
}

/**
 * A valid copy already in the data directory (raw, else .gz, writing the raw file from it), or
 * null. A corrupt copy is reported as a warning and treated as absent: it is about to be replaced.
 */
async function presentCopy(file: FileSpec, options: FetchOptions): Promise<FileResult | null> {
  for (const read of [() => readRawCopy(options.dataDir, file, options), () => readGzCopy(options.dataDir, file)]) {
    try {
      const copy = await read();
      if (copy === null) continue;
      const path =
        copy.path === rawPath(options.dataDir, file)
          ? copy.path
          : await writeRawCache(options.dataDir, file, copy.raw, options);
      return {
        name: file.name,
        path,
        bytes: copy.raw.length,
        sha256: file.sha256,
        origin: "data-dir",
        source: copy.path,
        verified: copy.verified,
        raw: copy.raw,
      };
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      if (options.warnCorrupt !== false)
        options.onEvent?.({ type: "warning", message: `${error.message}; replacing it` });
    }
  }
  return null;
}

/** A failure of one attempt; `retryable` for network errors and 5xx, not for 4xx or bad content. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

type MirrorOptions = FetchOptions & { dispatcher: Dispatcher };

/**
 * Brings `url` into the `.part` file (retrying with exponential backoff, resuming what is there)
 * and returns its verified payload. A payload that fails the check is deleted; if it had been
 * resumed from an earlier run, it is fetched once more from the start before the mirror is given up.
 */
async function fetchFromMirror(
  file: FileSpec,
  url: string,
  options: MirrorOptions,
): Promise<{ raw: Uint8Array; gzip: boolean }> {
  const part = partPath(options.dataDir, file);
  const retries = options.retries ?? 3;
  let fromScratchDone = false;
  for (;;) {
    const resumedFrom = await resumableOffset(part, url);
    for (let attempt = 0; ; attempt++) {
      try {
        await fetchToPart(file, url, part, options);
        break;
      } catch (error) {
        options.signal?.throwIfAborted();
        const failure = asAttemptError(error, options);
        if (!failure.retryable || attempt >= retries) throw failure;
        const delayMs = Math.min((options.backoffMs ?? 500) * 2 ** attempt, options.maxBackoffMs ?? 8000);
        options.onEvent?.({
          type: "retry",
          name: file.name,
          url,
          attempt: attempt + 1,
          delayMs,
          reason: failure.message,
        });
        await sleep(delayMs, options.signal);
      }
    }
    try {
      const stored = await readWhole(part, storedByteCap(file));
      return { raw: await verifiedPayload(stored, file, url), gzip: isGzip(stored) };
    } catch (error) {
      await rm(part, { force: true });
      await rm(`${part}.json`, { force: true });
      if (resumedFrom > 0 && !fromScratchDone) {
        fromScratchDone = true;
        continue;
      }
      throw error;
    }
  }
}

/** Bytes of `.part` that can be resumed for `url`: only a part started from the same URL counts. */
async function resumableOffset(part: string, url: string): Promise<number> {
  try {
    const meta = JSON.parse(await readFile(`${part}.json`, "utf8")) as { url?: string };
    if (meta.url !== url) throw new Error("different source");
    return (await stat(part)).size;
  } catch {
    await rm(part, { force: true });
    return 0;
  }
}

/** One attempt: request (following redirects), then append to or restart `.part` as the status says. */
async function fetchToPart(file: FileSpec, url: string, part: string, options: MirrorOptions): Promise<void> {
  const cap = storedByteCap(file);
  const meta = await readPartMeta(part);
  let offset = meta?.url === url ? await sizeOf(part) : 0;
  let current = url;
  let redirects = 0;
  const maxRedirects = options.maxRedirects ?? 5;
  for (;;) {
    const headers: Record<string, string> = { "user-agent": `softmax/${VERSION}`, "accept-encoding": "identity" };
    if (offset > 0) {
      headers.range = `bytes=${offset}-`;
      if (meta?.validator) headers["if-range"] = meta.validator;
    }
    const response = await request(current, {
      method: "GET",
      headers,
      dispatcher: options.dispatcher,
      headersTimeout: options.idleTimeoutMs ?? 30_000,
      bodyTimeout: options.idleTimeoutMs ?? 30_000,
      signal: options.signal,
    });
    const status = response.statusCode;
    if (status >= 300 && status < 400 && status !== 304) {
      await response.body.dump();
      const location = header(response.headers, "location");
      if (location === undefined) throw new AttemptError(`HTTP ${status} without a Location header`, false);
      if (++redirects > maxRedirects) {
        throw new AttemptError(`more than ${maxRedirects} redirects (last to ${location}); a redirect loop?`, false);
      }
      current = new URL(location, current).href;
      continue;
    }
    if (status === 416 && offset > 0) {
      // The part is already as long as the file, or longer: start over.
      await response.body.dump();
      offset = 0;
      continue;
    }
    if (status >= 500) {
      await response.body.dump();
      throw new AttemptError(`HTTP ${status}`, true);
    }
    if (status !== 200 && status !== 206) {
      await response.body.dump();
      throw new AttemptError(`HTTP ${status}`, false);
    }
    let start = 0;
    let total: number | null = numberOrNull(header(response.headers, "content-length"));
    if (status === 206) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header(response.headers, "content-range") ?? "");
      if (range === null || Number(range[1]) !== offset) {
        // A range we did not ask for: drop it and fetch the whole file.
        await response.body.dump();
        offset = 0;
        continue;
      }
      start = offset;
      total = range[3] === "*" ? null : Number(range[3]);
    }
    // `total` is the size of the whole file for 200 and 206 alike.
    if (total !== null && total > cap) {
      discard(response.body);
      await rm(part, { force: true });
      throw new AttemptError(tooLarge(file, total, cap), false);
    }
    const validator = header(response.headers, "etag") ?? header(response.headers, "last-modified");
    await receiveBody(file, url, part, response.body, start, total, cap, options, validator);
    return;
  }
}

/**
 * Appends (206) or writes (200) the body to `.part`. The body is read in flowing mode from the
 * first moment, with synchronous writes, so it never pushes back on the connection: undici 7
 * (through 7.30) crashes the process with an uncatchable assertion when a server closes the
 * connection while the parser is paused for backpressure (nodejs/undici#5360, fixed in undici 8).
 */
async function receiveBody(
  file: FileSpec,
  url: string,
  part: string,
  body: Dispatcher.ResponseData["body"],
  start: number,
  total: number | null,
  cap: number,
  options: MirrorOptions,
  validator: string | undefined,
): Promise<void> {
  let received = start;
  let fd: number | null = null;
  const pending: Buffer[] = []; // chunks that arrive before the file is open
  body.on("data", (chunk: Buffer) => {
    received += chunk.length;
    if (received > cap) {
      body.destroy(new AttemptError(tooLarge(file, received, cap), false));
      return;
    }
    if (fd === null) {
      pending.push(chunk);
      return;
    }
    try {
      writeSync(fd, chunk);
    } catch (error) {
      body.destroy(error as Error);
      return;
    }
    options.onEvent?.({ type: "download-progress", name: file.name, url, received, total });
  });
  // Attached before any await, so an early failure is never an unhandled 'error' event.
  const done = finished(body);
  done.catch(() => {});
  options.onEvent?.({ type: "download-start", name: file.name, url, offset: start, total });
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    if (start === 0) {
      // Remember where the part comes from, so a later run resumes it only from the same URL.
      const strong = validator?.startsWith("W/") ? undefined : validator;
      await writeFileAtomic(`${part}.json`, JSON.stringify({ url, validator: strong }));
    }
    handle = await open(part, start > 0 ? "a" : "w");
    if (pending.length > 0) {
      for (const chunk of pending.splice(0)) writeSync(handle.fd, chunk);
      options.onEvent?.({ type: "download-progress", name: file.name, url, received, total });
    }
    fd = handle.fd;
    await done;
    options.signal?.throwIfAborted();
  } catch (error) {
    if (error instanceof AttemptError) await rm(part, { force: true });
    throw error;
  } finally {
    fd = null;
    await handle?.close().catch(() => {});
  }
  if (total !== null && received !== total) {
    throw new AttemptError(`body ended after ${received} of ${total} bytes`, true);
  }
}

/** Stops reading a response we do not want, without an unhandled error event. */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => {});
  body.destroy();
}

function tooLarge(file: FileSpec, bytes: number, cap: number): string {
  return (
    `${bytes} bytes or more, too large to be ${file.name} (at most ${cap} bytes for a ${file.rawBytes}-byte payload ` +
    `with sha256 ${file.sha256})`
  );
}

interface PartMeta {
  url?: string;
  validator?: string;
}

async function readPartMeta(part: string): Promise<PartMeta | null> {
  try {
    return JSON.parse(await readFile(`${part}.json`, "utf8")) as PartMeta;
  } catch {
    return null;
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function numberOrNull(text: string | undefined): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null;
  return Number(text);
}

const RETRYABLE_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
  "UND_ERR_CLOSED",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ENETDOWN",
]);

/** Classifies what a request threw: network trouble is worth a retry, anything else is not. */
function asAttemptError(error: unknown, options: HttpOptions): AttemptError {
  if (error instanceof AttemptError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? "";
  const message = (error as Error).message ?? String(error);
  const retryable = RETRYABLE_CODES.has(code) || code.startsWith("HPE_");
  let reason: string;
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
      reason = `no connection within ${options.connectTimeoutMs ?? 15_000} ms`;
      break;
    case "UND_ERR_HEADERS_TIMEOUT":
      reason = `no response within ${options.idleTimeoutMs ?? 30_000} ms`;
      break;
    case "UND_ERR_BODY_TIMEOUT":
      reason = `no data for ${options.idleTimeoutMs ?? 30_000} ms`;
      break;
    case "UND_ERR_SOCKET":
      reason = `connection lost (${message})`;
      break;
    default:
      reason = code !== "" && !message.includes(code) ? `${message} (${code})` : message;
  }
  return new AttemptError(reason, retryable, { cause: error });
}

function reasonOf(error: unknown): string {
  if (error instanceof DataError) return error.message.replace(/^https?:\/\/\S+: /, "");
  if (error instanceof Error) return error.message;
  return String(error);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** Runs `task` with the caller's dispatcher, or with a proxy-aware agent that is closed afterwards. */
async function withDispatcher<T>(options: FetchOptions, task: (dispatcher: Dispatcher) => Promise<T>): Promise<T> {
  if (options.dispatcher !== undefined) return task(options.dispatcher);
  const agent = new EnvHttpProxyAgent({
    connectTimeout: options.connectTimeoutMs ?? 15_000,
    headersTimeout: options.idleTimeoutMs ?? 30_000,
    bodyTimeout: options.idleTimeoutMs ?? 30_000,
  });
  try {
    return await task(agent);
  } finally {
    await agent.destroy();
  }
}
