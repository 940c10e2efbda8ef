// Exit statuses and error output of `softmax download` through the built binary: 2 and one line
// for usage errors, 1 and one line for runtime failures, never a stack trace.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILT, lines, runCli } from "./helpers/cli.js";
import { startServer, type TestServer } from "./helpers/http-server.js";

if (!BUILT) console.log("skipping CLI tests: run `npm run build` first (npm test does)");

describe.skipIf(!BUILT)("softmax download: errors", () => {
  let dir: string;
  let notFound: TestServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "softmax-cli-errors-"));
    await writeFile(join(dir, "a-file"), ""); // a path under a regular file cannot become a directory
    notFound = await startServer((_, response) => response.writeHead(404).end());
  });
  afterAll(async () => {
    await notFound.close();
    await rm(dir, { recursive: true, force: true });
  });

  const usage: [string, string[], RegExp][] = [
    ["an unknown flag", ["--bogus"], /^softmax: unknown option '--bogus'/],
    ["a stray argument", ["extra"], /^softmax: too many arguments for 'download'/],
    [
      "a mirror that is not a URL",
      ["--mirror", "not a url"],
      /--mirror <url>.*invalid\. expected an http:\/\/ or https:\/\/ URL/,
    ],
    ["a mirror that is not HTTP", ["--mirror", "ftp://example.org/"], /expected an http:\/\/ or https:\/\/ URL/],
    [
      "--from with --mirror",
      ["--from", "/tmp", "--mirror", "http://127.0.0.1:1/"],
      /cannot be used with option '--mirror/,
    ],
    ["--data-dir without a value", ["--data-dir"], /^softmax: option '--data-dir <dir>' argument missing/],
  ];

  it.each(usage)("exits 2 with one line for %s", async (_, args, message) => {
    const result = await runCli(["download", ...(args.includes("--data-dir") ? args : [...args, "--data-dir", dir])]);
    expect(result.status).toBe(2);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
  });

  const runtime: [string, () => string[], RegExp][] = [
    [
      "every mirror failing",
      () => ["--mirror", notFound.url, "--data-dir", dir],
      /^softmax: cannot download train-images-idx3-ubyte from any mirror: http:\/\/127\.0\.0\.1:\d+\/train-images-idx3-ubyte\.gz: HTTP 404 \(check the network/,
    ],
    [
      "--from a missing directory",
      () => ["--from", join(dir, "nowhere"), "--data-dir", dir],
      /holds neither train-images-idx3-ubyte nor/,
    ],
    [
      "a data directory that cannot be created",
      () => ["--data-dir", join(dir, "a-file", "data")],
      /cannot create the data directory .*a-file\/data: not a directory \(ENOTDIR\)/,
    ],
  ];

  it.each(runtime)("exits 1 with one line for %s", async (_, args, message) => {
    const result = await runCli(["download", "--quiet", ...args()]);
    expect(result.status).toBe(1);
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it("takes the mirror list from $SOFTMAX_MIRROR", async () => {
    const result = await runCli(["download", "--quiet", "--data-dir", dir], {
      env: { SOFTMAX_MIRROR: `${notFound.url}a/, ${notFound.url}b/` },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `${notFound.url}a/train-images-idx3-ubyte.gz: HTTP 404; ${notFound.url}b/train-images-idx3-ubyte.gz: HTTP 404`,
    );
  });

  it("logs each failed mirror on stderr without --quiet, the error last", async () => {
    const result = await runCli(["download", "--mirror", notFound.url, "--data-dir", dir]);
    expect(result.status).toBe(1);
    const stderr = lines(result.stderr);
    expect(stderr).toContain(`${notFound.url}train-images-idx3-ubyte.gz failed: HTTP 404; trying the next mirror`);
    expect(stderr.at(-1)).toMatch(/^softmax: cannot download/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
