// Temporary scaffold so the program builds while the command is written; replaced by its owner.
import type { Command } from "commander";

export function registerEvaluate(program: Command): void {
  program.command("evaluate").description("(not yet written)");
}
