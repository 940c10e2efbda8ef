// Temporary scaffold so the program builds while the command is written; replaced by its owner.
import type { Command } from "commander";

export function registerTrain(program: Command): void {
  program.command("train").description("(not yet written)");
}
