// The worker thread of the wasm backend: its command loop and how it is started. The worker runs
// the column half 1 of every step while the main thread runs half 0, sharing the forward pass's
// rows with it (softmax.wat forward_shared), and touches the pages of the data being read in
// (prefault below; see wasm-backend.ts). The two threads share one WebAssembly memory and talk
// only through its control words and the epoch arguments (abi.ts: Control, Command,
// EvaluateArgs, StepArgs). The barrier they meet at and the worker's
// whole epoch run in the kernel (softmax.wat: await_peer, worker_epoch), so no JavaScript runs
// per step here.
// The worker's code is built from `workerLoop.toString()` and run with `eval: true`, so the same
// source works from dist/ and from src/ under vitest (no worker file to resolve). Hence
// workerLoop references nothing outside its own body and arguments. The thread can be started
// before its backend exists (KernelThread): it gets its WorkerData in a first message.
// It is not the kernel (softmax.wat), the ABI (abi.ts) nor the main thread's side (wasm-backend.ts).
import { Worker } from "node:worker_threads";
import { Command, Control, EvaluateArgs, HALF } from "./abi.js";
import type { CompiledModule, SharedMemory } from "./kernel.js";

export interface WorkerData {
  readonly module: CompiledModule;
  readonly memory: SharedMemory;
  /** Reads of commandSeq before sleeping while waiting for a command. */
  readonly spin: number;
  /** The ABI's objects (abi.ts), passed as data since the worker's code can import nothing. */
  readonly control: typeof Control;
  readonly command: typeof Command;
  readonly evaluateArgs: typeof EvaluateArgs;
  readonly half: number;
}

/**
 * The worker thread's loop: waits for a command, runs column half 1 of it, and meets the main
 * thread at the same barriers. Mirrors WasmBackend.trainEpoch / countCorrect.
 */
export function workerLoop(data: WorkerData, post: (message: string) => void): void {
  const { memory, spin, control: C, command: Cmd, evaluateArgs: E, half } = data;
  const WA = (
    globalThis as unknown as { WebAssembly: { Instance: new (m: unknown, i: object) => { exports: unknown } } }
  ).WebAssembly;
  // biome-ignore lint/suspicious/noExplicitAny: the kernel's exports, typed in kernel.ts
  const k = new WA.Instance(data.module, { env: { memory } }).exports as any;
  const ctrl = new Int32Array(memory.buffer, 0, C.words);
  const arg = (i: number): number => ctrl[C.args + i]!;
  /**
   * Touches every page of the data regions handed out since the last call (Control.prefaultStart
   * … prefaultEnd), from the top down, while the main thread reads the files in from the bottom
   * up: on this VM the first access to a page costs ~13 µs, and two threads take those faults in
   * about half the time. The touch is an atomic add of 0, a write that changes no byte even where
   * the main thread has already copied data (an atomic read-modify-write cannot interleave with
   * another thread's store).
   */
  let prefaulted = 0;
  const prefault = (): void => {
    // A region's end is published after the memory grew to hold it, so an end past this view
    // means the memory grew since the view was made: the rest waits for the next call (nextCommand
    // does not sleep while the published end is ahead of what was touched).
    const words = new Int32Array(memory.buffer);
    const end = Math.min(Atomics.load(ctrl, C.prefaultEnd), words.byteLength);
    if (end <= prefaulted) return;
    const from = Math.max(prefaulted, Atomics.load(ctrl, C.prefaultStart));
    for (let page = Math.floor((end - 1) / 4096) * 4096; page >= from; page -= 4096) Atomics.add(words, page >> 2, 0);
    prefaulted = end;
    Atomics.store(ctrl, C.prefaultDone, end);
  };
  /**
   * Waits until commandSeq moves past `seen` and returns it, touching the pages of newly handed
   * out data regions first (the main thread wakes it for those without a command). Spins
   * briefly first: commands often follow each other closely (an epoch, then the evaluation).
   */
  const nextCommand = (seen: number): number => {
    for (;;) {
      prefault();
      for (let i = 0; i < spin && Atomics.load(ctrl, C.commandSeq) === seen; i++);
      if (Atomics.load(ctrl, C.commandSeq) !== seen) return Atomics.load(ctrl, C.commandSeq);
      if (Atomics.load(ctrl, C.prefaultEnd) <= prefaulted) Atomics.wait(ctrl, C.commandSeq, seen);
    }
  };
  post("ready");
  let seen = 0;
  let exited = false;
  try {
    for (;;) {
      seen = nextCommand(seen);
      const command = Atomics.load(ctrl, C.command);
      if (command === Cmd.exit) {
        exited = true;
        return;
      }
      if (command === Cmd.train) {
        k.worker_epoch(arg(0)); // the whole epoch, its barriers included, in the kernel
      } else if (command === Cmd.evaluate) {
        k.forward_partial(arg(E.images), 0, 0, arg(E.n), half, arg(E.w), arg(E.x), 0, arg(E.part));
        k.await_peer(1, arg(E.base) + 1);
      }
    }
  } catch (error) {
    post(`failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    if (!exited) {
      // Release the main thread from any barrier it waits at; it then sees `failed` and throws.
      Atomics.store(ctrl, C.failed, 1);
      Atomics.store(ctrl, C.seqWorker, 0x7fffffff);
      Atomics.notify(ctrl, C.seqWorker);
    }
  }
}

/** A worker thread being started, and the promise that it is ready. */
export interface StartedWorker {
  readonly worker: Worker;
  /** Resolves once the worker's kernel is instantiated and it waits for commands; rejects if it failed to start. */
  readonly ready: Promise<void>;
  /**
   * Stops waiting for the start (`ready` then never settles), for a backend closed before it: a
   * "ready" arriving later would otherwise unref the worker while close() waits for its exit,
   * and the process could end with close() pending.
   */
  readonly abandon: () => void;
  /** Resolves when the worker thread has exited (even if that was before startWorker). */
  readonly exited: Promise<void>;
}

// The worker's code: it waits for its WorkerData in a first message, then runs workerLoop.
// `__name` covers transpilers that wrap nested functions with a naming helper. A dynamic import
// rather than require: a worker evaluates its code as an ES module when the process was started
// with --input-type=module (the flag passes to workers), as a script otherwise.
const WORKER_SOURCE = `"use strict";
const __name = (f) => f;
import("node:worker_threads").then(({ parentPort }) =>
  parentPort.once("message", (data) => (${workerLoop.toString()})(data, (m) => parentPort.postMessage(m))));
`;

/**
 * The worker thread of a two-thread wasm backend, started before the backend exists. Node takes
 * ~90 ms here to start a thread (a new V8 isolate and Node environment), so `softmax train`
 * starts it first thing, overlapping that with the loading of the CLI's modules, and the backend
 * created later adopts it (BackendOptions.kernelThread): the thread is then ready to touch the
 * pages of the data files while they are read in (docs/performance.md). Until a backend takes it,
 * the thread only waits for its WorkerData and does not keep the process alive.
 */
export class KernelThread {
  private readonly worker = new Worker(WORKER_SOURCE, { eval: true });
  /** Resolves when the thread has exited, whenever that happens (listened for from its start). */
  private readonly exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
  private current: "waiting" | "taken" | "released" = "waiting";
  /** An error or exit of the thread before a backend took it (startWorker reports it). */
  private early: Error | null = null;

  private readonly onError = (error: Error): void => {
    this.early ??= error;
  };
  private readonly onExit = (code: number): void => {
    this.early ??= new Error(`wasm worker exited with status ${code} before starting`);
  };

  constructor() {
    this.worker.unref();
    this.worker.on("error", this.onError).on("exit", this.onExit);
  }

  /** Waiting for a backend, taken by one, or released (stopped) without being taken. */
  get state(): "waiting" | "taken" | "released" {
    return this.current;
  }

  /** The thread, for the backend that takes it (once); null once taken or released. */
  take(): { worker: Worker; early: Error | null; exited: Promise<void> } | null {
    if (this.current !== "waiting") return null;
    this.current = "taken";
    this.worker.off("error", this.onError).off("exit", this.onExit);
    return { worker: this.worker, early: this.early, exited: this.exited };
  }

  /** Stops the thread if no backend took it (a command that ran on one thread, or failed first). */
  async release(): Promise<void> {
    if (this.current !== "waiting") return;
    this.current = "released";
    this.worker.off("error", this.onError).off("exit", this.onExit);
    await this.worker.terminate();
  }
}

/**
 * Starts the worker thread on the kernel `module` (compiled once, shared: posting a
 * WebAssembly.Module hands over the compiled code; it is posted once its compilation ends) and
 * `memory`, in `thread` if one was started ahead (KernelThread; a new one otherwise). Returns at once, so the caller can go on (copy the
 * data into the memory) while the thread starts; commands posted before it is ready wait in the
 * control words.
 */
export function startWorker(
  module: Promise<CompiledModule>,
  memory: SharedMemory,
  spin: number,
  thread?: KernelThread,
): StartedWorker {
  const data: Omit<WorkerData, "module"> = {
    memory,
    spin,
    control: Control,
    command: Command,
    evaluateArgs: EvaluateArgs,
    half: HALF,
  };
  const taken = (thread ?? new KernelThread()).take();
  if (taken === null) throw new Error("this KernelThread was already taken by a backend or released");
  const { worker, early, exited } = taken;
  let abandon = (): void => {};
  const ready = new Promise<void>((resolve, reject) => {
    const onMessage = (message: unknown) =>
      settle(message === "ready" ? null : new Error(`wasm worker: ${String(message)}`));
    const onExit = (code: number) => settle(new Error(`wasm worker exited with status ${code} before starting`));
    const detach = () => worker.off("message", onMessage).off("error", settle).off("exit", onExit);
    abandon = () => {
      detach();
      worker.on("error", () => {}); // what a thread being closed throws is of no use, and not fatal
    };
    const settle = (error: Error | null) => {
      detach();
      if (error === null) {
        worker.unref(); // an idle worker does not keep the process alive
        resolve();
      } else {
        reject(error);
      }
    };
    if (early !== null) {
      reject(early);
      return;
    }
    worker.on("message", onMessage).on("error", settle).on("exit", onExit);
    worker.ref(); // until it is ready: its start is awaited at the first epoch
    // once compiled (compileKernelInBackground): the thread starts meanwhile
    module.then(
      (compiled) => worker.postMessage({ ...data, module: compiled }),
      (error: unknown) => settle(error instanceof Error ? error : new Error(String(error))),
    );
  });
  return { worker, ready, abandon: () => abandon(), exited };
}
