// The second thread of the wasm backend and the barrier both threads meet at. The worker runs
// the column half 1 of every step while the main thread runs half 0 (see wasm-backend.ts); they
// share one WebAssembly memory and talk only through its first 256 bytes (the Control words).
// The worker's code is built from `workerLoop.toString()` and run with `eval: true`, so the same
// source works from dist/ and from src/ under vitest (no worker file to resolve). Hence
// workerLoop and awaitPeer reference nothing outside their own bodies and arguments.
// It is not the kernel (softmax.wat) nor the main thread's side (wasm-backend.ts).
import { Worker } from "node:worker_threads";
import type { CompiledModule, SharedMemory } from "./kernel.js";

/** Indices of the Int32 control words at the start of the shared memory. */
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
  /** Current spin budget of awaitPeer, for the main thread (+0) and the worker (+1). */
  spinBudget: 6,
  /** First of the Int32 arguments of a command. */
  args: 8,
  /** First of the Float32 arguments of a command (same words, read as float32). */
  floatArgs: 40,
  words: 64,
} as const;

export const Command = { train: 1, evaluate: 2, exit: 3 } as const;

/** Arguments of Command.train, as offsets from Control.args / Control.floatArgs. */
export const TrainArgs = {
  images: 0,
  labels: 1,
  order: 2,
  n: 3,
  batch: 4,
  base: 5,
  x: 6,
  g: 7,
  w: 8,
  bias: 9,
  out: 10,
  part: 11,
  partStride: 12,
  /** Running sums of tail averaging for this half, (10, 392) f64. */
  sum: 13,
  /** Values added to them per step: 3920, or 0 when not averaging. */
  sumValues: 14,
  lr: 0,
  wd: 1,
  eps: 2,
} as const;

/** Arguments of Command.evaluate. */
export const EvaluateArgs = { images: 0, n: 1, base: 2, x: 3, w: 4, part: 5 } as const;

/** Columns of the input in each thread's half. */
export const HALF = 392;

/**
 * Two-party barrier: publishes that this thread reached barrier `n`, then returns once the other
 * thread has reached it too. It first spins on the other thread's word (a step's hand-off is a
 * few µs, less than waking a sleeping thread), then sleeps in Atomics.wait. The spin budget
 * adapts, kept per thread in Control.spinBudget + mine: it doubles (up to `maxSpin` reads) when
 * spinning paid off and halves when it did not. On a busy machine, where the two threads often
 * share one core, spinning only steals time from the peer it waits for; the budget then shrinks
 * instead of turning every barrier into a long spin.
 */
export function awaitPeer(ctrl: Int32Array, mine: number, other: number, n: number, maxSpin: number): void {
  Atomics.store(ctrl, mine, n);
  Atomics.notify(ctrl, mine);
  const slot = 6 + mine; // Control.spinBudget + mine (a literal: this function is stringified into the worker)
  const budget = ctrl[slot]! > 0 ? ctrl[slot]! : maxSpin;
  for (let i = 0; i < budget; i++) {
    if (Atomics.load(ctrl, other) >= n) {
      ctrl[slot] = Math.min(maxSpin, budget * 2);
      return;
    }
  }
  ctrl[slot] = Math.max(16, budget >> 1);
  for (;;) {
    const seen = Atomics.load(ctrl, other);
    if (seen >= n) return;
    Atomics.wait(ctrl, other, seen);
  }
}

export interface WorkerData {
  readonly module: CompiledModule;
  readonly memory: SharedMemory;
  readonly spin: number;
  readonly control: typeof Control;
  readonly command: typeof Command;
  readonly trainArgs: typeof TrainArgs;
  readonly evaluateArgs: typeof EvaluateArgs;
  readonly half: number;
}

type Barrier = typeof awaitPeer;

/**
 * The worker thread's loop: waits for a command, runs column half 1 of it, and meets the main
 * thread at the same barriers. Mirrors WasmBackend.trainEpoch / countCorrect step for step.
 */
export function workerLoop(data: WorkerData, barrier: Barrier, post: (message: string) => void): void {
  const { memory, spin, control: C, command: Cmd, trainArgs: T, evaluateArgs: E, half } = data;
  const WA = (
    globalThis as unknown as { WebAssembly: { Instance: new (m: unknown, i: object) => { exports: unknown } } }
  ).WebAssembly;
  // biome-ignore lint/suspicious/noExplicitAny: the kernel's exports, typed in kernel.ts
  const k = new WA.Instance(data.module, { env: { memory } }).exports as any;
  const ctrl = new Int32Array(memory.buffer, 0, C.words);
  const floats = new Float32Array(memory.buffer, 0, C.words);
  const arg = (i: number): number => ctrl[C.args + i]!;
  const floatArg = (i: number): number => floats[C.floatArgs + i]!;
  // The hot loops (an epoch, the wait for a command) are in small functions of their own: V8
  // then optimises those, rather than recompiling this whole function on the stack (OSR), which
  // took ~16 ms of a core while the main thread waited for this one.
  const trainEpoch = (): void => {
    const n = arg(T.n);
    const batch = arg(T.batch);
    const base = arg(T.base);
    const steps = Math.ceil(n / batch);
    const out = arg(T.out);
    const finiteWord = new Int32Array(memory.buffer, out + 12, 1);
    let final = base + steps + 1;
    for (let s = 0; s < steps; s++) {
      const start = s * batch;
      const count = Math.min(batch, n - start);
      const part0 = arg(T.part) + (s & 1) * 2 * arg(T.partStride);
      const part1 = part0 + arg(T.partStride);
      k.forward_partial(arg(T.images), arg(T.order), start, count, half, arg(T.w), arg(T.x), half * 4, part1);
      barrier(ctrl, C.seqWorker, C.seqMain, base + s + 1, spin);
      if (Atomics.load(ctrl, C.stopAt) === base + s + 1) {
        final = 0; // that barrier was the main thread's last one
        break;
      }
      const [bias, labels, order, g, eps] = [arg(T.bias), arg(T.labels), arg(T.order), arg(T.g), floatArg(T.eps)];
      k.softmax_step(part0, part1, bias, labels, order, start, count, eps, g, out, 0); // no loss: the main thread reports it
      if (finiteWord[0] !== 1) {
        final = base + s + 2; // the main thread saw the same non-finite logits and stops too
        break;
      }
      k.bias_update(g, count, bias, floatArg(T.lr));
      k.backward_update(arg(T.x), count, g, arg(T.w), floatArg(T.lr), floatArg(T.wd));
      k.accumulate(arg(T.w), arg(T.sum), arg(T.sumValues)); // no branch: see runSteps
    }
    if (final !== 0) barrier(ctrl, C.seqWorker, C.seqMain, final, spin);
  };
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
        trainEpoch();
      } else if (command === Cmd.evaluate) {
        k.forward_partial(arg(E.images), 0, 0, arg(E.n), half, arg(E.w), arg(E.x), 0, arg(E.part));
        barrier(ctrl, C.seqWorker, C.seqMain, arg(E.base) + 1, spin);
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
const awaitPeer = ${awaitPeer.toString()};
(${workerLoop.toString()})(workerData, awaitPeer, (m) => parentPort.postMessage(m));
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
