// `softmax gradcheck`: cs231n's gradient check as a command. The library's gradientCheck compares
// the analytic gradient of each loss (with weight decay and label smoothing on) against centred
// finite differences; this file only picks the losses, prints one row (or NDJSON object) per loss
// and sets the exit status: 1 when any relative error reaches the tolerance.
import type { Command } from "commander";
import { GRADIENT_CHECK_TOLERANCE, gradientCheck, LOSS_NAMES, type LossName, SoftmaxError } from "../index.js";
import { oneOf } from "./options.js";
import { Output } from "./output.js";

interface GradcheckFlags {
  loss?: LossName;
  json?: boolean;
}

export function registerGradcheck(program: Command): void {
  program
    .command("gradcheck")
    .description(
      "Check each loss's analytic gradient against centred finite differences (float64, cs231n), with weight decay and label smoothing on.",
    )
    .option(
      "--loss <name>",
      `check only this loss (${LOSS_NAMES.join(", ")}; default: all)`,
      oneOf<LossName>(LOSS_NAMES),
    )
    .option("--json", "print one NDJSON `gradcheck` object per loss")
    .addHelpText(
      "after",
      `
Examples:
  softmax gradcheck                      # every loss, one line each
  softmax gradcheck --loss mse --json

The relative error of each checked weight and bias is |a - n| / max(|a|, |n|)
(analytic a, numeric n); the largest is printed. Exit status 1 when one reaches
${GRADIENT_CHECK_TOLERANCE}.`,
    )
    .action((flags: GradcheckFlags) => {
      const output = new Output({ json: flags.json });
      const losses = flags.loss === undefined ? LOSS_NAMES : [flags.loss];
      const width = Math.max(...losses.map((loss) => loss.length));
      output.line(`${"loss".padEnd(width)}  max rel error  checked`);
      const failed: string[] = [];
      for (const loss of losses) {
        const result = gradientCheck({ loss });
        const ok = result.maxRelError < GRADIENT_CHECK_TOLERANCE;
        if (!ok) {
          const { parameter, index, analytic, numeric } = result.worst;
          failed.push(`${loss} (${parameter}[${index}]: analytic ${analytic}, numeric ${numeric})`);
        }
        output.line(
          `${loss.padEnd(width)}  ${result.maxRelError.toExponential(2).padEnd(13)}  ${String(result.checked).padEnd(7)}  ${ok ? "ok" : "FAILED"}`,
        );
        output.event("gradcheck", { loss, max_rel_error: result.maxRelError, checked: result.checked, ok });
      }
      if (failed.length > 0) {
        throw new SoftmaxError(
          `gradient check failed: relative error >= ${GRADIENT_CHECK_TOLERANCE} for ${failed.join("; ")}`,
          { hint: "the analytic gradient of that loss (src/model/) disagrees with its loss function" },
        );
      }
    });
}
