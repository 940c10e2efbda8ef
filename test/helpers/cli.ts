// Runs the built CLI (`node bin/softmax.js`, after `npm run build`) as a child process, without
// blocking this process's event loop, so a test's local HTTP server keeps answering.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../bin/softmax.js", import.meta.url));
export const BUILT = existsSync(fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url)));

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stdout as bytes, for a command that writes a picture there. */
  stdoutBytes: Buffer;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with the child once it is spawned (e.g. to send it SIGINT). */
  onSpawn?: (child: ChildProcess) => void;
}

export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...options.env };
    // Defaults of the user's environment must not leak into the tests.
    for (const key of [
      "SOFTMAX_MIRROR",
      "SOFTMAX_DATA_DIR",
      "SOFTMAX_SYSTEM_DATA_DIR",
      "DEBUG",
      "HTTP_PROXY",
      "HTTPS_PROXY",
      "http_proxy",
      "https_proxy",
    ]) {
      if (options.env?.[key] === undefined) delete env[key];
    }
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status, signal) => {
      const stdoutBytes = Buffer.concat(stdout);
      resolve({ status, signal, stdout: stdoutBytes.toString("utf8"), stdoutBytes, stderr });
    });
    options.onSpawn?.(child);
  });
}

/** The non-empty lines of `text`. */
export function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}

/**
 * `stderr` without the lines a first run prints about the data ("using Fashion-MNIST from DIR;
 * caching 55 MB in DIR", "created DIR"), for tests about something else that start from an empty
 * data directory.
 */
export function besidesDataNotices(stderr: string): string {
  return stderr
    .split("\n")
    .filter((line) => !/^(using \S+ from .*; caching |created \/)/.test(line))
    .join("\n");
}
