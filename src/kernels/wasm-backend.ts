// The WebAssembly backend: one SGD epoch and the evaluation count run by the SIMD kernel of
// softmax.wat, on one thread or two (worker_threads + one shared WebAssembly memory). Same
// contract and same results as the reference backend within float32 rounding, for every loss;
// batches over MAX_BATCH fall back to the reference.
//
// Parallel plan: the 784 inputs are split into two halves of 392 columns; thread t owns half t of
// W (kept as its own (10, 392) block) and gathers half t of each example. Per step:
//   thread t: partial logits of its half (B, 10)     ── barrier ──
//   both:     logits = (part0 + part1) + b, G = ∂loss/∂logits (e.g. (P − Y)/B), b ← b − lr·Σ G
//             (same inputs, same code: identical on both threads)
//   thread t: W[:, half t] ← W − lr·(Gᵀ X[:, half t] + wd·W), and Σ (Gᵀ X[:, half t])² for ‖dW‖_F
//             (tail averaging: Σ W[:, half t] += W[:, half t], and thread 0 also Σ b += b)
// One barrier per step, nothing else to synchronise. With one thread the main thread runs both
// halves the same way, so results are bit-identical for --threads 1 and 2. A step is one call
// of the kernel's main_step (the barrier included); the worker runs its whole epoch in the
// kernel (worker_epoch); JavaScript only calls the hooks between steps.
// This file is the epoch driver; where the buffers sit and the copies in and out of the shared
// memory are kernel-memory.ts, the memory's ABI is abi.ts, the worker's loop worker-thread.ts.
// It does no I/O and holds no maths of its own beyond this orchestration.

import type { Worker } from "node:worker_threads";
import { DivergenceError } from "../errors.js";
import { ReferenceBackend } from "../model/reference-backend.js";
import type {
  Backend,
  EpochHooks,
  EpochSums,
  ImageSet,
  KernelChoice,
  KernelName,
  ParameterSums,
  Params,
  StepOptions,
} from "../types.js";
import { NUM_CLASSES } from "../types.js";
import { Command, Control, EvaluateArgs, HALF, Out } from "./abi.js";
import {
  type CompiledModule,
  compileKernelInBackground,
  instantiateKernel,
  type KernelExports,
  resolveKernel,
} from "./kernel.js";
import { KernelMemory, type Resident } from "./kernel-memory.js";
import { type KernelThread, type StartedWorker, startWorker } from "./worker-thread.js";

/** Largest batch the kernel runs (X halves take 2 × X_ROW_BYTES per example); larger ones use the reference. */
export const MAX_BATCH = 8192;

/** Reads of commandSeq before the worker sleeps waiting for a command. */
const COMMAND_SPIN = 20_000;

/** Time between turns of the event loop during an epoch, so Ctrl-C and progress bars are served. */
const YIELD_MS = 10;

export interface WasmBackendOptions {
  /** 1 runs everything on the calling thread; 2 adds one worker thread. */
  readonly threads: number;
  /** Which build of the kernel (kernel.ts KernelName); auto (the default) is fma where the engine has relaxed SIMD. */
  readonly kernel?: KernelChoice;
  /** A worker thread started ahead (KernelThread), adopted with 2 threads instead of starting one. */
  readonly kernelThread?: KernelThread;
}

/** The state of one trainEpoch call, carried across the slices of runSteps. */
interface EpochRun {
  readonly n: number;
  readonly batchSize: number;
  readonly steps: number;
  /** Barrier number before the epoch's first step. */
  readonly base: number;
  readonly hooks: EpochHooks;
  readonly ctrl: Int32Array;
  /** Steps done (the next step's 0-based index). */
  s: number;
  lossSum: number;
  correct: number;
  count: number;
  /** Steps whose update was applied (and averaged). */
  applied: number;
  stopped: boolean;
  diverged: { loss: number; step: number } | null;
  /** Barrier at which the worker leaves the epoch. */
  final: number;
  done: boolean;
}

export class WasmBackend implements Backend {
  readonly name = "wasm";
  /** The main thread's instance of the kernel: set once `instantiated` resolves, which every method awaits first. */
  private exports!: KernelExports;
  private readonly instantiated: Promise<void>;
  private readonly fallback = new ReferenceBackend();
  /** Last barrier number both threads passed. */
  private barrier = 0;
  private workerFailure: string | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly worker: Worker | null;
  /** The worker's start, until waitForWorker has seen it succeed (then null). */
  private workerReady: Promise<void> | null;

  private constructor(
    /** The build of the kernel this backend runs: plain SIMD or fused multiply-add. */
    readonly kernel: KernelName,
    private readonly memory: KernelMemory,
    module: Promise<CompiledModule>,
    private readonly started: StartedWorker | null,
  ) {
    this.instantiated = module.then((compiled) => {
      this.exports = instantiateKernel(compiled, memory.memory);
    });
    this.instantiated.catch(() => {}); // reported where it is awaited, not as an unhandled rejection
    this.worker = started?.worker ?? null;
    this.workerReady = started?.ready ?? null;
    this.workerReady?.catch(() => {}); // reported by waitForWorker at the first use, not as an unhandled rejection
  }

  /**
   * A backend on `threads` threads (1 or 2; more are capped at 2, the split is in halves). The
   * kernel is compiled once, on V8's background threads (compileKernelInBackground), and shared
   * with the worker thread; the compilation and the worker's start go on in the background and
   * are waited for at the first epoch or evaluation, so creating the backend before loading the
   * data overlaps them with the reads.
   */
  static async create(options: WasmBackendOptions): Promise<WasmBackend> {
    const kernel = resolveKernel(options.kernel ?? "auto");
    const module = compileKernelInBackground(kernel);
    const memory = new KernelMemory();
    const started =
      options.threads >= 2 ? startWorker(module, memory.memory, COMMAND_SPIN, options.kernelThread) : null;
    return new WasmBackend(kernel, memory, module, started);
  }

  /** Resolves once the worker thread (if any) is ready; from then on its failures are recorded for checkWorker. */
  private async waitForWorker(): Promise<void> {
    if (this.workerReady === null) return;
    try {
      await this.workerReady;
    } catch (error) {
      this.closed = true;
      throw error;
    }
    this.workerReady = null;
    this.worker?.on("message", (message: unknown) => {
      this.workerFailure = String(message);
    });
    this.worker?.on("error", (error: Error) => {
      this.workerFailure = error.message;
    });
  }

  /** Memory in the kernel's shared memory for a dataset payload, used in place by the epochs (kernel-memory.ts allocate). */
  allocate(bytes: number): Uint8Array {
    this.checkOpen();
    const region = this.memory.allocate(bytes);
    if (this.worker !== null && bytes > 0) {
      // The worker touches the region's fresh pages from the top while the caller fills it from
      // the bottom (worker-thread.ts prefault): woken without a command, or as soon as it is ready.
      const ctrl = this.memory.control();
      if (Atomics.load(ctrl, Control.prefaultEnd) === 0) Atomics.store(ctrl, Control.prefaultStart, region.byteOffset);
      Atomics.store(ctrl, Control.prefaultEnd, region.byteOffset + region.byteLength);
      Atomics.notify(ctrl, Control.commandSeq);
    }
    return region;
  }

  /** Threads doing the work: 1 or 2. */
  get threads(): number {
    return this.worker === null ? 1 : 2;
  }

  async trainEpoch(
    params: Params,
    train: ImageSet,
    order: Uint32Array,
    batchSize: number,
    options: StepOptions,
    hooks: EpochHooks = {},
    average?: ParameterSums,
  ): Promise<EpochSums> {
    if (batchSize > MAX_BATCH) {
      return this.fallback.trainEpoch(params, train, order, batchSize, options, hooks, average);
    }
    await this.instantiated;
    this.checkOpen();
    const n = order.length;
    if (n === 0) return { lossSum: 0, correct: 0, count: 0, gradNormSum: 0, stopped: false };
    this.memory.ensureCapacity(batchSize, this.memory.layout.evalCapacity, n);
    const set = this.memory.makeResident(train);
    const L = this.memory.layout;
    new Uint32Array(this.memory.buffer, L.order, n).set(order);
    this.memory.paramsIn(params);
    if (average !== undefined) this.memory.sumsIn(average);
    const steps = Math.ceil(n / batchSize);
    const base = this.barrier;
    const ctrl = this.memory.control();
    // The epoch's arguments for main_step and worker_epoch (StepArgs), one block per thread.
    const common = { images: set.images, labels: set.labels, order: L.order, n, batch: batchSize, base };
    const sumValues = average === undefined ? 0 : NUM_CLASSES * HALF;
    const one = this.worker === null; // the main thread runs both halves
    const half1 = one ? { x1: L.x[1], w1: L.w[1], sum1: L.sum[1], norms1: L.norms[1] } : {};
    this.memory.writeArgs(L.args[0], options, {
      ...common,
      ...half1,
      x: L.x[0],
      g: L.g[0],
      w: L.w[0],
      bias: L.bias[0],
      out: L.out[0],
      sum: L.sum[0],
      sumValues,
      norms: L.norms[0],
      ...(one ? {} : { peerW: L.w[1], peerX: L.x[1] }),
      scratch: L.scratch,
      biasSum: L.biasSum,
      biasSumValues: average === undefined ? 0 : NUM_CLASSES,
    });
    if (!one) {
      await this.waitForWorker();
      this.memory.writeArgs(L.args[1], options, {
        ...common,
        x: L.x[1],
        g: L.g[1],
        w: L.w[1],
        bias: L.bias[1],
        out: L.out[1],
        sum: L.sum[1],
        sumValues,
        norms: L.norms[1],
        peerW: L.w[0],
        peerX: L.x[0],
      });
      // The shared forward pass's unit counters start at 0 (an epoch that stopped early can leave one set).
      ctrl.fill(0, Control.units, Control.units + 4);
      ctrl[Control.args] = L.args[1];
      this.post(ctrl, Command.train);
    }
    const run: EpochRun = {
      n,
      batchSize,
      steps,
      base,
      hooks,
      ctrl,
      s: 0,
      lossSum: 0,
      correct: 0,
      count: 0,
      applied: 0,
      stopped: false,
      diverged: null,
      final: base + steps + 1,
      done: false,
    };
    // The steps run in a synchronous method, a slice of YIELD_MS at a time, with a turn of the
    // event loop between slices. Kept out of this async function so that V8 optimises a small
    // plain loop early, instead of recompiling this whole async function (~40 ms of a core, on
    // a 2-core machine taken from one of the two threads) several epochs in.
    for (;;) {
      this.runSteps(run);
      if (run.done) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.checkStop(run);
      if (run.done) break;
    }
    if (this.worker !== null) {
      this.exports.await_peer(0, run.final);
      this.checkWorker(ctrl);
    }
    this.barrier = run.final;
    this.memory.paramsOut(params);
    if (average !== undefined) this.memory.sumsOut(average, run.applied);
    if (run.diverged !== null) {
      throw new DivergenceError(run.diverged.loss, run.diverged.step, steps, options.lr);
    }
    return {
      lossSum: run.lossSum,
      correct: run.correct,
      count: run.count,
      gradNormSum: this.memory.gradNormSum(run.applied),
      stopped: run.stopped,
    };
  }

  /**
   * Runs steps run.s, run.s + 1, … (main thread's half, both halves with one thread) until the
   * epoch ends, stops or diverges (run.done), or until YIELD_MS have passed after a step: it then
   * returns before asking shouldStop about that step, which checkStop does after the yield.
   */
  private runSteps(run: EpochRun): void {
    const L = this.memory.layout;
    const { n, batchSize, steps, hooks } = run;
    const mainStep = this.exports.main_step;
    const out = L.out[0];
    const lossView = new Float64Array(this.memory.buffer, out + Out.loss, 1);
    const correctView = new Int32Array(this.memory.buffer, out + Out.correct, 1);
    const started = performance.now();
    while (run.s < steps) {
      const s = run.s;
      const status = mainStep(L.args[0], s);
      if (status < 0) this.checkWorker(run.ctrl);
      const stepLoss = lossView[0]!;
      const stepCorrect = correctView[0]!;
      if (status === 0) {
        // Stopped before applying an update computed from non-finite logits; the worker saw the same.
        run.diverged = { loss: Number.isFinite(stepLoss) ? Number.NaN : stepLoss, step: s + 1 };
        run.final = run.base + s + 2;
        run.done = true;
        return;
      }
      const B = Math.min(batchSize, n - s * batchSize);
      run.applied++;
      run.lossSum += stepLoss;
      run.correct += stepCorrect;
      run.count += B;
      run.s = s + 1;
      hooks.onStep?.({ step: s + 1, steps, batchSize: B, lossSum: stepLoss, correct: stepCorrect });
      if (performance.now() - started >= YIELD_MS) return;
      this.checkStop(run);
      if (run.done) return;
    }
    run.done = true;
  }

  /** After step run.s: ends the epoch there if it was not the last step and shouldStop says so. */
  private checkStop(run: EpochRun): void {
    if (run.s >= run.steps) {
      run.done = true;
    } else if (run.hooks.shouldStop?.() === true) {
      run.stopped = true;
      run.done = true;
      run.final = run.base + run.s + 1;
      Atomics.store(run.ctrl, Control.stopAt, run.final);
    }
  }

  async countCorrect(params: Params, set: ImageSet): Promise<number> {
    await this.instantiated;
    this.checkOpen();
    if (set.count === 0) return 0;
    await this.waitForWorker();
    const resident = this.forwardAll(params, set);
    const L = this.memory.layout;
    return this.exports.count_correct(L.evalPart[0], L.evalPart[1], L.bias[0], resident.labels, set.count, 0);
  }

  async predictLabels(params: Params, set: ImageSet): Promise<Uint8Array> {
    await this.instantiated;
    this.checkOpen();
    if (set.count === 0) return new Uint8Array(0);
    await this.waitForWorker();
    const resident = this.forwardAll(params, set);
    const L = this.memory.layout;
    this.exports.count_correct(L.evalPart[0], L.evalPart[1], L.bias[0], resident.labels, set.count, L.predicted);
    return new Uint8Array(this.memory.buffer, L.predicted, set.count).slice();
  }

  /** Partial logits of every image of `set` into evalPart (both halves, one per thread); b in bias[0]. */
  private forwardAll(params: Params, set: ImageSet): Resident {
    this.memory.ensureCapacity(this.memory.layout.batchCapacity, set.count, this.memory.layout.orderCapacity);
    const resident = this.memory.makeResident(set);
    const L = this.memory.layout;
    this.memory.paramsIn(params);
    const base = this.barrier;
    const ctrl = this.memory.control();
    if (this.worker !== null) {
      ctrl[Control.args + EvaluateArgs.images] = resident.images;
      ctrl[Control.args + EvaluateArgs.n] = set.count;
      ctrl[Control.args + EvaluateArgs.base] = base;
      ctrl[Control.args + EvaluateArgs.x] = L.x[1];
      ctrl[Control.args + EvaluateArgs.w] = L.w[1];
      ctrl[Control.args + EvaluateArgs.part] = L.evalPart[1];
      this.post(ctrl, Command.evaluate);
    }
    const k = this.exports;
    k.forward_partial(resident.images, 0, 0, set.count, 0, L.w[0], L.x[0], 0, L.evalPart[0]);
    if (this.worker === null) {
      k.forward_partial(resident.images, 0, 0, set.count, HALF, L.w[1], L.x[1], 0, L.evalPart[1]);
    } else {
      k.await_peer(0, base + 1);
      this.checkWorker(ctrl);
    }
    this.barrier = base + 1;
    return resident;
  }

  /** Stops the worker thread (also after a failure) and releases the memory; later calls wait for the same. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    this.memory.clear();
    if (this.started !== null) {
      const { worker, abandon, exited } = this.started;
      // A worker never waited for may still be starting: its "ready" handler would unref it again
      // (the process then ends with close() pending), so it is detached, and the worker would
      // not see an exit posted now, so it is terminated.
      if (this.workerReady !== null) abandon();
      worker.ref(); // keep the event loop alive until the exit event arrives
      if (this.workerReady !== null || Atomics.load(this.memory.control(), Control.failed) === 1)
        await worker.terminate();
      else this.post(this.memory.control(), Command.exit);
      await exited; // whenever the thread exited, even before close
    }
    await this.fallback.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error("the wasm backend is closed");
  }

  private post(ctrl: Int32Array, command: number): void {
    Atomics.store(ctrl, Control.command, command);
    Atomics.add(ctrl, Control.commandSeq, 1);
    Atomics.notify(ctrl, Control.commandSeq);
  }

  private checkWorker(ctrl: Int32Array): void {
    if (Atomics.load(ctrl, Control.failed) === 1) {
      this.closed = true;
      throw new Error(`the wasm worker thread failed: ${this.workerFailure ?? "unknown error"}`);
    }
  }
}
