// Loading the WebAssembly kernel (softmax.wat, embedded as base64 by scripts/build-wasm.js) and
// the shared memory it runs in. Types for the part of the WebAssembly API used here, since the
// project's lib settings have no DOM types. It is not the training logic (wasm-backend.ts is).
import { SOFTMAX_WASM_BASE64 } from "./softmax-wasm.js";

/** The exports of softmax.wat; pointers are byte offsets into the shared memory (see its header). */
export interface KernelExports {
  forward_partial(
    images: number,
    order: number,
    start: number,
    count: number,
    col0: number,
    w: number,
    x: number,
    xstep: number,
    part: number,
  ): void;
  loss_step(
    part0: number,
    part1: number,
    bias: number,
    labels: number,
    order: number,
    start: number,
    count: number,
    eps: number,
    g: number,
    out: number,
    scratch: number,
    lossCode: number,
  ): void;
  bias_update(g: number, count: number, bias: number, lr: number): void;
  backward_update(x: number, count: number, g: number, w: number, lr: number, wd: number, norm: number): void;
  accumulate(src: number, sum: number, n: number): void;
  count_correct(part0: number, part1: number, bias: number, labels: number, count: number, predicted: number): number;
  /** Barrier: thread `mine` (0 main, 1 worker) reached barrier n; returns once the other has too. */
  await_peer(mine: number, n: number): void;
  /** Step s of the epoch whose arguments (abi.ts StepArgs) are at args: 1 applied, 0 non-finite logits, −1 worker failed. */
  main_step(args: number, s: number): number;
  /** The worker's whole epoch (abi.ts StepArgs at args). */
  worker_epoch(args: number): void;
  log(x: number): number;
}

/** A WebAssembly.Memory created with `shared: true`. */
export interface SharedMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}

/** A compiled WebAssembly.Module (opaque; it can be posted to a worker). */
export interface CompiledModule {
  readonly __compiledModule: unique symbol;
}

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => CompiledModule;
  Instance: new (module: CompiledModule, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => SharedMemory;
}

const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** Bytes per WebAssembly page. */
export const PAGE_BYTES = 65536;
/** Upper bound of the shared memory (1 GiB of address space; only the pages grown into are used). */
export const MAX_PAGES = 16384;

let compiled: CompiledModule | null = null;

/** The kernel module, compiled once per thread that asks. */
export function compileKernel(): CompiledModule {
  compiled ??= new wasm.Module(Buffer.from(SOFTMAX_WASM_BASE64, "base64"));
  return compiled;
}

export function createSharedMemory(pages: number): SharedMemory {
  return new wasm.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
}

export function instantiateKernel(module: CompiledModule, memory: SharedMemory): KernelExports {
  return new wasm.Instance(module, { env: { memory } }).exports as KernelExports;
}
