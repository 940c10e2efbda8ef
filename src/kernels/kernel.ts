// Loading the WebAssembly kernel (softmax.wat, embedded as base64 by scripts/build-wasm.js) and
// the shared memory it runs in; choosing between its two builds, plain SIMD and fused
// multiply-add (relaxed SIMD). Types for the part of the WebAssembly API used here, since the
// project's lib settings have no DOM types. It is not the training logic (wasm-backend.ts is).
import { setFlagsFromString } from "node:v8";
import { UsageError } from "../errors.js";
import type { KernelChoice, KernelName } from "../types.js";
import { SOFTMAX_FMA_WASM_BASE64, SOFTMAX_WASM_BASE64 } from "./softmax-wasm.js";

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
  /**
   * Thread `mine`'s part of a step's forward pass on two threads (StepArgs at args; n the step's
   * barrier number): its own half's units, then what is left of the peer's once the peer's W is current.
   */
  forward_shared(
    args: number,
    mine: number,
    n: number,
    start: number,
    count: number,
    partOwn: number,
    partPeer: number,
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
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => CompiledModule;
  compile(bytes: Uint8Array): Promise<CompiledModule>;
  Instance: new (module: CompiledModule, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => SharedMemory;
}

const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** Bytes per WebAssembly page. */
export const PAGE_BYTES = 65536;
/** Upper bound of the shared memory (1 GiB of address space; only the pages grown into are used). */
export const MAX_PAGES = 16384;

// The builds of softmax.wat (types.ts KernelName). plain: 128-bit SIMD, every multiply-add
// rounded twice, the same bits on every machine. fma: the forward and backward multiply-adds as
// relaxed SIMD's f32x4.relaxed_madd, which the engine fuses (one rounding) where the CPU has FMA,
// so its results depend on the machine (the same bits for the same machine class, whatever the
// threads).

/** (module (func (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2)))) */
const RELAXED_SIMD_PROBE = Buffer.from(
  "0061736d0100000001080160037b7b7b017b030201000a0d010b00200020012002fd85020b",
  "hex",
);

let relaxedSimd: boolean | undefined;

/**
 * Whether this engine runs relaxed SIMD (on by default from Node 21). On Node 20 it is behind
 * V8's --experimental-wasm-relaxed-simd, which NODE_OPTIONS refuses: it is turned on here, before
 * any kernel is compiled (V8 flags are process-wide, so the worker thread has it too).
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxedSimd === undefined) {
    relaxedSimd = wasm.validate(RELAXED_SIMD_PROBE);
    if (!relaxedSimd) {
      setFlagsFromString("--experimental-wasm-relaxed-simd");
      relaxedSimd = wasm.validate(RELAXED_SIMD_PROBE);
    }
  }
  return relaxedSimd;
}

/** The kernel a choice runs here: auto is fma where relaxed SIMD is available. Throws UsageError for fma where it is not. */
export function resolveKernel(choice: KernelChoice): KernelName {
  if (choice === "plain") return "plain";
  if (relaxedSimdAvailable()) return "fma";
  if (choice === "fma") {
    throw new UsageError(`--kernel fma: this Node's WebAssembly has no relaxed SIMD (Node ${process.version})`, {
      hint: "use --kernel plain or auto",
    });
  }
  return "plain";
}

const compiled = new Map<KernelName, CompiledModule>();
const compiling = new Map<KernelName, Promise<CompiledModule>>();
/** Background compilations under way with V8's eager flags set (see compileKernelInBackground). */
let eagerCompilations = 0;

/** The kernel's bytes; throws the explanation for fma where this engine has no relaxed SIMD. */
function kernelBytes(name: KernelName): Uint8Array {
  if (name === "fma" && !relaxedSimdAvailable()) resolveKernel("fma");
  return Buffer.from(name === "fma" ? SOFTMAX_FMA_WASM_BASE64 : SOFTMAX_WASM_BASE64, "base64");
}

/** The kernel module, compiled once per thread that asks (the worker gets the main thread's). */
export function compileKernel(name: KernelName = "plain"): CompiledModule {
  let module = compiled.get(name);
  if (module === undefined) {
    module = new wasm.Module(kernelBytes(name));
    compiled.set(name, module);
  }
  return module;
}

/**
 * The kernel module as the backend compiles it: on V8's background threads, so the caller goes on
 * (the data is read meanwhile), and every function with the optimising compiler (TurboFan) before
 * its first call. By default V8 compiles a wasm function at its first call with its baseline
 * compiler (Liftoff) and recompiles the hot ones in the background, and the first epoch ran
 * ~15–20 ms longer than the others; compiling it all up front on the main thread cost as much
 * again (docs/performance.md). The two V8 flags are process-wide, so they are set only while a
 * compilation runs and put back to V8's defaults after, for any other module (undici's HTTP parser).
 * Once per kernel per thread, like compileKernel; the code is the same whichever compiler made it.
 */
export function compileKernelInBackground(name: KernelName): Promise<CompiledModule> {
  let module = compiling.get(name);
  if (module === undefined) {
    const bytes = kernelBytes(name);
    if (eagerCompilations++ === 0) {
      setFlagsFromString("--no-wasm-lazy-compilation");
      setFlagsFromString("--no-wasm-dynamic-tiering");
    }
    // A compilation under way is not a handle of Node's event loop: a process with nothing else
    // pending would end while it waits (Node 24: "unsettled top-level await"), hence a timer.
    const keepAlive = setInterval(() => {}, 2 ** 30);
    module = wasm.compile(bytes).finally(() => {
      clearInterval(keepAlive);
      if (--eagerCompilations === 0) {
        setFlagsFromString("--wasm-dynamic-tiering");
        setFlagsFromString("--wasm-lazy-compilation");
      }
    });
    compiling.set(name, module);
  }
  return module;
}

export function createSharedMemory(pages: number): SharedMemory {
  return new wasm.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
}

export function instantiateKernel(module: CompiledModule, memory: SharedMemory): KernelExports {
  return new wasm.Instance(module, { env: { memory } }).exports as KernelExports;
}
