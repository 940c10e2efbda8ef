// The second thread of the wasm backend and the protocol both threads follow. The worker runs
// the column half 1 of every step while the main thread runs half 0 (see wasm-backend.ts); they
// share one WebAssembly memory and talk only through its first 256 bytes (the Control words) and
// the epoch arguments (StepArgs). The barrier they meet at and the worker's whole epoch run in
// the kernel (softmax.wat: await_peer, worker_epoch), so no JavaScript runs per step here.
// The worker's code is built from `workerLoop.toString()` and run with `eval: true`, so the same
// source works from dist/ and from src/ under vitest (no worker file to resolve). Hence
// workerLoop references nothing outside its own body and arguments.
// It is not the kernel (softmax.wat) nor the main thread's side (wasm-backend.ts).
import { Worker } from "node:worker_threads";
import type { CompiledModule, SharedMemory } from "./kernel.js";

/**
 * Indices of the Int32 control words at the start of the shared memory. softmax.wat's barrier
 * and step functions read words 0, 1, 4, 5, 6 and 7 at these fixed places.
 */
export const Control = {
  /** Barrier number the main thread last arrived at. */
  seqMain: 0,
  /** Barrier number the worker last arrived at (0x7fffffff after a failure, to release the main thread). */
  seqWorker: 1,
  /** Bumped by the main thread to post a command. */
  commandSeq: 2,
  command: 3,
  /**
   * Number of the barrier after which the worker leaves the epoch (the main thread stopped it:
   * shouldStop). A barrier number rather than a flag, so the main thread never has to clear it
   * and cannot clear it before the worker has read it.
   */
  stopAt: 4,
  /** 1 when the worker failed. */
  failed: 5,
  /** Current spin budget of the barrier, for the main thread (+0) and the worker (+1). */
  spinBudget: 6,
  /** First of the Int32 arguments of a command. */
  args: 8,
  words: 64,
} as const;

export const Command = { train: 1, evaluate: 2, exit: 3 } as const;

/**
 * Byte offsets in the block of an epoch's arguments, one block per thread (the layout
 * softmax.wat's main_step and worker_epoch read). Command.train passes the worker its block's
 * address as argument 0.
 */
export const StepArgs = {
  images: 0,
  labels: 4,
  order: 8,
  n: 12,
  batch: 16,
  /** Barrier number before the epoch's first step. */
  base: 20,
  /** Partial logits: 2 step parities × 2 threads × (batch, 10). */
  part: 24,
  partStride: 28,
  /** float32 */
  lr: 32,
  /** float32 */
  wd: 36,
  /** float32 */
  eps: 40,
  /** This thread's half: X (B, 392), dLogits (B, 12), W (10, 392), b, softmax_step's out. */
  x: 44,
  g: 48,
  w: 52,
  bias: 56,
  out: 60,
  /** Running sums of tail averaging for this half, (10, 392) f64, and values added per step (0: not averaging). */
  sum: 64,
  sumValues: 68,
  /** Main thread only: half 1's X, W and sums when it runs both halves (x1 = 0 with two threads). */
  x1: 72,
  w1: 76,
  sum1: 80,
  /** Main thread only: softmax_step's scratch (the loss), Σ b (10) f64 and values added to it per step. */
  scratch: 84,
  biasSum: 88,
  biasSumValues: 92,
  bytes: 128,
} as const;

/** Arguments of Command.evaluate. */
export const EvaluateArgs = { images: 0, n: 1, base: 2, x: 3, w: 4, part: 5 } as const;

/** Columns of the input in each thread's half. */
export const HALF = 392;

export interface WorkerData {
  readonly module: CompiledModule;
  readonly memory: SharedMemory;
  /** Reads of commandSeq before sleeping while waiting for a command. */
  readonly spin: number;
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
  /** Waits until commandSeq moves past `seen` and returns it. Spins briefly first: commands often follow each other closely (an epoch, then the evaluation). */
  const nextCommand = (seen: number): number => {
    for (let i = 0; i < spin && Atomics.load(ctrl, C.commandSeq) === seen; i++);
    while (Atomics.load(ctrl, C.commandSeq) === seen) Atomics.wait(ctrl, C.commandSeq, seen);
    return Atomics.load(ctrl, C.commandSeq);
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

/** Starts the worker thread on `data`; resolves once its kernel is instantiated. */
export async function startWorker(data: WorkerData): Promise<Worker> {
  // `__name` covers transpilers that wrap nested functions with a naming helper.
  const source = `"use strict";
const __name = (f) => f;
const { workerData, parentPort } = require("node:worker_threads");
(${workerLoop.toString()})(workerData, (m) => parentPort.postMessage(m));
`;
  const worker = new Worker(source, { eval: true, workerData: data });
  await new Promise<void>((resolve, reject) => {
    worker.once("message", (message: unknown) =>
      message === "ready" ? resolve() : reject(new Error(`wasm worker: ${String(message)}`)),
    );
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`wasm worker exited with status ${code} before starting`)));
  });
  worker.removeAllListeners();
  worker.unref();
  return worker;
}
