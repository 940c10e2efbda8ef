// The kernel's ABI: how JavaScript and softmax.wat share one WebAssembly memory. The control
// words at its start, the block of an epoch's arguments, the results of a step and the row sizes
// of the buffers are defined here once. scripts/build-wasm.js fills the WAT's `${NAME}`
// placeholders from WAT_CONSTANTS below (a name it does not know stops the build), and the
// backend (kernel-memory.ts, wasm-backend.ts), the worker thread and the tests import the same
// objects. Where each buffer sits is decided at run time (kernel-memory.ts, makeLayout) and passed
// to the kernel as pointers.
// It holds no behaviour, and imports nothing but types.ts (the build transpiles the two alone).
import { NUM_CLASSES, NUM_INPUTS } from "../types.js";

/** Columns of the input in each thread's half: thread t owns inputs t·HALF … (t+1)·HALF − 1. */
export const HALF = NUM_INPUTS / 2;

/**
 * Indices of the Int32 control words at the start of the shared memory (Control.words of them).
 * The kernel addresses thread t's word of a pair (seqMain/seqWorker, spinBudget) as the pair's first word + t.
 */
export const Control = {
  /** Barrier number the main thread last arrived at (thread t's word is seqMain + t). */
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
  /**
   * The unit counters of the shared forward pass (the kernel's forward_shared): one word per half
   * and step parity, at units + 2·half + parity.
   */
  units: 40,
  /** Barrier number of the step for which thread t's half of W is current (wReady + t). */
  wReady: 44,
  /**
   * Byte range of the memory handed out for data files (allocate) so far: the worker touches its
   * fresh pages while the main thread reads the files in (WasmBackend.allocate), and records in
   * prefaultDone how far it has gone.
   */
  prefaultStart: 46,
  prefaultEnd: 47,
  prefaultDone: 48,
  /** First of the Int32 arguments of a command (EvaluateArgs; Command.train: the worker's StepArgs address). */
  args: 8,
  /** A word the kernel stores into so that reads done only to warm the caches are not optimised away. */
  sink: 63,
  words: 64,
} as const;

export const Command = { train: 1, evaluate: 2, exit: 3 } as const;

/** Indices, after Control.args, of the arguments of Command.evaluate. */
export const EvaluateArgs = { images: 0, n: 1, base: 2, x: 3, w: 4, part: 5 } as const;

/**
 * Byte offsets in the block of an epoch's arguments, one block per thread (what the kernel's
 * main_step and worker_epoch read). Pointers and counts are i32; lr, wd and eps are f32.
 * Step s covers examples order[s·batch … min(n, (s+1)·batch)).
 */
export const StepArgs = {
  /** (N, 784) u8 */
  images: 0,
  /** (N) u8 */
  labels: 4,
  /** (n) u32: the epoch's order */
  order: 8,
  n: 12,
  batch: 16,
  /** Barrier number before the epoch's first step. */
  base: 20,
  /** Partial logits: 2 step parities × 2 threads × (batch, 10), PART_ROW_BYTES a row. */
  part: 24,
  /** Bytes from one thread's partial logits to the other's. */
  partStride: 28,
  lr: 32,
  wd: 36,
  /** ε of label smoothing. */
  eps: 40,
  /** This thread's half: X (B, 392), dLogits (B, 12), W (10, 392), b (10), the step's results (Out). */
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
  /** Main thread only: loss_step's scratch (SCRATCH_ROW_BYTES a row), Σ b (10) f64 and values added to it per step. */
  scratch: 84,
  biasSum: 88,
  biasSumValues: 92,
  /** The loss (LossCode). */
  loss: 96,
  /** This thread's half: per step s, Σ dW² of the half at norms + s·NORM_SLOT_BYTES (f64; never 0). */
  norms: 100,
  /** Main thread only: half 1's per-step Σ dW² when it runs both halves. */
  norms1: 104,
  /** Two threads: the other thread's half of W and of X, for the units of its forward pass this thread takes. */
  peerW: 108,
  peerX: 112,
  bytes: 128,
} as const;

/** The loss of an epoch as the kernel reads it from StepArgs.loss. */
export const LossCode = { "cross-entropy": 0, mse: 1, hinge: 2 } as const;

/** Byte offsets of a step's results in the `out` block loss_step writes. */
export const Out = {
  /** f64: the loss summed over the batch (main thread only). */
  loss: 0,
  /** i32: rows whose first argmax is the label (main thread only). */
  correct: 8,
  /** i32: 1 when every logit was finite, else 0 (the step is then not applied). */
  finite: 12,
  bytes: 64,
} as const;

/** Bytes of a row of x (B, 392) f32 and of a row of a W half (10, 392) f32. */
export const X_ROW_BYTES = HALF * 4;
export const W_ROW_BYTES = HALF * 4;
/** Bytes of a row of partial logits (B, 10) f32. */
export const PART_ROW_BYTES = NUM_CLASSES * 4;
/** Bytes of a row of dLogits (B, 12) f32: 10 classes padded to 3 vectors (lanes 10, 11 unused). */
export const G_ROW_BYTES = 48;
/** Bytes of a row of loss_step's scratch: 4 f32 pieces of the row's loss. */
export const SCRATCH_ROW_BYTES = 16;
/**
 * Rows of a unit of the shared forward pass (the kernel's forward_shared): 16 units of a half in a
 * batch of 256. With 32-row units the threads waited 2–3× longer at the barrier and an epoch took
 * 3–7 % longer; 8-row units were no faster than 16.
 */
export const UNIT_ROWS = 16;
/** Bytes per step of a half's sums of squared weight gradients: backward_update accumulates an f32x4 there, then leaves the f64 total at +0. */
export const NORM_SLOT_BYTES = 16;

/**
 * The names softmax.wat may use as `${NAME}` (or in `${…}` arithmetic with + − * and integers),
 * all byte offsets or sizes. Control words are given as byte addresses (index · 4).
 */
export const WAT_CONSTANTS: Readonly<Record<string, number>> = {
  CONTROL_SEQ: Control.seqMain * 4,
  CONTROL_STOP_AT: Control.stopAt * 4,
  CONTROL_FAILED: Control.failed * 4,
  CONTROL_SPIN_BUDGET: Control.spinBudget * 4,
  CONTROL_SINK: Control.sink * 4,
  CONTROL_UNITS: Control.units * 4,
  CONTROL_W_READY: Control.wReady * 4,
  ARGS_IMAGES: StepArgs.images,
  ARGS_LABELS: StepArgs.labels,
  ARGS_ORDER: StepArgs.order,
  ARGS_N: StepArgs.n,
  ARGS_BATCH: StepArgs.batch,
  ARGS_BASE: StepArgs.base,
  ARGS_PART: StepArgs.part,
  ARGS_PART_STRIDE: StepArgs.partStride,
  ARGS_LR: StepArgs.lr,
  ARGS_WD: StepArgs.wd,
  ARGS_EPS: StepArgs.eps,
  ARGS_X: StepArgs.x,
  ARGS_G: StepArgs.g,
  ARGS_W: StepArgs.w,
  ARGS_BIAS: StepArgs.bias,
  ARGS_OUT: StepArgs.out,
  ARGS_SUM: StepArgs.sum,
  ARGS_SUM_VALUES: StepArgs.sumValues,
  ARGS_X1: StepArgs.x1,
  ARGS_W1: StepArgs.w1,
  ARGS_SUM1: StepArgs.sum1,
  ARGS_SCRATCH: StepArgs.scratch,
  ARGS_BIAS_SUM: StepArgs.biasSum,
  ARGS_BIAS_SUM_VALUES: StepArgs.biasSumValues,
  ARGS_LOSS: StepArgs.loss,
  ARGS_NORMS: StepArgs.norms,
  ARGS_NORMS1: StepArgs.norms1,
  ARGS_PEER_W: StepArgs.peerW,
  ARGS_PEER_X: StepArgs.peerX,
  LOSS_MSE: LossCode.mse,
  LOSS_HINGE: LossCode.hinge,
  OUT_LOSS: Out.loss,
  OUT_CORRECT: Out.correct,
  OUT_FINITE: Out.finite,
  /** Bytes of an image row (784 u8) and columns of a half (392, also the bytes of a half image row). */
  IMAGE_ROW_BYTES: NUM_INPUTS,
  HALF,
  X_ROW_BYTES,
  W_ROW_BYTES,
  PART_ROW_BYTES,
  G_ROW_BYTES,
  SCRATCH_ROW_BYTES,
  NORM_SLOT_BYTES,
  UNIT_ROWS,
};
