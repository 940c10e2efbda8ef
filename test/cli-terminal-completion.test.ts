// End-to-end tests of `softmax completion bash|zsh|fish` through the built binary: each script is
// checked for syntax by its shell and then asked for completions, as a shell would at a Tab press
// (bash through its completion function, fish through `complete -C`, zsh in a pseudo-terminal).
// A shell that is not installed is skipped with a note; bash is always there.
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOSS_NAMES } from "../src/types.js";
import { runCli } from "./helpers/cli.js";
import { assertBuilt } from "./helpers/pictures-cli.js";

const run = promisify(execFile);

function installed(shell: string): boolean {
  const found = spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0;
  if (!found)
    console.log(`skipping the ${shell} completion checks: ${shell} is not installed (apt-get install ${shell})`);
  return found;
}

let dir: string;
const scripts: Record<string, string> = {};
beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), "softmax-completion-"));
  // Files to complete: a name with a space, a model, a directory.
  writeFileSync(join(dir, "my shirt.png"), "");
  writeFileSync(join(dir, "model.safetensors"), "");
  mkdirSync(join(dir, "runs"));
  for (const shell of ["bash", "zsh", "fish"]) {
    const r = await runCli(["completion", shell]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    scripts[shell] = join(dir, `softmax.${shell}`);
    writeFileSync(scripts[shell], r.stdout);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the bash completion function offers for the words typed (the last one being completed). */
function bashComplete(words: readonly string[]): string[] {
  const script = `source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=()
_softmax
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync("bash", ["-c", script, "bash", scripts.bash!, ...words], { cwd: dir, encoding: "utf8" });
  expect(r.stderr).toBe("");
  return r.stdout.split("\n").filter((line) => line !== "");
}

describe("softmax completion bash", () => {
  it("passes bash -n and knows --epochs", () => {
    const r = spawnSync("bash", ["-n", scripts.bash!], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(bashComplete(["softmax", "train", "--ep"])).toEqual(["--epochs"]);
  });

  it("completes commands, flags and the choices of a flag", () => {
    expect(bashComplete(["softmax", ""])).toEqual(
      expect.arrayContaining(["train", "evaluate", "completion", "--help"]),
    );
    expect(bashComplete(["softmax", "ev"])).toEqual(["evaluate"]);
    expect(bashComplete(["softmax", "train", "--loss", ""])).toEqual([...LOSS_NAMES]);
    // --flag=value: bash hands the = over as a word of its own.
    expect(bashComplete(["softmax", "train", "--loss", "=", "m"])).toEqual(["mse"]);
    expect(bashComplete(["softmax", "completion", ""])).toEqual(["bash", "zsh", "fish"]);
    expect(bashComplete(["softmax", "help", "pr"])).toEqual(["predict"]);
  });

  it("completes file names for paths, directories for --data-dir, nothing for a number", () => {
    expect(bashComplete(["softmax", "predict", "my"])).toEqual(["my shirt.png"]);
    expect(bashComplete(["softmax", "train", "--resume", "mo"])).toEqual(["model.safetensors"]);
    expect(bashComplete(["softmax", "train", "--data-dir", ""])).toEqual(["runs"]);
    expect(bashComplete(["softmax", "train", "--epochs", ""])).toEqual([]);
  });

  it("follows the program: every command and every flag of train is in the script", async () => {
    const help = await runCli(["train", "--help"]);
    const flags = [...help.stdout.matchAll(/--[a-z][a-z-]+/g)].map((m) => m[0]);
    const offered = bashComplete(["softmax", "train", "-"]);
    for (const flag of new Set(flags)) if (!flag.startsWith("--no-")) expect(offered).toContain(flag);
  });
});

describe.runIf(installed("fish"))("softmax completion fish", () => {
  function fishComplete(line: string): string[] {
    const r = spawnSync("fish", ["--no-config", "-c", `source $argv[1]; complete -C $argv[2]`, scripts.fish!, line], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    return r.stdout
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.split("\t")[0]!);
  }

  it("passes fish -n and completes commands, flags, choices and files", () => {
    const r = spawnSync("fish", ["-n", scripts.fish!], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(fishComplete("softmax tr")).toEqual(["train"]);
    expect(fishComplete("softmax train --epo")).toEqual(["--epochs"]);
    expect(fishComplete("softmax train --loss ")).toEqual([...LOSS_NAMES].sort());
    expect(fishComplete("softmax predict my")).toEqual(["my shirt.png"]);
    expect(fishComplete("softmax completion ")).toEqual(["bash", "fish", "zsh"]);
  });
});

/**
 * zsh completes only inside its line editor: start an interactive zsh in a pseudo-terminal (zpty),
 * load the script after compinit, type the line, press a key bound to completion, and print every
 * candidate given to compadd between markers.
 */
const ZSH_CAPTURE = `
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1= ; autoload -Uz compinit; compinit -u -D"
zpty -w z "source \${(q)1}"
zpty -w z 'compadd () { builtin compadd -O __hits "$@"; local h; for h in $__hits; do print -r -- "<<$h>>"; done; builtin compadd "$@" }'
zpty -w z 'zle -C __capture complete-word _main_complete; bindkey "^X" __capture'
zpty -w z "$2"$'\\C-x'
zpty -w z $'\\C-u'"print __END__"
out=""
while zpty -r z line; do
  out+="$line"
  [[ $line == *__END__* && $line != *print* ]] && break
done
print -r -- "$out" | grep -o '<<[^>]*>>'
zpty -d z
`;

describe.runIf(installed("zsh"))("softmax completion zsh", () => {
  async function zshComplete(line: string): Promise<string[]> {
    const capture = join(dir, "capture.zsh");
    const { stdout } = await run("zsh", ["-f", capture, scripts.zsh!, line], { cwd: dir, timeout: 30_000 });
    // zsh quotes what it inserts (my\ shirt.png), and _arguments may offer --flag and --flag=:
    // the set of unquoted words is what the user is offered.
    const words = [...stdout.matchAll(/<<(.*?)>>/g)].map((m) => m[1]!.replace(/\\(.)/g, "$1"));
    return [...new Set(words)].filter((word) => word !== "$h");
  }

  it("passes zsh -n and completes commands, flags, choices and files", async () => {
    writeFileSync(join(dir, "capture.zsh"), ZSH_CAPTURE);
    const r = spawnSync("zsh", ["-n", scripts.zsh!], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    // Each completion starts an interactive zsh; run them side by side.
    const [commands, flags, choices, files] = await Promise.all(
      ["softmax tr", "softmax train --epo", "softmax train --loss ", "softmax predict my"].map(zshComplete),
    );
    expect(commands).toEqual(["train"]);
    expect(flags).toEqual(["--epochs"]);
    expect([...choices!].sort()).toEqual([...LOSS_NAMES].sort());
    expect(files).toEqual(["my shirt.png"]);
  });
});

describe("softmax completion: usage", () => {
  it("rejects an unknown shell with exit 2, naming the choices", async () => {
    const r = await runCli(["completion", "powershell"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bash, zsh, fish/);
    expect(r.stdout).toBe("");
  });
});
