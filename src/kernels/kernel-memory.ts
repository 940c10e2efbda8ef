// The shared WebAssembly memory of the wasm backend: where each buffer sits (the layout, after
// the control words of abi.ts), the copies in and out of it (parameters split into the two column
// halves, running sums, an epoch's StepArgs blocks) and the image sets kept resident in it: either
// copied in at first use, or read there in the first place (allocate: the data loader reads the
// files' payloads straight into the memory, and the sets parsed from them are used in place, since
// every fresh page written costs a page fault and copying 55 MB of images into fresh pages costs
// more than training an epoch; docs/performance.md).
// It is not the epoch driver (wasm-backend.ts) nor the definition of the ABI (abi.ts): it places
// buffers and copies bytes, and runs no kernel code.
import type { ImageSet, ParameterSums, Params, StepOptions } from "../types.js";
import { NUM_CLASSES, NUM_INPUTS } from "../types.js";
import {
  Control,
  G_ROW_BYTES,
  HALF,
  LossCode,
  NORM_SLOT_BYTES,
  Out,
  PART_ROW_BYTES,
  SCRATCH_ROW_BYTES,
  StepArgs,
  W_ROW_BYTES,
  X_ROW_BYTES,
} from "./abi.js";
import { adviseHugePages } from "./huge-pages.js";
import { createSharedMemory, PAGE_BYTES, type SharedMemory } from "./kernel.js";

const W_HALF_BYTES = NUM_CLASSES * W_ROW_BYTES;

/** Byte offsets of the buffers in the shared memory, for batches ≤ batchCapacity, evaluations ≤ evalCapacity rows. */
export interface Layout {
  readonly batchCapacity: number;
  readonly evalCapacity: number;
  readonly orderCapacity: number;
  readonly args: readonly [number, number]; // StepArgs of the main thread and of the worker
  readonly w: readonly [number, number]; // (10, 392) each
  readonly bias: readonly [number, number]; // (10) each, one private copy per thread
  readonly out: readonly [number, number]; // loss_step results (abi.ts Out)
  readonly scratch: number; // (batchCapacity, 4) f32: loss_step's per-row pieces of the loss (main thread)
  readonly x: readonly [number, number]; // (batchCapacity, 392) each
  readonly g: readonly [number, number]; // (batchCapacity, 12) each
  readonly part: number; // 2 step parities × 2 threads × (batchCapacity, 10)
  readonly partStride: number;
  readonly evalPart: readonly [number, number]; // (evalCapacity, 10) each
  readonly predicted: number; // (evalCapacity) u8
  readonly sum: readonly [number, number]; // (10, 392) f64 each: the running sums of tail averaging
  readonly biasSum: number; // (10) f64
  readonly norms: readonly [number, number]; // (orderCapacity) slots each: per step, Σ dW² of the half (f64 at +0)
  readonly order: number; // (orderCapacity) u32
  readonly end: number; // first byte of the image area
}

/** Buffers start on 64-byte (cache line) boundaries. */
function align(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/** The layout of the buffers from byte `start` on (by default right after the control words). */
export function makeLayout(
  batchCapacity: number,
  evalCapacity: number,
  orderCapacity: number,
  start = Control.words * 4,
): Layout {
  let at = align(start);
  const take = (bytes: number): number => {
    const start = at;
    at = align(at + bytes);
    return start;
  };
  const args = [take(StepArgs.bytes), take(StepArgs.bytes)] as const;
  // What a thread touches in every step lies in one block of its own: its half of W, its b, its
  // loss_step results, its gathered x and its gradient g. With the buffers grouped by kind
  // instead (w0 w1 … x0 x1 g0 g1), the main thread's x and g lay 800 KB apart and its backward
  // pass took 15–17 ms an epoch against the worker's 11–12 (whose x and g lay 400 KB apart), and the
  // worker waited for it at every barrier; in blocks, both take 10–12 ms (measured with the
  // barrier's waits and the passes timed per thread).
  const block = () => {
    const w = take(W_HALF_BYTES);
    const bias = take(64);
    const out = take(Out.bytes);
    const x = take(batchCapacity * X_ROW_BYTES);
    const g = take(batchCapacity * G_ROW_BYTES);
    return { w, bias, out, x, g };
  };
  const main = block();
  const scratch = take(batchCapacity * SCRATCH_ROW_BYTES);
  const worker = block();
  const w = [main.w, worker.w] as const;
  const bias = [main.bias, worker.bias] as const;
  const out = [main.out, worker.out] as const;
  const x = [main.x, worker.x] as const;
  const g = [main.g, worker.g] as const;
  const partStride = align(batchCapacity * PART_ROW_BYTES);
  const part = take(4 * partStride);
  const evalPart = [take(evalCapacity * PART_ROW_BYTES), take(evalCapacity * PART_ROW_BYTES)] as const;
  const order = take(orderCapacity * 4);
  const predicted = take(evalCapacity);
  const sum = [take(2 * W_HALF_BYTES), take(2 * W_HALF_BYTES)] as const;
  const biasSum = take(NUM_CLASSES * 8);
  const norms = [take(orderCapacity * NORM_SLOT_BYTES), take(orderCapacity * NORM_SLOT_BYTES)] as const;
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
    norms,
    order,
    end: at,
  };
}

/** Where an ImageSet's images and labels were copied in the shared memory. */
export interface Resident {
  readonly images: number;
  readonly labels: number;
  readonly labelArray: Uint8Array;
  readonly count: number;
}

/** The integer fields of StepArgs set by the caller (the loss comes from the StepOptions). */
export type IntArg = Exclude<keyof typeof StepArgs, "lr" | "wd" | "eps" | "loss" | "bytes">;

/** Bytes compared between a set and its resident copy before reusing the copy (a cheap guard against a set edited in place). */
const SAMPLES = 64;

/** A byte range [start, end) of the memory handed out by allocate; it is never reused. */
interface Region {
  readonly start: number;
  readonly end: number;
}

/**
 * One shared memory laid out for the kernel, with the copies between it and the library's arrays.
 * From the bottom up: the control words, the layout's buffers, the regions handed out by allocate
 * (if any), then the copies of resident sets. A layout that outgrows the room below the first
 * region moves above the last one, so a region's bytes are never overwritten.
 */
export class KernelMemory {
  private current: Layout = makeLayout(256, 10_000, 60_000);
  private resident = new Map<Uint8Array, Resident>();
  /** Where the copies of resident sets start, and the end of the last one. */
  private imageStart = this.current.end;
  private imageEnd = this.current.end;
  private readonly regions: Region[] = [];
  /** The buffer objects the regions were handed out on (one per growth of the memory). */
  private readonly regionBuffers = new Set<ArrayBufferLike>();

  constructor(readonly memory: SharedMemory = createSharedMemory(1)) {
    this.reserve(this.current.end);
  }

  get layout(): Layout {
    return this.current;
  }

  get buffer(): SharedArrayBuffer {
    return this.memory.buffer;
  }

  /** The Int32 control words (abi.ts Control) at the start of the memory. */
  control(): Int32Array {
    return new Int32Array(this.memory.buffer, 0, Control.words);
  }

  /** A Float32Array view of `length` values at byte offset `at`. */
  f32(at: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, length);
  }

  /** Writes a StepArgs block at `at`: the given integer fields (0 for the others), the part buffers, lr, wd, ε and the loss. */
  writeArgs(at: number, options: StepOptions, fields: Partial<Record<IntArg, number>>): void {
    const L = this.current;
    const words = new Int32Array(this.memory.buffer, at, StepArgs.bytes / 4);
    const floats = new Float32Array(this.memory.buffer, at, StepArgs.bytes / 4);
    words.fill(0);
    for (const [name, value] of Object.entries({ ...fields, part: L.part, partStride: L.partStride })) {
      words[StepArgs[name as IntArg] / 4] = value;
    }
    floats[StepArgs.lr / 4] = options.lr;
    floats[StepArgs.wd / 4] = options.weightDecay;
    floats[StepArgs.eps / 4] = options.labelSmoothing;
    words[StepArgs.loss / 4] = LossCode[options.loss];
  }

  /**
   * Σ over steps 0 … steps−1 of ‖dW‖_F = √(Σ dW² of half 0 + Σ dW² of half 1), from the per-step
   * slots the kernel filled (norms[0], norms[1]); the same additions for one thread or two.
   */
  gradNormSum(steps: number): number {
    const L = this.current;
    const view = new DataView(this.memory.buffer);
    let sum = 0;
    for (let s = 0; s < steps; s++) {
      const at = s * NORM_SLOT_BYTES;
      sum += Math.sqrt(view.getFloat64(L.norms[0] + at, true) + view.getFloat64(L.norms[1] + at, true));
    }
    return sum;
  }

  /** W (10, 784) → the two (10, 392) halves; b → both threads' copies. */
  paramsIn(params: Params): void {
    const L = this.current;
    const w0 = this.f32(L.w[0], NUM_CLASSES * HALF);
    const w1 = this.f32(L.w[1], NUM_CLASSES * HALF);
    for (let o = 0; o < NUM_CLASSES; o++) {
      w0.set(params.weight.subarray(o * NUM_INPUTS, o * NUM_INPUTS + HALF), o * HALF);
      w1.set(params.weight.subarray(o * NUM_INPUTS + HALF, (o + 1) * NUM_INPUTS), o * HALF);
    }
    this.f32(L.bias[0], NUM_CLASSES).set(params.bias);
    this.f32(L.bias[1], NUM_CLASSES).set(params.bias);
  }

  /** The two W halves → W (10, 784); the main thread's b → b. */
  paramsOut(params: Params): void {
    const L = this.current;
    const w0 = this.f32(L.w[0], NUM_CLASSES * HALF);
    const w1 = this.f32(L.w[1], NUM_CLASSES * HALF);
    for (let o = 0; o < NUM_CLASSES; o++) {
      params.weight.set(w0.subarray(o * HALF, (o + 1) * HALF), o * NUM_INPUTS);
      params.weight.set(w1.subarray(o * HALF, (o + 1) * HALF), o * NUM_INPUTS + HALF);
    }
    params.bias.set(this.f32(L.bias[0], NUM_CLASSES));
  }

  /** Σ W (10, 784) → the two (10, 392) f64 halves; Σ b → biasSum. */
  sumsIn(average: ParameterSums): void {
    const L = this.current;
    const buffer = this.memory.buffer;
    const s0 = new Float64Array(buffer, L.sum[0], NUM_CLASSES * HALF);
    const s1 = new Float64Array(buffer, L.sum[1], NUM_CLASSES * HALF);
    for (let o = 0; o < NUM_CLASSES; o++) {
      s0.set(average.weight.subarray(o * NUM_INPUTS, o * NUM_INPUTS + HALF), o * HALF);
      s1.set(average.weight.subarray(o * NUM_INPUTS + HALF, (o + 1) * NUM_INPUTS), o * HALF);
    }
    new Float64Array(buffer, L.biasSum, NUM_CLASSES).set(average.bias);
  }

  /** The running sums back into `average`, which counts `steps` more steps. */
  sumsOut(average: ParameterSums, steps: number): void {
    const L = this.current;
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
  ensureCapacity(batch: number, evalRows: number, orderLength: number): void {
    const L = this.current;
    if (batch <= L.batchCapacity && evalRows <= L.evalCapacity && orderLength <= L.orderCapacity) return;
    const capacities = [
      Math.max(batch, L.batchCapacity),
      Math.max(evalRows, L.evalCapacity),
      Math.max(orderLength, L.orderCapacity),
    ] as const;
    let layout = makeLayout(...capacities);
    const first = this.regions[0];
    if (first !== undefined && layout.end > first.start) layout = makeLayout(...capacities, this.regionsEnd());
    this.current = layout;
    this.resident.clear();
    this.imageStart = Math.max(layout.end, this.regionsEnd());
    this.imageEnd = this.imageStart;
    this.reserve(this.imageEnd);
  }

  /**
   * `bytes` of the memory for the caller to fill (LoadOptions.allocate: a dataset file's payload
   * is read here). Sets whose images and labels are views into such regions are used in place by
   * makeResident, with no copy. A region is never reused: its bytes stay the caller's.
   */
  allocate(bytes: number): Uint8Array {
    const start = align(Math.max(this.imageEnd, this.regionsEnd()));
    const end = start + bytes;
    this.reserve(end);
    this.regions.push({ start, end });
    this.resident.clear(); // the copies' area now starts above this region
    this.imageStart = align(end);
    this.imageEnd = this.imageStart;
    const buffer = this.memory.buffer;
    this.regionBuffers.add(buffer);
    return new Uint8Array(buffer, start, bytes);
  }

  /**
   * The set's images and labels in the shared memory, copied on first use. Sets are recognised
   * by their arrays (and a sample of their bytes); at most two (train and test) are kept, a
   * third starts over.
   */
  makeResident(set: ImageSet): Resident {
    const bytes = set.count * NUM_INPUTS;
    if (this.inRegion(set.images, bytes) && this.inRegion(set.labels, set.count)) {
      return { images: set.images.byteOffset, labels: set.labels.byteOffset, labelArray: set.labels, count: set.count };
    }
    const known = this.resident.get(set.images);
    if (known !== undefined && this.stillMatches(known, set)) return known;
    if (this.resident.size >= 2) {
      this.resident.clear();
      this.imageEnd = this.imageStart;
    }
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

  /** Forgets the resident sets (their bytes stay until overwritten). */
  clear(): void {
    this.resident.clear();
  }

  /** True when the first `length` values of `array` lie inside one region of this memory. */
  private inRegion(array: Uint8Array, length: number): boolean {
    if (!this.regionBuffers.has(array.buffer) || array.length < length) return false;
    const start = array.byteOffset;
    return this.regions.some((region) => start >= region.start && start + length <= region.end);
  }

  private regionsEnd(): number {
    return this.regions.at(-1)?.end ?? 0;
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
    if (pages > have) {
      this.memory.grow(pages - have);
      // before anything touches the new pages; the whole memory, so that it stays one mapping
      adviseHugePages(new Uint8Array(this.memory.buffer));
    }
  }
}
