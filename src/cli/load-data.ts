// Loading Fashion-MNIST for a command: resolves the data directory from the flags and turns the
// data layer's events into stderr lines and download progress bars. Formatting only.

import type { DataEvent } from "../data/events.js";
import { loadFashionMnist } from "../data/resolve.js";
import type { FashionMnist } from "../types.js";
import { type DataOptions, dataDirFrom } from "./options.js";
import type { Output, Progress } from "./output.js";

export async function loadDataForCommand(options: DataOptions, output: Output): Promise<FashionMnist> {
  const bars = new Map<string, Progress>();
  const onEvent = (event: DataEvent): void => {
    switch (event.type) {
      case "download-start":
        output.info(`downloading ${event.name} from ${event.url}`);
        if (event.total !== null) {
          const bar = output.progress(event.name, event.total, " bytes");
          if (bar) bars.set(event.name, bar);
        }
        break;
      case "download-progress":
        bars.get(event.name)?.update(event.received, event.total ?? undefined);
        break;
      case "file":
        bars.get(event.name)?.stop();
        bars.delete(event.name);
        if (event.origin === "mirror") output.info(`downloaded ${event.name} to ${event.path}`);
        break;
      case "retry":
        output.info(`retrying ${event.url} in ${Math.round(event.delayMs)} ms (${event.reason})`);
        break;
      case "mirror-failed":
        output.info(`mirror failed for ${event.name}: ${event.url} (${event.reason})`);
        break;
      case "waiting":
        output.info(`waiting for process ${event.pid}, which is fetching ${event.name}`);
        break;
      case "warning":
        output.warn(event.message);
        break;
    }
  };
  try {
    return await loadFashionMnist({ dataDir: dataDirFrom(options), offline: options.offline === true, onEvent });
  } finally {
    for (const bar of bars.values()) bar.stop();
  }
}
