// `softmax completion bash|zsh|fish`: prints a shell completion script generated from the commander
// program itself (its commands, flags, the choices of flags such as --loss, file and directory
// names for path values), so a new command or flag is completed without editing this file.
// The scripts are static: regenerate them after an upgrade (or `eval` them at shell start-up, as
// docs/terminal.md shows). This file only reads the program's definition and prints text.
import { Argument, type Command, type Option } from "commander";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

/** What a flag's value or a positional argument completes to. */
export type ValueKind =
  | { readonly kind: "choices"; readonly words: readonly string[] }
  | { readonly kind: "file" }
  | { readonly kind: "directory" }
  /** A number, a URL...: a value is expected but nothing can be suggested. */
  | { readonly kind: "any" };

export interface FlagSpec {
  /** "-o", or undefined. */
  readonly short?: string;
  /** "--out", or undefined. */
  readonly long?: string;
  readonly description: string;
  /** null for a switch that takes no value. */
  readonly value: ValueKind | null;
  /** The value's name in the help ("file" for `--out <file>`). */
  readonly valueName: string;
  /** Whether the flag may be given more than once (its values are collected into a list). */
  readonly repeatable: boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly description: string;
  readonly flags: readonly FlagSpec[];
  /** What the positional arguments complete to, or null when the command takes none. */
  readonly positional: ValueKind | null;
}

export interface ProgramSpec {
  readonly name: string;
  readonly flags: readonly FlagSpec[];
  readonly commands: readonly CommandSpec[];
}

export function registerCompletion(program: Command): void {
  program
    .command("completion")
    .description("Print a completion script for bash, zsh or fish (see docs/terminal.md to install it).")
    .addArgument(new Argument("<shell>", "the shell to complete in").choices(SHELLS))
    .addHelpText(
      "after",
      `
Examples:
  eval "$(softmax completion bash)"      # in ~/.bashrc
  softmax completion bash > ~/.local/share/bash-completion/completions/softmax
  softmax completion zsh > "\${fpath[1]}/_softmax"   # then restart zsh
  softmax completion fish > ~/.config/fish/completions/softmax.fish`,
    )
    .action((shell: Shell, _flags: unknown, self: Command) => {
      const root = self.parent ?? self;
      process.stdout.write(completionScript(describeProgram(root), shell));
    });
}

export function completionScript(spec: ProgramSpec, shell: Shell): string {
  switch (shell) {
    case "bash":
      return bashScript(spec);
    case "zsh":
      return zshScript(spec);
    case "fish":
      return fishScript(spec);
  }
}

/** Reads the commands and flags the help would show (hidden ones are left out, as in --help). */
export function describeProgram(program: Command): ProgramSpec {
  const help = program.createHelp();
  const commands = help.visibleCommands(program);
  const names = commands.map((command) => command.name());
  return {
    name: program.name(),
    flags: help.visibleOptions(program).map(flagSpec),
    commands: commands.map((command) => {
      const args = command.registeredArguments;
      // The implicit `help [command]` completes to the other commands' names.
      const positional =
        command.name() === "help" && args.length > 0
          ? { kind: "choices" as const, words: names.filter((name) => name !== "help") }
          : args.length > 0
            ? argumentKind(args[0]!)
            : null;
      return {
        name: command.name(),
        description: firstLine(command.description()),
        flags: help.visibleOptions(command).map(flagSpec),
        positional,
      };
    }),
  };
}

function flagSpec(option: Option): FlagSpec {
  const takesValue = option.required || option.optional;
  const valueName = placeholder(option.flags);
  return {
    short: option.short,
    long: option.long,
    description: firstLine(option.description),
    value: takesValue ? valueKind(option.argChoices, valueName) : null,
    valueName,
    repeatable: Array.isArray(option.defaultValue) || option.variadic,
  };
}

function argumentKind(argument: Argument): ValueKind {
  return valueKind(argument.argChoices, argument.name());
}

/** "--out <file.png>" → "file.png". */
function placeholder(flags: string): string {
  return /[<[]([^>\]]+)[>\]]/.exec(flags)?.[1] ?? "";
}

/** Choices come from the option; otherwise the value's name says whether it is a path. */
function valueKind(choices: readonly string[] | undefined, name: string): ValueKind {
  if (choices !== undefined && choices.length > 0) return { kind: "choices", words: choices };
  if (/dir/i.test(name)) return { kind: "directory" };
  if (/file|model|image|path|\.png/i.test(name)) return { kind: "file" };
  return { kind: "any" };
}

function firstLine(text: string): string {
  return text.split("\n")[0]!.trim();
}

function flagNames(flag: FlagSpec): string[] {
  return [flag.short, flag.long].filter((name): name is string => name !== undefined);
}

// ---------------------------------------------------------------------------------------------- bash

/** A word safe inside single quotes in bash and zsh. */
function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function bashScript(spec: ProgramSpec): string {
  const fn = `_${spec.name.replace(/\W/g, "_")}`;
  const topWords = [...spec.commands.map((c) => c.name), ...spec.flags.flatMap(flagNames)];
  const cases = spec.commands.map((command) => {
    const valueCases = command.flags
      .filter((flag) => flag.value !== null)
      .map((flag) => `        ${flagNames(flag).join("|")}) ${bashReply(flag.value!, fn)}; return ;;`);
    const positional = command.positional === null ? "" : bashReply(command.positional, fn);
    return [
      `    ${command.name})`,
      ...(valueCases.length > 0 ? ["      case $prev in", ...valueCases, "      esac"] : []),
      "      case $cur in",
      `        -*) ${fn}_reply -W ${shQuote(command.flags.flatMap(flagNames).join(" "))} ;;`,
      ...(positional === "" ? [] : [`        *) ${positional} ;;`]),
      "      esac",
      "      ;;",
    ].join("\n");
  });
  return `# bash completion for ${spec.name}, generated by \`${spec.name} completion bash\` from its commands.
# Install: eval "$(${spec.name} completion bash)" in ~/.bashrc, or save it as
# ~/.local/share/bash-completion/completions/${spec.name} (docs/terminal.md).

# Sets COMPREPLY to the lines compgen prints (file names may hold spaces; bash 3.2 has no mapfile).
${fn}_reply() {
  local line
  COMPREPLY=()
  while IFS= read -r line; do COMPREPLY+=("$line"); done < <(compgen "$@" -- "$cur")
}

${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd="" i
  # --flag=value: bash splits the = into a word of its own.
  if [[ $cur == "=" ]]; then
    cur=""
  elif [[ $prev == "=" && $COMP_CWORD -ge 2 ]]; then
    prev=\${COMP_WORDS[COMP_CWORD-2]}
  fi
  # The command is the first word that is not a flag (no top-level flag takes a value).
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in
      -*) ;;
      *) cmd=\${COMP_WORDS[i]}; break ;;
    esac
  done
  case $cmd in
    "")
      ${fn}_reply -W ${shQuote(topWords.join(" "))}
      ;;
${cases.join("\n")}
  esac
}

complete -F ${fn} ${spec.name}
`;
}

function bashReply(kind: ValueKind, fn: string): string {
  switch (kind.kind) {
    case "choices":
      return `${fn}_reply -W ${shQuote(kind.words.join(" "))}`;
    case "file":
      // -o filenames: a slash after directories, and names quoted as the shell needs.
      return `compopt -o filenames 2>/dev/null; ${fn}_reply -f`;
    case "directory":
      return `compopt -o filenames 2>/dev/null; ${fn}_reply -d`;
    case "any":
      return "COMPREPLY=()";
  }
}

// ----------------------------------------------------------------------------------------------- zsh

/** Text inside an _arguments description: brackets and colons would end it early. */
function zshDescription(text: string): string {
  return text.replace(/[\\[\]:]/g, (c) => `\\${c}`);
}

function zshAction(kind: ValueKind, message: string): string {
  switch (kind.kind) {
    case "choices":
      return `:${message}:(${kind.words.join(" ")})`;
    case "file":
      return `:${message}:_files`;
    case "directory":
      return `:${message}:_files -/`;
    case "any":
      // A single space: zsh shows the message and suggests nothing.
      return `:${message}: `;
  }
}

/** One _arguments spec per name: `--out=[where to save]:file:_files`. */
function zshFlagSpecs(flag: FlagSpec): string[] {
  const description = `[${zshDescription(flag.description)}]`;
  const repeat = flag.repeatable ? "*" : "";
  return flagNames(flag).map((name) => {
    if (flag.value === null) return shQuote(`${repeat}${name}${description}`);
    // --long= takes its value after = or as the next word; -s takes it as the next word.
    const joiner = name.startsWith("--") ? "=" : "";
    return shQuote(
      `${repeat}${name}${joiner}${description}${zshAction(flag.value, flag.valueName.replace(/[^\w.-]/g, "") || "value")}`,
    );
  });
}

function zshScript(spec: ProgramSpec): string {
  const fn = `_${spec.name.replace(/\W/g, "_")}`;
  const commandList = spec.commands.map((c) => `    ${shQuote(`${c.name}:${c.description}`)}`);
  const functions = spec.commands.map((command) => {
    const specs = command.flags.flatMap(zshFlagSpecs);
    if (command.positional !== null) specs.push(shQuote(`*${zshAction(command.positional, "argument")}`));
    return `${fn}_${command.name.replace(/\W/g, "_")}() {
  _arguments -s \\
${specs.map((s) => `    ${s}`).join(" \\\n")}
}`;
  });
  const dispatch = spec.commands.map((c) => `        ${c.name}) ${fn}_${c.name.replace(/\W/g, "_")} ;;`);
  return `#compdef ${spec.name}
# zsh completion for ${spec.name}, generated by \`${spec.name} completion zsh\` from its commands.
# Install: save it as _${spec.name} in a directory of $fpath, or eval "$(${spec.name} completion zsh)"
# in ~/.zshrc after compinit (docs/terminal.md).

${fn}() {
  local curcontext="$curcontext" state line
  _arguments -C \\
${spec.flags
  .flatMap(zshFlagSpecs)
  .map((s) => `    ${s} \\`)
  .join("\n")}
    '1: :->command' \\
    '*:: :->argument'
  case $state in
    command)
      local -a commands
      commands=(
${commandList.join("\n")}
      )
      _describe -t commands '${spec.name} command' commands
      ;;
    argument)
      case $line[1] in
${dispatch.join("\n")}
      esac
      ;;
  esac
}

${functions.join("\n\n")}

# Loaded from $fpath, the file is the body of ${fn}; eval'd, it defines the functions and registers them.
if [[ $funcstack[1] == ${fn} ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${spec.name}
fi
`;
}

// ---------------------------------------------------------------------------------------------- fish

function fishQuote(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

function fishFlag(condition: string, flag: FlagSpec, name: string): string {
  const parts = [`complete -c ${name} -n ${fishQuote(condition)}`];
  if (flag.short !== undefined) parts.push(`-s ${flag.short.slice(1)}`);
  if (flag.long !== undefined) parts.push(`-l ${flag.long.slice(2)}`);
  if (flag.value !== null) parts.push(fishValue(flag.value));
  parts.push(`-d ${fishQuote(flag.description)}`);
  return parts.join(" ");
}

/** -r: the flag takes a value; -F: file names for it; -x: a value, but no file names. */
function fishValue(kind: ValueKind): string {
  switch (kind.kind) {
    case "choices":
      return `-x -a ${fishQuote(kind.words.join(" "))}`;
    case "file":
      return "-r -F";
    case "directory":
      return "-x -a '(__fish_complete_directories)'";
    case "any":
      return "-x";
  }
}

function fishScript(spec: ProgramSpec): string {
  const name = spec.name;
  const lines = [
    `# fish completion for ${name}, generated by \`${name} completion fish\` from its commands.`,
    `# Install: ${name} completion fish > ~/.config/fish/completions/${name}.fish (docs/terminal.md).`,
    "",
    "# No file names unless an argument asks for them.",
    `complete -c ${name} -f`,
    ...spec.flags.map((flag) => fishFlag("__fish_use_subcommand", flag, name)),
  ];
  for (const command of spec.commands) {
    lines.push(`complete -c ${name} -n __fish_use_subcommand -a ${command.name} -d ${fishQuote(command.description)}`);
  }
  for (const command of spec.commands) {
    const condition = `__fish_seen_subcommand_from ${command.name}`;
    lines.push("", ...command.flags.map((flag) => fishFlag(condition, flag, name)));
    const positional = command.positional;
    if (positional?.kind === "choices") {
      lines.push(`complete -c ${name} -n ${fishQuote(condition)} -a ${fishQuote(positional.words.join(" "))}`);
    } else if (positional?.kind === "file") {
      lines.push(`complete -c ${name} -n ${fishQuote(condition)} -F`);
    } else if (positional?.kind === "directory") {
      lines.push(`complete -c ${name} -n ${fishQuote(condition)} -a '(__fish_complete_directories)'`);
    }
  }
  return `${lines.join("\n")}\n`;
}
