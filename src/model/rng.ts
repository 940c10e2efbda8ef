// A small seeded pseudo-random generator for parameter initialisation and the per-epoch shuffle.
// Algorithm: xoshiro128** (Blackman & Vigna, 2018) on four 32-bit words, seeded by running
// SplitMix32 over the seed, so nearby seeds give unrelated streams. Normals come from the
// Box–Muller transform. It is deterministic across machines and Node versions (only 32-bit integer
// arithmetic and Math.log/cos/sin/sqrt on values it produced); it is not cryptographic.

const TWO_POW_32 = 4294967296;

/** SplitMix32 step: returns the next state and a well-mixed output word. */
function splitMix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [next, z >>> 0];
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  /**
   * A generator for `seed` (any non-negative integer up to 2^53) and an independent `stream`
   * (e.g. 0 for initialisation, 1 + epoch for that epoch's shuffle).
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
    if (!Number.isSafeInteger(stream) || stream < 0)
      throw new RangeError(`stream must be a non-negative safe integer, got ${stream}`);
    // Mix the low and high words of the seed and of the stream into one SplitMix32 state.
    let state = 0;
    let out: number;
    for (const word of [
      seed >>> 0,
      Math.floor(seed / TWO_POW_32) >>> 0,
      stream >>> 0,
      Math.floor(stream / TWO_POW_32) >>> 0,
    ]) {
      [state, out] = splitMix32(state ^ word);
      state = (state ^ out) | 0;
    }
    [state, out] = splitMix32(state);
    this.s0 = out;
    [state, out] = splitMix32(state);
    this.s1 = out;
    [state, out] = splitMix32(state);
    this.s2 = out;
    [state, out] = splitMix32(state);
    this.s3 = out;
    // xoshiro must not start from the all-zero state.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator in a given xoshiro128** state (for checking against the published test vectors). */
  static fromState(s0: number, s1: number, s2: number, s3: number): Rng {
    const rng = new Rng(0);
    rng.s0 = s0 | 0;
    rng.s1 = s1 | 0;
    rng.s2 = s2 | 0;
    rng.s3 = s3 | 0;
    return rng;
  }

  /** The next 32 random bits as an unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias (rejection sampling on 32 bits). */
  integer(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32)
      throw new RangeError(`n must be an integer in 1..2^32, got ${n}`);
    return this.below(n);
  }

  /**
   * integer(n) without the argument check: x mod n for the first x < 2^32 − (2^32 mod n).
   * The remainders are taken as x − ⌊x/n⌋·n: for x, n ≤ 2^32 the quotient x/n is never within
   * half an ulp of the next integer, so ⌊x/n⌋ is exact, and this avoids the floating-point `%`
   * (a call into the C library per draw, most of the cost of a 60 000-element shuffle).
   */
  private below(n: number): number {
    const limit = Math.floor(TWO_POW_32 / n) * n;
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x - Math.floor(x / n) * n;
    }
  }

  /** Standard normal N(0, 1) by Box–Muller; the second value of each pair is kept for the next call. */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    const u1 = 1 - this.uniform(); // (0, 1]: log(u1) is finite
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Shuffles `array` in place (Fisher–Yates, from the end) and returns it. */
  shuffle<T extends { length: number; [index: number]: number }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const tmp = array[i]!;
      array[i] = array[j]!;
      array[j] = tmp;
    }
    return array;
  }

  /** A random permutation of 0..n−1. */
  permutation(n: number): Uint32Array {
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    return this.shuffle(order);
  }
}
