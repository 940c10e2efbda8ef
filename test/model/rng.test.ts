import { describe, expect, it } from "vitest";
import { Rng } from "../../src/model/rng.js";

describe("Rng (xoshiro128** seeded by SplitMix32)", () => {
  it("matches the xoshiro128** reference output from state {1, 2, 3, 4}", () => {
    // Computed with an independent Python transcription of Vigna's xoshiro128starstar.c.
    const rng = Rng.fromState(1, 2, 3, 4);
    const out = Array.from({ length: 6 }, () => rng.nextUint32());
    expect(out).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it("is deterministic for a seed and stream, and differs across seeds and streams", () => {
    const draw = (seed: number, stream = 0) => {
      const rng = new Rng(seed, stream);
      return Array.from({ length: 8 }, () => rng.nextUint32());
    };
    expect(draw(0)).toEqual(draw(0));
    expect(draw(0)).not.toEqual(draw(1));
    expect(draw(0, 1)).not.toEqual(draw(0, 2));
    expect(draw(0, 1)).not.toEqual(draw(1, 0));
    // Seeds that differ only above 2^32 are different seeds.
    expect(draw(2 ** 32)).not.toEqual(draw(0));
  });

  it("rejects seeds that are not non-negative safe integers", () => {
    expect(() => new Rng(-1)).toThrow(RangeError);
    expect(() => new Rng(0.5)).toThrow(RangeError);
    expect(() => new Rng(2 ** 53)).toThrow(RangeError);
  });

  it("draws uniforms in [0, 1) with mean 1/2 and variance 1/12", () => {
    const rng = new Rng(7);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      sumSq += u * u;
    }
    expect(outside).toBe(0);
    const mean = sum / n;
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sumSq / n - mean * mean).toBeCloseTo(1 / 12, 2);
  });

  it("draws standard normals (Box–Muller) with mean 0 and variance 1", () => {
    const rng = new Rng(11);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let within1 = 0;
    let nonFinite = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      if (!Number.isFinite(z)) nonFinite++;
      sum += z;
      sumSq += z * z;
      if (Math.abs(z) < 1) within1++;
    }
    expect(nonFinite).toBe(0);
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.02);
    // P(|Z| < 1) = 0.6827 for a standard normal.
    expect(Math.abs(within1 / n - 0.6827)).toBeLessThan(0.01);
  });

  it("integer(n) is unbiased over a small range", () => {
    const rng = new Rng(3);
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.integer(6)]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it("integer(n) and the shuffle draw exactly x mod n with rejection above 2^32 − (2^32 mod n)", () => {
    // The definition, with the floating-point %, on a twin generator.
    const byDefinition = (rng: Rng, n: number): number => {
      const limit = 2 ** 32 - (2 ** 32 % n);
      for (;;) {
        const x = rng.nextUint32();
        if (x < limit) return x % n;
      }
    };
    const a = new Rng(11);
    const b = new Rng(11);
    for (const n of [1, 2, 3, 7, 255, 60_000, 65_537, 2 ** 31 - 1, 2 ** 31 + 1, 3_000_000_019, 2 ** 32 - 1, 2 ** 32]) {
      for (let i = 0; i < 2000; i++) expect(a.integer(n)).toBe(byDefinition(b, n));
    }
    // A training-size shuffle (the one of epoch 1, seed 0) against Fisher–Yates by the definition.
    const twin = new Rng(0, 1);
    const expected = Uint32Array.from({ length: 60_000 }, (_, i) => i);
    for (let i = expected.length - 1; i > 0; i--) {
      const j = byDefinition(twin, i + 1);
      [expected[i], expected[j]] = [expected[j]!, expected[i]!];
    }
    expect(new Rng(0, 1).permutation(60_000)).toEqual(expected);
  });

  it("permutation(n) holds each of 0..n-1 once, and shuffles", () => {
    const order = new Rng(5).permutation(1000);
    expect(order).toBeInstanceOf(Uint32Array);
    expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    let fixed = 0;
    for (let i = 0; i < order.length; i++) if (order[i] === i) fixed++;
    expect(fixed).toBeLessThan(10); // a random permutation has about 1 fixed point
    expect(new Rng(5).permutation(1000)).toEqual(order);
    expect(new Rng(6).permutation(1000)).not.toEqual(order);
    expect(new Rng(0).permutation(0)).toEqual(new Uint32Array(0));
    expect(new Rng(0).permutation(1)).toEqual(new Uint32Array([0]));
  });

  it("shuffle puts every element in every position about equally often (Fisher–Yates is uniform)", () => {
    const rng = new Rng(9);
    const position = Array.from({ length: 4 }, () => new Array<number>(4).fill(0));
    for (let t = 0; t < 40_000; t++) {
      const a = rng.shuffle([0, 1, 2, 3]);
      for (let i = 0; i < a.length; i++) position[a[i]!]![i]!++;
    }
    for (const row of position) for (const c of row) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });
});
