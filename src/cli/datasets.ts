// `softmax datasets [--json]`: the registered datasets, their classes and sizes, where each is
// found locally and where it would be fetched from. Formatting only; the registry and the
// locations come from the library.
import type { Command } from "commander";
import { DATASETS, type DatasetSpec, dataDirFor, mirrorsFor, presentDirectory, systemDirFor } from "../index.js";
import { tildePath } from "./load-data.js";
import { Output } from "./output.js";

export function registerDatasets(program: Command): void {
  program
    .command("datasets")
    .description("List the datasets: classes, sizes, where each is found locally and fetched from.")
    .option("--json", "one NDJSON `dataset` event per dataset on stdout")
    .addHelpText(
      "after",
      `
Each command that reads a dataset takes --dataset NAME (default fashion-mnist).

Examples:
  softmax datasets
  softmax datasets --json | jq -r .name`,
    )
    .action(async (flags: { json?: boolean }) => {
      const output = new Output({ json: flags.json });
      for (const [index, dataset] of DATASETS.entries()) {
        await report(output, dataset, index > 0);
      }
    });
}

async function report(output: Output, dataset: DatasetSpec, gap: boolean): Promise<void> {
  const dataDir = dataDirFor(dataset, undefined);
  const systemDir = systemDirFor(dataset);
  const local = await presentDirectory(dataset, { dataDir, systemDir });
  const mirrors = mirrorsFor(dataset);
  const bytes = dataset.files.reduce((sum, file) => sum + file.rawBytes, 0);
  output.event("dataset", {
    name: dataset.name,
    title: dataset.title,
    classes: dataset.classes,
    bytes,
    files: dataset.files.map((file) => ({
      name: file.name,
      bytes: file.rawBytes,
      sha256: file.sha256 ?? null,
      gz_sha256: file.gz?.sha256 ?? null,
    })),
    local,
    data_dir: dataDir,
    system_dir: systemDir,
    mirrors,
    home: dataset.home,
    licence: dataset.licence,
  });
  if (gap) output.line("");
  output.line(`${dataset.name}  ${dataset.title}, ${dataset.licence}`);
  output.line(`  classes  ${dataset.classes.join(", ")}`);
  output.line(`  size     ${Math.round(bytes / 1e6)} MB raw, 60000 train and 10000 test images of 28×28`);
  output.line(
    `  local    ${local === null ? `not present (would be cached in ${tildePath(dataDir)})` : tildePath(local)}`,
  );
  output.line(
    `  fetched  from ${mirrors[0] ?? "nowhere (no mirror)"}${mirrors.length > 1 ? ` (+${mirrors.length - 1} more)` : ""}`,
  );
  output.line(`  home     ${dataset.home}`);
}
