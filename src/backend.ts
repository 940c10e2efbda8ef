// Choosing the backend that runs the hot path (`--backend`). Only this file knows which
// backends exist; the training loop sees the Backend interface of types.ts.
import { UsageError } from "./errors.js";
import { ReferenceBackend } from "./model/reference-backend.js";
import type { Backend } from "./types.js";

export type BackendName = "reference" | "wasm";

export const BACKEND_NAMES: readonly BackendName[] = ["reference", "wasm"];

/** The backend used when `--backend` is not given. */
export const DEFAULT_BACKEND: BackendName = "reference";

export interface BackendOptions {
  /** Worker threads a parallel backend may use (the reference ignores it: it is single-threaded). */
  threads: number;
}

export async function createBackend(name: BackendName, _options: BackendOptions): Promise<Backend> {
  switch (name) {
    case "reference":
      return new ReferenceBackend();
    case "wasm":
      throw new UsageError("--backend wasm is not available yet", { hint: "use --backend reference" });
  }
}
