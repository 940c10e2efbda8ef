// Choosing the backend that runs the hot path (`--backend`). Only this file knows which
// backends exist; the training loop sees the Backend interface of types.ts.
import { WasmBackend } from "./kernels/wasm-backend.js";
import type { KernelThread } from "./kernels/worker-thread.js";
import { ReferenceBackend } from "./model/reference-backend.js";
import type { Backend, KernelChoice } from "./types.js";

export type BackendName = "reference" | "wasm";

export const BACKEND_NAMES: readonly BackendName[] = ["reference", "wasm"];

/**
 * The backend used when `--backend` is not given: the WebAssembly SIMD kernels, which give the
 * reference's results within float32 rounding (test/kernels/) several times faster.
 */
export const DEFAULT_BACKEND: BackendName = "wasm";

export interface BackendOptions {
  /** Threads a parallel backend may use: wasm uses 1 or 2 (the reference ignores it: it is single-threaded). */
  threads: number;
  /** The wasm backend's kernel (types.ts KERNEL_CHOICES; default auto); the reference ignores it. */
  kernel?: KernelChoice;
  /**
   * A worker thread started ahead with `new KernelThread()`, for the wasm backend on 2 threads to
   * adopt (it starts its own otherwise). A backend that does not take it leaves it to the caller's
   * `release()`.
   */
  kernelThread?: KernelThread;
}

export async function createBackend(name: BackendName, options: BackendOptions): Promise<Backend> {
  switch (name) {
    case "reference":
      return new ReferenceBackend();
    case "wasm":
      return WasmBackend.create({
        threads: options.threads,
        kernel: options.kernel ?? "auto",
        kernelThread: options.kernelThread,
      });
  }
}
