// Temporary scaffold so the program builds while the command is written; replaced by its owner.
import type { Command } from "commander";

export function registerShow(program: Command): void {
  program.command("show").description("(not yet written)");
}
