// Temporary scaffold so the program builds while the command is written; replaced by its owner.
import type { Command } from "commander";

export function registerPredict(program: Command): void {
  program.command("predict").description("(not yet written)");
}
