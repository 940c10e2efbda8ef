// The published package: `npm pack` gives a tarball that installs globally and runs from any
// directory (the launcher, dist/ and package.json are in it; devDependencies are not needed).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt, ROOT } from "./helpers/pictures-cli.js";

let dir: string;

beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "softmax-pack-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function npm(args: readonly string[], cwd: string) {
  const result = spawnSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`npm ${args.join(" ")} failed: ${result.stderr}`);
  return result;
}

describe("npm pack", () => {
  it("installs globally from the tarball and runs `softmax --help` from another directory", () => {
    // dist/ is already built by `npm test`; --ignore-scripts skips building it again.
    npm(["pack", "--ignore-scripts", "--pack-destination", dir], ROOT);
    const tarball = readdirSync(dir).find((name) => name.endsWith(".tgz"));
    expect(tarball).toBeDefined();
    const prefix = join(dir, "global");
    npm(["install", "--global", "--prefix", prefix, "--prefer-offline", join(dir, tarball!)], dir);

    const elsewhere = mkdtempSync(join(dir, "cwd-"));
    const help = spawnSync(join(prefix, "bin", "softmax"), ["--help"], { cwd: elsewhere, encoding: "utf8" });
    expect(help.stderr).toBe("");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: softmax \[options\] \[command\]/);
    for (const command of ["download", "train", "evaluate", "predict", "show"]) expect(help.stdout).toContain(command);

    const version = spawnSync(join(prefix, "bin", "softmax"), ["--version"], { cwd: elsewhere, encoding: "utf8" });
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });
});
