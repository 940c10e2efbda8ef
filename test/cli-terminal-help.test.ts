// Help and usage errors at an 80-column terminal, through the built binary: every command's --help
// fits 80 columns when COLUMNS=80, every example in the help parses as the command it shows (flags
// known, values valid, no prose taken for arguments: comments come after #), the help's jq example
// prints what it says, and a usage error is one line pointing at that command's --help.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProgram } from "../src/cli/main.js";
import { runCli } from "./helpers/cli.js";
import { assertBuilt, realDataRequired } from "./helpers/pictures-cli.js";

let dir: string;
beforeAll(() => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "softmax-help-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every command of the program, as `softmax --help` lists them (new commands are covered). */
const COMMANDS = createProgram()
  .commands.map((command) => command.name())
  .filter((name) => name !== "help");

async function help(command: string | null, columns: number): Promise<string> {
  const r = await runCli(command === null ? ["--help"] : [command, "--help"], { env: { COLUMNS: String(columns) } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** The lines under "Examples:" (indented, up to the next blank line). */
function examples(text: string): string[] {
  const lines = text.split("\n");
  const start = lines.indexOf("Examples:");
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && line.trim() === "");
  return lines.slice(start + 1, end < 0 ? undefined : end).map((line) => line.trim());
}

/**
 * Splits a shell command line into words as sh would for these simple examples: quotes group,
 * `#` at the start of a word starts a comment, `|` ends a command, and `> FILE` is a redirection,
 * not a word. Returns each command's words.
 */
function shellCommands(line: string): string[][] {
  const commands: string[][] = [[]];
  let word: string | null = null;
  let quote: string | null = null;
  let redirect = false;
  const end = () => {
    if (word !== null && !redirect) commands.at(-1)!.push(word);
    if (word !== null) redirect = false;
    word = null;
  };
  for (const c of line) {
    if (quote !== null) {
      if (c === quote) quote = null;
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= "";
    } else if (c === " ") end();
    else if (c === "#" && word === null) break;
    else if (c === "|" && word === null) commands.push([]);
    else if (c === ">" && word === null) redirect = true;
    else word = (word ?? "") + c;
  }
  end();
  return commands.filter((words) => words.length > 0);
}

/** The program with every action replaced by nothing, and commander's output swallowed: parsing only. */
function parsingOnlyProgram(): Command {
  const program = createProgram();
  const silent = { writeOut: () => {}, writeErr: () => {}, outputError: () => {} };
  program.configureOutput(silent);
  for (const command of program.commands) command.configureOutput(silent).action(() => {});
  return program;
}

describe("--help at 80 columns", () => {
  for (const command of [null, ...COMMANDS]) {
    const name = command === null ? "softmax --help" : `softmax ${command} --help`;
    it(`${name} fits 80 columns, with copy-paste-safe examples`, async () => {
      const text = await help(command, 80);
      for (const line of text.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
      for (const example of examples(text)) {
        // Text after the command is a comment (# ...), never prose after a run of spaces.
        expect(example, example).not.toMatch(/\S {2,}[^#\s]/);
        for (const words of shellCommands(example)) {
          if (words[0] !== "softmax") continue;
          await expect(
            parsingOnlyProgram().parseAsync(words.slice(1), { from: "user" }),
            example,
          ).resolves.toBeDefined();
        }
      }
    });
  }

  it("wraps option descriptions to a narrower COLUMNS", async () => {
    const text = await help("train", 60);
    const options = text.split("\n").filter((line) => line.startsWith("  -"));
    expect(options.length).toBeGreaterThan(5);
    for (const line of options) expect(line.length, line).toBeLessThanOrEqual(60);
  });
});

describe("usage errors point at the command's --help", () => {
  const cases: [string[], RegExp][] = [
    [
      ["train", "--epoch", "3"],
      /^softmax: unknown option '--epoch' \(did you mean --epochs\?\); see 'softmax train --help'$/,
    ],
    [
      ["train", "--lr", "abc"],
      /^softmax: option '--lr <rate>' argument 'abc' is invalid.*; see 'softmax train --help'$/,
    ],
    [["evaluate", "a", "b"], /^softmax: too many arguments for 'evaluate'.*; see 'softmax evaluate --help'$/],
    [["trian"], /^softmax: unknown command 'trian' \(did you mean train\?\); see 'softmax --help'$/],
    [["predict", "shirt.png", "--n", "3"], /^softmax: --n selects dataset images.*; see 'softmax predict --help'$/],
  ];
  for (const [args, expected] of cases) {
    it(`softmax ${args.join(" ")}`, async () => {
      const r = await runCli(args, { cwd: dir });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.split("\n").filter((line) => line !== "");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(expected);
    });
  }
});

describe.skipIf(!realDataRequired())("the help's jq example", () => {
  it("prints one number: the final test accuracy", async () => {
    const example = examples(await help("train", 80)).find((line) => line.includes("| jq"));
    expect(example).toBeDefined();
    const [, jq] = shellCommands(example!);
    expect(jq![0]).toBe("jq");
    // The example's own pipeline, on a one-epoch run of the same command.
    const r = await runCli(
      ["train", "--epochs", "1", "--loss", "mse", "--json", "--quiet", "--data-dir", join(dir, "data")],
      {
        cwd: dir,
        env: { NO_COLOR: "1" },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const printed = execFileSync("jq", jq!.slice(1), { input: r.stdout, encoding: "utf8" });
    const done = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    expect(printed.trim().split("\n")).toEqual([String(done.test_acc)]);
  });
});

describe("a flag several commands share reads the same in each", () => {
  const program = createProgram();
  const options = (long: string) =>
    program.commands.flatMap((command) =>
      command.options
        .filter((option) => option.long === long)
        .map((option) => ({
          command: command.name(),
          flags: option.flags,
          help: option.description,
          default: option.defaultValue,
        })),
    );

  it.each(["--model", "--quiet", "--offline", "--data-dir"])("%s: one help and one default", (long) => {
    const all = options(long);
    expect(all.length).toBeGreaterThan(1);
    for (const option of all) expect({ ...option, command: all[0]!.command }).toEqual(all[0]);
  });

  it("the model evaluate and predict read by default is the one train writes by default", () => {
    const trainOut = program.commands
      .find((command) => command.name() === "train")!
      .options.find((o) => o.long === "--out");
    for (const model of options("--model")) expect(model.default).toBe(trainOut!.defaultValue);
  });
});
