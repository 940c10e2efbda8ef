// The WebAssembly backend: one SGD epoch and the evaluation count run by the SIMD kernel of
// softmax.wat, on one thread or two (worker_threads + one shared WebAssembly memory). Same
// contract and same results as the reference backend within float32 rounding; the cross-entropy
// path is the fast one, and `--loss mse` or batches over MAX_BATCH fall back to the reference.
//
// Parallel plan: the 784 inputs are split into two halves of 392 columns; thread t owns half t of
// W (kept as its own (10, 392) block) and gathers half t of each example. Per step:
//   thread t: partial logits of its half (B, 10)     ── barrier ──
//   both:     logits = (part0 + part1) + b, softmax, G = (P − Y)/B, b ← b − lr·Σ G   (same inputs,
//             same code: identical on both threads)
//   thread t: W[:, half t] ← W − lr·(Gᵀ X[:, half t] + wd·W)
//             (tail averaging: Σ W[:, half t] += W[:, half t], and thread 0 also Σ b += b)
// One barrier per step, nothing else to synchronise. With one thread the main thread runs both
// halves the same way, so results are bit-identical for --threads 1 and 2. A step is one call
// of the kernel's main_step (the barrier included); the worker runs its whole epoch in the
// kernel (worker_epoch); JavaScript only calls the hooks between steps.
// It does no I/O and holds no maths of its own beyond this orchestration.

import type { Worker } from "node:worker_threads";
import { DivergenceError } from "../errors.js";
import { ReferenceBackend } from "../model/reference-backend.js";
import type { Backend, EpochHooks, EpochSums, ImageSet, ParameterSums, Params, StepOptions } from "../types.js";
import { NUM_CLASSES, NUM_INPUTS } from "../types.js";
import {
  type CompiledModule,
  compileKernel,
  createSharedMemory,
  instantiateKernel,
  type KernelExports,
  PAGE_BYTES,
  type SharedMemory,
} from "./kernel.js";
import { Command, Control, EvaluateArgs, HALF, StepArgs, startWorker } from "./worker.js";

/** Largest batch the kernel runs (X halves take 2 × 1568 bytes per example); larger ones use the reference. */
export const MAX_BATCH = 8192;

/** Reads of commandSeq before the worker sleeps waiting for a command. */
const COMMAND_SPIN = 20_000;

/** Time between turns of the event loop during an epoch, so Ctrl-C and progress bars are served. */
const YIELD_MS = 10;

const HALF_BYTES = HALF * 4;
const W_HALF_BYTES = NUM_CLASSES * HALF_BYTES;
const PART_ROW_BYTES = NUM_CLASSES * 4;
const G_ROW_BYTES = 48;

export interface WasmBackendOptions {
  /** 1 runs everything on the calling thread; 2 adds one worker thread. */
  readonly threads: number;
}

/** Byte offsets of the buffers in the shared memory, for batches ≤ batchCapacity, evaluations ≤ evalCapacity rows. */
interface Layout {
  readonly batchCapacity: number;
  readonly evalCapacity: number;
  readonly orderCapacity: number;
  readonly args: readonly [number, number]; // StepArgs of the main thread and of the worker
  readonly w: readonly [number, number]; // (10, 392) each
  readonly bias: readonly [number, number]; // (10) each, one private copy per thread
  readonly out: readonly [number, number]; // softmax_step results
  readonly scratch: number; // (batchCapacity, 4) f32: softmax_step's per-row pieces of the loss (main thread)
  readonly x: readonly [number, number]; // (batchCapacity, 392) each
  readonly g: readonly [number, number]; // (batchCapacity, 12) each
  readonly part: number; // 2 step parities × 2 threads × (batchCapacity, 10)
  readonly partStride: number;
  readonly evalPart: readonly [number, number]; // (evalCapacity, 10) each
  readonly predicted: number; // (evalCapacity) u8
  readonly sum: readonly [number, number]; // (10, 392) f64 each: the running sums of tail averaging
  readonly biasSum: number; // (10) f64
  readonly order: number; // (orderCapacity) u32
  readonly end: number; // first byte of the image area
}

function align(n: number): number {
  return Math.ceil(n / 64) * 64;
}

function makeLayout(batchCapacity: number, evalCapacity: number, orderCapacity: number): Layout {
  let at = Control.words * 4;
  const take = (bytes: number): number => {
    const start = at;
    at = align(at + bytes);
    return start;
  };
  const args = [take(StepArgs.bytes), take(StepArgs.bytes)] as const;
  const w = [take(W_HALF_BYTES), take(W_HALF_BYTES)] as const;
  const bias = [take(64), take(64)] as const;
  const out = [take(64), take(64)] as const;
  const scratch = take(batchCapacity * 16);
  const x = [take(batchCapacity * HALF_BYTES), take(batchCapacity * HALF_BYTES)] as const;
  const g = [take(batchCapacity * G_ROW_BYTES), take(batchCapacity * G_ROW_BYTES)] as const;
  const partStride = align(batchCapacity * PART_ROW_BYTES);
  const part = take(4 * partStride);
  const evalPart = [take(evalCapacity * PART_ROW_BYTES), take(evalCapacity * PART_ROW_BYTES)] as const;
  const order = take(orderCapacity * 4);
  const predicted = take(evalCapacity);
  const sum = [take(2 * W_HALF_BYTES), take(2 * W_HALF_BYTES)] as const;
  const biasSum = take(NUM_CLASSES * 8);
  return {
    batchCapacity,
    evalCapacity,
    orderCapacity,
    args,
    w,
    bias,
    out,
    scratch,
    x,
    g,
    part,
    partStride,
    evalPart,
    predicted,
    sum,
    biasSum,
    order,
    end: at,
  };
}

/** Where an ImageSet's images and labels were copied in the shared memory. */
interface Resident {
  readonly images: number;
  readonly labels: number;
  readonly labelArray: Uint8Array;
  readonly count: number;
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

/** The integer fields of StepArgs. */
type IntArg = Exclude<keyof typeof StepArgs, "lr" | "wd" | "eps" | "bytes">;

/** Bytes compared between a set and its resident copy before reusing the copy (a cheap guard against a set edited in place). */
const SAMPLES = 64;

export class WasmBackend implements Backend {
  readonly name = "wasm";
  private readonly kernel: KernelExports;
  private readonly fallback = new ReferenceBackend();
  private layout: Layout = makeLayout(256, 10_000, 60_000);
  private resident = new Map<Uint8Array, Resident>();
  private imageEnd = this.layout.end;
  /** Last barrier number both threads passed. */
  private barrier = 0;
  private workerFailure: string | null = null;
  private closed = false;

  private constructor(
    private readonly memory: SharedMemory,
    module: CompiledModule,
    private readonly worker: Worker | null,
  ) {
    this.kernel = instantiateKernel(module, memory);
    this.worker?.on("message", (message: unknown) => {
      this.workerFailure = String(message);
    });
    this.worker?.on("error", (error: Error) => {
      this.workerFailure = error.message;
    });
  }

  /** A backend on `threads` threads (1 or 2; more are capped at 2, the split is in halves). */
  static async create(options: WasmBackendOptions): Promise<WasmBackend> {
    const module = compileKernel();
    const memory = createSharedMemory(1);
    let worker: Worker | null = null;
    if (options.threads >= 2) {
      worker = await startWorker({
        module,
        memory,
        spin: COMMAND_SPIN,
        control: Control,
        command: Command,
        evaluateArgs: EvaluateArgs,
        half: HALF,
      });
    }
    const backend = new WasmBackend(memory, module, worker);
    backend.reserve(backend.layout.end);
    return backend;
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
    if (options.loss !== "cross-entropy" || batchSize > MAX_BATCH) {
      return this.fallback.trainEpoch(params, train, order, batchSize, options, hooks, average);
    }
    this.checkOpen();
    const n = order.length;
    if (n === 0) return { lossSum: 0, correct: 0, count: 0, stopped: false };
    this.ensureCapacity(batchSize, this.layout.evalCapacity, n);
    const set = this.makeResident(train);
    const L = this.layout;
    new Uint32Array(this.memory.buffer, L.order, n).set(order);
    this.paramsIn(params);
    if (average !== undefined) this.sumsIn(average);
    const steps = Math.ceil(n / batchSize);
    const base = this.barrier;
    const ctrl = this.control();
    // The epoch's arguments for main_step and worker_epoch (StepArgs), one block per thread.
    const common = { images: set.images, labels: set.labels, order: L.order, n, batch: batchSize, base };
    const sumValues = average === undefined ? 0 : NUM_CLASSES * HALF;
    const one = this.worker === null; // the main thread runs both halves
    const half1 = one ? { x1: L.x[1], w1: L.w[1], sum1: L.sum[1] } : {};
    this.writeArgs(L.args[0], options, {
      ...common,
      ...half1,
      x: L.x[0],
      g: L.g[0],
      w: L.w[0],
      bias: L.bias[0],
      out: L.out[0],
      sum: L.sum[0],
      sumValues,
      scratch: L.scratch,
      biasSum: L.biasSum,
      biasSumValues: average === undefined ? 0 : NUM_CLASSES,
    });
    if (!one) {
      this.writeArgs(L.args[1], options, {
        ...common,
        x: L.x[1],
        g: L.g[1],
        w: L.w[1],
        bias: L.bias[1],
        out: L.out[1],
        sum: L.sum[1],
        sumValues,
      });
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
      this.kernel.await_peer(0, run.final);
      this.checkWorker(ctrl);
    }
    this.barrier = run.final;
    this.paramsOut(params);
    if (average !== undefined) this.sumsOut(average, run.applied);
    if (run.diverged !== null) {
      throw new DivergenceError(run.diverged.loss, run.diverged.step, steps, options.lr);
    }
    return { lossSum: run.lossSum, correct: run.correct, count: run.count, stopped: run.stopped };
  }

  /**
   * Runs steps run.s, run.s + 1, … (main thread's half, both halves with one thread) until the
   * epoch ends, stops or diverges (run.done), or until YIELD_MS have passed after a step: it then
   * returns before asking shouldStop about that step, which checkStop does after the yield.
   */
  private runSteps(run: EpochRun): void {
    const L = this.layout;
    const { n, batchSize, steps, hooks } = run;
    const mainStep = this.kernel.main_step;
    const out = L.out[0];
    const lossView = new Float64Array(this.memory.buffer, out, 1);
    const correctView = new Int32Array(this.memory.buffer, out + 8, 1);
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
    this.checkOpen();
    if (set.count === 0) return 0;
    const resident = this.forwardAll(params, set);
    const L = this.layout;
    return this.kernel.count_correct(L.evalPart[0], L.evalPart[1], L.bias[0], resident.labels, set.count, 0);
  }

  async predictLabels(params: Params, set: ImageSet): Promise<Uint8Array> {
    this.checkOpen();
    if (set.count === 0) return new Uint8Array(0);
    const resident = this.forwardAll(params, set);
    const L = this.layout;
    this.kernel.count_correct(L.evalPart[0], L.evalPart[1], L.bias[0], resident.labels, set.count, L.predicted);
    return new Uint8Array(this.memory.buffer, L.predicted, set.count).slice();
  }

  /** Partial logits of every image of `set` into evalPart (both halves, one per thread); b in bias[0]. */
  private forwardAll(params: Params, set: ImageSet): Resident {
    this.ensureCapacity(this.layout.batchCapacity, set.count, this.layout.orderCapacity);
    const resident = this.makeResident(set);
    const L = this.layout;
    this.paramsIn(params);
    const base = this.barrier;
    const ctrl = this.control();
    if (this.worker !== null) {
      ctrl[Control.args + EvaluateArgs.images] = resident.images;
      ctrl[Control.args + EvaluateArgs.n] = set.count;
      ctrl[Control.args + EvaluateArgs.base] = base;
      ctrl[Control.args + EvaluateArgs.x] = L.x[1];
      ctrl[Control.args + EvaluateArgs.w] = L.w[1];
      ctrl[Control.args + EvaluateArgs.part] = L.evalPart[1];
      this.post(ctrl, Command.evaluate);
    }
    const k = this.kernel;
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.resident.clear();
    if (this.worker !== null) {
      const worker = this.worker;
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      worker.ref(); // keep the event loop alive until the exit event arrives
      if (Atomics.load(this.control(), Control.failed) === 1) await worker.terminate();
      else this.post(this.control(), Command.exit);
      await exited;
    }
    await this.fallback.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error("the wasm backend is closed");
  }

  private control(): Int32Array {
    return new Int32Array(this.memory.buffer, 0, Control.words);
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

  /** Writes a StepArgs block at `at`: the given integer fields (0 for the others), the part buffers, lr, wd and ε. */
  private writeArgs(at: number, options: StepOptions, fields: Partial<Record<IntArg, number>>): void {
    const L = this.layout;
    const words = new Int32Array(this.memory.buffer, at, StepArgs.bytes / 4);
    const floats = new Float32Array(this.memory.buffer, at, StepArgs.bytes / 4);
    words.fill(0);
    for (const [name, value] of Object.entries({ ...fields, part: L.part, partStride: L.partStride })) {
      words[StepArgs[name as IntArg] / 4] = value;
    }
    floats[StepArgs.lr / 4] = options.lr;
    floats[StepArgs.wd / 4] = options.weightDecay;
    floats[StepArgs.eps / 4] = options.labelSmoothing;
  }

  /** W (10, 784) → the two (10, 392) halves; b → both threads' copies. */
  private paramsIn(params: Params): void {
    const L = this.layout;
    const buffer = this.memory.buffer;
    const w0 = new Float32Array(buffer, L.w[0], NUM_CLASSES * HALF);
    const w1 = new Float32Array(buffer, L.w[1], NUM_CLASSES * HALF);
    for (let o = 0; o < NUM_CLASSES; o++) {
      w0.set(params.weight.subarray(o * NUM_INPUTS, o * NUM_INPUTS + HALF), o * HALF);
      w1.set(params.weight.subarray(o * NUM_INPUTS + HALF, (o + 1) * NUM_INPUTS), o * HALF);
    }
    new Float32Array(buffer, L.bias[0], NUM_CLASSES).set(params.bias);
    new Float32Array(buffer, L.bias[1], NUM_CLASSES).set(params.bias);
  }

  private paramsOut(params: Params): void {
    const L = this.layout;
    const buffer = this.memory.buffer;
    const w0 = new Float32Array(buffer, L.w[0], NUM_CLASSES * HALF);
    const w1 = new Float32Array(buffer, L.w[1], NUM_CLASSES * HALF);
    for (let o = 0; o < NUM_CLASSES; o++) {
      params.weight.set(w0.subarray(o * HALF, (o + 1) * HALF), o * NUM_INPUTS);
      params.weight.set(w1.subarray(o * HALF, (o + 1) * HALF), o * NUM_INPUTS + HALF);
    }
    params.bias.set(new Float32Array(buffer, L.bias[0], NUM_CLASSES));
  }

  /** Σ W (10, 784) → the two (10, 392) f64 halves; Σ b → biasSum. */
  private sumsIn(average: ParameterSums): void {
    const L = this.layout;
    const buffer = this.memory.buffer;
    const s0 = new Float64Array(buffer, L.sum[0], NUM_CLASSES * HALF);
    const s1 = new Float64Array(buffer, L.sum[1], NUM_CLASSES * HALF);
    for (let o = 0; o < NUM_CLASSES; o++) {
      s0.set(average.weight.subarray(o * NUM_INPUTS, o * NUM_INPUTS + HALF), o * HALF);
      s1.set(average.weight.subarray(o * NUM_INPUTS + HALF, (o + 1) * NUM_INPUTS), o * HALF);
    }
    new Float64Array(buffer, L.biasSum, NUM_CLASSES).set(average.bias);
  }

  private sumsOut(average: ParameterSums, steps: number): void {
    const L = this.layout;
    const buffer = this.memory.buffer;
    const s0 = new Float64Array(buffer, L.sum[0], NUM_CLASSES * HALF);
    const s1 = new Float64Array(buffer, L.sum[1], NUM_CLASSES * HALF);
    for (let o = 0; o < NUM_CLASSES; o++) {
      average.weight.set(s0.subarray(o * HALF, (o + 1) * HALF), o * NUM_INPUTS);
      average.weight.set(s1.subarray(o * HALF, (o + 1) * HALF), o * NUM_INPUTS + HALF);
    }
    average.bias.set(new Float64Array(buffer, L.biasSum, NUM_CLASSES));
    average.count += steps;
  }

  /** Grows the buffers' area if a batch, evaluation or order is larger than it holds (images are then copied again). */
  private ensureCapacity(batch: number, evalRows: number, orderLength: number): void {
    const L = this.layout;
    if (batch <= L.batchCapacity && evalRows <= L.evalCapacity && orderLength <= L.orderCapacity) return;
    this.layout = makeLayout(
      Math.max(batch, L.batchCapacity),
      Math.max(evalRows, L.evalCapacity),
      Math.max(orderLength, L.orderCapacity),
    );
    this.resident.clear();
    this.imageEnd = this.layout.end;
    this.reserve(this.layout.end);
  }

  /**
   * The set's images and labels in the shared memory, copied on first use. Sets are recognised
   * by their arrays (and a sample of their bytes); at most two (train and test) are kept, a
   * third starts over.
   */
  private makeResident(set: ImageSet): Resident {
    const known = this.resident.get(set.images);
    if (known !== undefined && this.stillMatches(known, set)) return known;
    if (this.resident.size >= 2) {
      this.resident.clear();
      this.imageEnd = this.layout.end;
    }
    const bytes = set.count * NUM_INPUTS;
    const images = this.imageEnd;
    const labels = align(images + bytes);
    this.imageEnd = align(labels + set.count);
    this.reserve(this.imageEnd);
    new Uint8Array(this.memory.buffer, images, bytes).set(set.images.subarray(0, bytes));
    new Uint8Array(this.memory.buffer, labels, set.count).set(set.labels.subarray(0, set.count));
    const resident = { images, labels, labelArray: set.labels, count: set.count };
    this.resident.set(set.images, resident);
    return resident;
  }

  private stillMatches(resident: Resident, set: ImageSet): boolean {
    if (resident.count !== set.count || resident.labelArray !== set.labels) return false;
    const bytes = set.count * NUM_INPUTS;
    const copy = new Uint8Array(this.memory.buffer, resident.images, bytes);
    for (let i = 0; i < SAMPLES; i++) {
      const at = Math.floor((i * (bytes - 1)) / (SAMPLES - 1));
      if (copy[at] !== set.images[at]) return false;
    }
    return true;
  }

  private reserve(end: number): void {
    const pages = Math.ceil(end / PAGE_BYTES);
    const have = this.memory.buffer.byteLength / PAGE_BYTES;
    if (pages > have) this.memory.grow(pages - have);
  }
}
