// The shared forward pass of a two-thread step (softmax.wat's forward_shared): its units of rows
// go to the thread that takes them, and whatever the split, x and the partial logits are bit for
// bit those of forward_partial over each half. The kernel runs on this one thread and the test
// plays the other thread's part through the control words: how far it has taken its own units,
// whether its half of W is current, whether it has reached the barrier.
import { describe, expect, it } from "vitest";
import { Control, HALF, PART_ROW_BYTES, UNIT_ROWS, X_ROW_BYTES } from "../../src/kernels/abi.js";
import { compileKernel, instantiateKernel } from "../../src/kernels/kernel.js";
import { KernelMemory } from "../../src/kernels/kernel-memory.js";
import { Rng } from "../../src/model/rng.js";
import { CROSS_ENTROPY, learnableImages, randomParams } from "./fixtures.js";

/** 100 rows: 6 units of UNIT_ROWS (16) and one of 4 in each half. */
const B = 100;
const UNITS = Math.ceil(B / UNIT_ROWS);
/** The step's barrier number (odd, so the counters of parity 1 are the ones used). */
const N = 7;

function setUp() {
  const set = learnableImages(300, 5);
  const memory = new KernelMemory();
  memory.ensureCapacity(128, set.count, set.count);
  const L = memory.layout;
  const resident = memory.makeResident(set);
  const k = instantiateKernel(compileKernel("plain"), memory.memory);
  memory.paramsIn(randomParams(2, 0.01));
  const order = new Rng(9).permutation(set.count);
  new Uint32Array(memory.buffer, L.order, set.count).set(order);
  const start = 150; // a step in the middle of the epoch's order
  const part = [L.part, L.part + L.partStride] as const;
  const common = { images: resident.images, labels: resident.labels, order: L.order, n: set.count, batch: B };
  for (const t of [0, 1] as const) {
    memory.writeArgs(L.args[t], CROSS_ENTROPY, {
      ...common,
      x: L.x[t],
      w: L.w[t],
      peerW: L.w[1 - t]!,
      peerX: L.x[1 - t]!,
    });
  }
  const ctrl = memory.control();
  const bytes = (at: number, length: number) => new Uint8Array(memory.buffer, at, length);
  /** x of both halves and the partial logits of both threads, copied. */
  const snapshot = () =>
    [0, 1].flatMap((t) => [bytes(L.x[t]!, B * X_ROW_BYTES).slice(), bytes(part[t]!, B * PART_ROW_BYTES).slice()]);
  const clear = () => {
    for (const t of [0, 1]) {
      bytes(L.x[t]!, B * X_ROW_BYTES).fill(0xff);
      bytes(part[t]!, B * PART_ROW_BYTES).fill(0xff);
    }
  };
  /** What forward_partial computes for the two halves, each over all B rows. */
  const expected = () => {
    clear();
    for (const t of [0, 1] as const) {
      k.forward_partial(resident.images, L.order, start, B, t * HALF, L.w[t], L.x[t], X_ROW_BYTES, part[t]);
    }
    return snapshot();
  };
  /** Thread t's share of the step: forward_shared as main_step (t = 0) or worker_epoch (t = 1) calls it. */
  const shared = (t: 0 | 1) => k.forward_shared(L.args[t], t, N, start, B, part[t], part[1 - t]!);
  /** The counter word of half t for this step's parity: [units taken from the front, from the back]. */
  const counter = (t: number) => {
    const word = ctrl[Control.units + 2 * t + (N % 2)]!;
    return [word & 0xffff, word >>> 16];
  };
  const peerState = (t: number, state: { wReady: number; seq: number; taken?: number }) => {
    ctrl[Control.wReady + t] = state.wReady;
    ctrl[Control.seqMain + t] = state.seq;
    ctrl[Control.units + 2 * t + (N % 2)] = state.taken ?? 0;
  };
  return { k, L, part, resident, start, expected, clear, snapshot, shared, counter, peerState, ctrl };
}

describe("forward_shared (the forward pass of a two-thread step)", () => {
  it("takes the peer's units from the back once the peer's W is current, with the same x and logits", () => {
    const h = setUp();
    const want = h.expected();
    h.clear();
    // The main thread has updated its half of W for this step but is slow: it has taken no unit yet.
    h.peerState(0, { wReady: N, seq: N - 1 });
    h.shared(1);
    // The worker took its 4 units from the front and all 4 of the main thread's from the back
    // (each end's last, failed take counts too).
    expect(h.counter(1)).toEqual([UNITS + 1, 0]);
    expect(h.counter(0)).toEqual([0, UNITS + 1]);
    expect(h.ctrl[Control.wReady + 1]).toBe(N);
    // The main thread then finds its half done and the worker at the barrier.
    h.ctrl[Control.seqMain + 1] = N;
    h.shared(0);
    expect(h.snapshot()).toEqual(want);
    expect(h.counter(0)).toEqual([1, UNITS + 1]);
  });

  it("leaves the units the owner took from the front to the owner", () => {
    const h = setUp();
    const want = h.expected();
    h.clear();
    // The main thread has taken (and done) its first 2 units; the worker takes the other 2 from the back.
    h.peerState(0, { wReady: N, seq: N - 1, taken: 2 });
    const mainRows = 2 * UNIT_ROWS;
    h.k.forward_partial(h.resident.images, h.L.order, h.start, mainRows, 0, h.L.w[0], h.L.x[0], X_ROW_BYTES, h.part[0]);
    h.shared(1);
    expect(h.counter(0)).toEqual([2, UNITS - 2 + 1]);
    expect(h.snapshot()).toEqual(want);
  });

  it("does not take the peer's units before the peer's half of W is current", () => {
    const h = setUp();
    const want = h.expected();
    h.clear();
    // The main thread is still updating its half of W for the previous step.
    h.peerState(0, { wReady: N - 1, seq: N - 1 });
    h.shared(1);
    expect(h.counter(0)).toEqual([0, 0]);
    const untouched = new Uint8Array(B * PART_ROW_BYTES).fill(0xff);
    const got = h.snapshot();
    expect(got[1]).toEqual(untouched); // the main thread's logits: not computed
    expect([got[2], got[3]]).toEqual([want[2], want[3]]); // the worker's own half: done
    // The main thread then does its own half.
    h.ctrl[Control.seqMain + 1] = N;
    h.shared(0);
    expect(h.snapshot()).toEqual(want);
  });
});
