// Temporary scaffold so the program builds while the command is written; replaced by its owner.
import type { Command } from "commander";

export function registerDownload(program: Command): void {
  program.command("download").description("(not yet written)");
}
