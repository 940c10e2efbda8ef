// A resumable HTTP(S) GET into a `.part` file, with undici: connect and idle timeouts, a
// low-speed limit, retries with exponential backoff on network errors and 5xx, bounded redirects,
// a size cap counted as bytes arrive, and resume with `Range`/`If-Range` from where an earlier
// attempt or run stopped. Generic: it knows URLs and files, not datasets or checksums (the caller
// verifies what lands in the `.part`). Local I/O errors (a full disk) are thrown as FileError and
// never retried: they are not the server's fault.
import { writeSync } from "node:fs";
import { open, readFile, rm, stat } from "node:fs/promises";
import type { Dispatcher } from "undici";
import { FileError } from "../errors.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { ioError } from "../fs/io-error.js";
import { VERSION } from "../version.js";

/** Knobs of the HTTP client; the defaults suit a real network, tests shrink them. */
export interface HttpOptions {
  /** Time to establish a connection (ms). Default 15 000. */
  connectTimeoutMs?: number;
  /** Longest wait for response headers or for the next chunk of the body (ms). Default 30 000. */
  idleTimeoutMs?: number;
  /**
   * Low-speed limit (as curl's --speed-limit/--speed-time): a body arriving slower than
   * `lowSpeedBytesPerSecond` on average over `lowSpeedTimeMs` is abandoned for the next mirror.
   * Defaults 1024 bytes/s over 30 000 ms; 0 turns it off.
   */
  lowSpeedBytesPerSecond?: number;
  lowSpeedTimeMs?: number;
  /** Further attempts on one URL after a network error or a 5xx. Default 3. */
  retries?: number;
  /** First backoff delay (ms), doubled after each retry. Default 500. */
  backoffMs?: number;
  /** Ceiling of the backoff delay (ms). Default 8000. */
  maxBackoffMs?: number;
  /** Redirects followed per request. Default 5. */
  maxRedirects?: number;
  /** The undici dispatcher; default an EnvHttpProxyAgent (honours HTTPS_PROXY, HTTP_PROXY, NO_PROXY). */
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
}

export type HttpEvent =
  /** Headers of `url` arrived; `total` is the full size when known, `offset` bytes resumed from the `.part`. */
  | { type: "start"; url: string; offset: number; total: number | null }
  | { type: "progress"; url: string; received: number; total: number | null }
  /** A network error or 5xx on `url`; trying again after `delayMs`. */
  | { type: "retry"; url: string; attempt: number; delayMs: number; reason: string };

export interface PartFetch extends HttpOptions {
  /** Largest body accepted (the whole file, resumed bytes included). */
  maxBytes: number;
  /** Describes the cap in the error when a body exceeds it. */
  describeCap?: (bytes: number) => string;
  onEvent?: (event: HttpEvent) => void;
}

/** The server or the network failed (not our disk): `retryable` for network errors and 5xx. */
export class RemoteError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The `.part` file's companion: where the part comes from, so a later run resumes it only from the same URL. */
const metaPath = (part: string): string => `${part}.json`;

/**
 * Brings `url` whole into `part`, resuming what is there when it came from the same URL, retrying
 * with exponential backoff. `resumed` says whether any byte of the result came from an earlier
 * attempt or run: a caller whose check then fails should discard the part and fetch from the start
 * (a server may answer a Range with bytes of a different file).
 */
export async function fetchToPart(url: string, part: string, options: PartFetch): Promise<{ resumed: boolean }> {
  const retries = options.retries ?? 3;
  let resumed = false;
  for (let attempt = 0; ; attempt++) {
    try {
      const { offset } = await attemptOnce(url, part, options);
      resumed ||= offset > 0;
      return { resumed };
    } catch (error) {
      options.signal?.throwIfAborted();
      if (error instanceof FileError) throw error;
      const failure = asRemoteError(error, options);
      if (!failure.retryable || attempt >= retries) throw failure;
      const delayMs = Math.min((options.backoffMs ?? 500) * 2 ** attempt, options.maxBackoffMs ?? 8000);
      options.onEvent?.({ type: "retry", url, attempt: attempt + 1, delayMs, reason: failure.message });
      await sleep(delayMs, options.signal);
    }
  }
}

/** Removes a `.part` and its companion (after it was used, or when it proved to be wrong). */
export async function discardPart(part: string): Promise<void> {
  await rm(part, { force: true });
  await rm(metaPath(part), { force: true });
}

/** Runs `task` with the caller's dispatcher, or with a proxy-aware agent that is closed afterwards. */
export async function withHttpClient<T>(
  options: HttpOptions,
  task: (dispatcher: Dispatcher) => Promise<T>,
): Promise<T> {
  if (options.dispatcher !== undefined) return task(options.dispatcher);
  const { EnvHttpProxyAgent } = await undici();
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

/** undici, loaded on first use: it costs ~100 ms of start-up, which a command that finds its data skips. */
function undici(): Promise<typeof import("undici")> {
  return import("undici");
}

interface PartMeta {
  url?: string;
  validator?: string;
}

/** One attempt: request (following redirects), then append to or restart the part as the status says. */
async function attemptOnce(url: string, part: string, options: PartFetch): Promise<{ offset: number }> {
  const meta = await readMeta(part);
  let offset = meta?.url === url ? await sizeOf(part) : 0;
  if (offset === 0) await discardPart(part).catch(() => {});
  let current = url;
  let redirects = 0;
  const maxRedirects = options.maxRedirects ?? 5;
  const { request } = await undici();
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
      if (location === undefined) throw new RemoteError(`HTTP ${status} without a Location header`, false);
      if (++redirects > maxRedirects) {
        throw new RemoteError(`more than ${maxRedirects} redirects (last to ${location}); a redirect loop?`, false);
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
      throw new RemoteError(`HTTP ${status}`, true);
    }
    if (status !== 200 && status !== 206) {
      await response.body.dump();
      throw new RemoteError(`HTTP ${status}`, false);
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
    if (total !== null && total > options.maxBytes) {
      discard(response.body);
      await discardPart(part);
      throw new RemoteError(tooLarge(total, options), false);
    }
    const validator = header(response.headers, "etag") ?? header(response.headers, "last-modified");
    await receiveBody(url, part, response.body, { start, total, validator }, options);
    return { offset: start };
  }
}

/**
 * Appends (206) or writes (200) the body to the part. The body is read in flowing mode from the
 * first moment, with synchronous writes, so it never pushes back on the connection: undici 7
 * (through 7.30) crashes the process with an uncatchable assertion when a server closes the
 * connection while the parser is paused for backpressure (nodejs/undici#5360, fixed in undici 8).
 */
async function receiveBody(
  url: string,
  part: string,
  body: Dispatcher.ResponseData["body"],
  response: { start: number; total: number | null; validator: string | undefined },
  options: PartFetch,
): Promise<void> {
  const { start, total } = response;
  let received = start;
  let fd: number | null = null;
  const pending: Buffer[] = []; // chunks that arrive before the file is open
  const slow = lowSpeedWatch(options, (reason) => body.destroy(new RemoteError(reason, false)));
  body.on("data", (chunk: Buffer) => {
    received += chunk.length;
    slow.count(chunk.length);
    if (received > options.maxBytes) {
      body.destroy(new RemoteError(tooLarge(received, options), false));
      return;
    }
    if (fd === null) {
      pending.push(chunk);
      return;
    }
    try {
      writeSync(fd, chunk);
    } catch (error) {
      body.destroy(ioError("write", part, error));
      return;
    }
    options.onEvent?.({ type: "progress", url, received, total });
  });
  // Attached before any await, so an early failure is never an unhandled 'error' event.
  const done = process.getBuiltinModule("node:stream/promises").finished(body);
  done.catch(() => {});
  options.onEvent?.({ type: "start", url, offset: start, total });
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    if (start === 0) {
      const strong = response.validator?.startsWith("W/") ? undefined : response.validator;
      await writeFileAtomic(metaPath(part), JSON.stringify({ url, validator: strong })).catch((error: unknown) => {
        throw ioError("write", metaPath(part), error);
      });
    }
    try {
      handle = await open(part, start > 0 ? "a" : "w");
      if (pending.length > 0) {
        for (const chunk of pending.splice(0)) writeSync(handle.fd, chunk);
        options.onEvent?.({ type: "progress", url, received, total });
      }
    } catch (error) {
      throw ioError("write", part, error);
    }
    fd = handle.fd;
    await done;
    options.signal?.throwIfAborted();
  } catch (error) {
    discard(body);
    // A body that proved too large or too slow is not worth resuming.
    if (error instanceof RemoteError && !error.retryable) await discardPart(part);
    throw error;
  } finally {
    slow.stop();
    fd = null;
    await handle?.close().catch(() => {});
  }
  if (total !== null && received !== total) {
    throw new RemoteError(`body ended after ${received} of ${total} bytes`, true);
  }
}

/** Calls `fail` when fewer than the low-speed limit's bytes arrive in any window of its length. */
function lowSpeedWatch(options: HttpOptions, fail: (reason: string) => void): { count(n: number): void; stop(): void } {
  const limit = options.lowSpeedBytesPerSecond ?? 1024;
  const windowMs = options.lowSpeedTimeMs ?? 30_000;
  if (limit <= 0 || windowMs <= 0) return { count: () => {}, stop: () => {} };
  let windowStart = Date.now();
  let bytes = 0;
  const timer = setInterval(
    () => {
      const elapsed = Date.now() - windowStart;
      if (elapsed < windowMs) return;
      if ((bytes * 1000) / elapsed < limit) {
        fail(
          `slower than ${limit} bytes/s for ${windowMs / 1000} s (${bytes} bytes in ${(elapsed / 1000).toFixed(1)} s)`,
        );
      }
      windowStart = Date.now();
      bytes = 0;
    },
    Math.max(5, Math.min(1000, windowMs / 4)),
  );
  timer.unref();
  return {
    count: (n) => {
      bytes += n;
    },
    stop: () => clearInterval(timer),
  };
}

/** Stops reading a response we do not want, without an unhandled error event. */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => {});
  body.destroy();
}

function tooLarge(bytes: number, options: PartFetch): string {
  return options.describeCap?.(bytes) ?? `${bytes} bytes or more, more than the ${options.maxBytes} accepted`;
}

async function readMeta(part: string): Promise<PartMeta | null> {
  try {
    return JSON.parse(await readFile(metaPath(part), "utf8")) as PartMeta;
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
function asRemoteError(error: unknown, options: HttpOptions): RemoteError {
  if (error instanceof RemoteError) return error;
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
  return new RemoteError(reason, retryable, { cause: error });
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
