// Where KernelMemory puts image sets: copied in at first use, or used in place when they were read
// into regions it handed out (allocate, what the data loader reads the files into); regions are
// never overwritten by copies or by a layout that grows; and training on a set used in place gives
// the same bits as training on its copy.
import { afterEach, describe, expect, it } from "vitest";
import { Control } from "../../src/kernels/abi.js";
import { KernelMemory } from "../../src/kernels/kernel-memory.js";
import { WasmBackend } from "../../src/kernels/wasm-backend.js";
import { Rng } from "../../src/model/rng.js";
import type { ImageSet, StepOptions } from "../../src/types.js";
import { NUM_INPUTS } from "../../src/types.js";
import { copyParams, learnableImages, randomParams } from "./fixtures.js";

/** `set`'s images and labels in memory.allocate regions, laid out as IDX files are (a header, then the values). */
function readIntoRegions(memory: { allocate(bytes: number): Uint8Array }, set: ImageSet): ImageSet {
  const imageFile = memory.allocate(16 + set.images.length);
  imageFile.set(set.images, 16);
  const labelFile = memory.allocate(8 + set.count);
  labelFile.set(set.labels, 8);
  return { images: imageFile.subarray(16), labels: labelFile.subarray(8), count: set.count };
}

const backends: WasmBackend[] = [];
afterEach(async () => {
  await Promise.all(backends.splice(0).map((backend) => backend.close()));
});

describe("KernelMemory", () => {
  it("uses a set read into its regions in place, and copies any other set", () => {
    const memory = new KernelMemory();
    const original = learnableImages(50, 1);
    const inPlace = readIntoRegions(memory, original);
    const resident = memory.makeResident(inPlace);
    expect(resident.images).toBe(inPlace.images.byteOffset);
    expect(resident.labels).toBe(inPlace.labels.byteOffset);

    const copied = memory.makeResident(original);
    expect(copied.images).not.toBe(resident.images);
    const bytes = new Uint8Array(memory.buffer, copied.images, original.images.length);
    expect(bytes).toEqual(original.images);
    // The copy lies above the regions: they are untouched.
    expect(copied.images).toBeGreaterThanOrEqual(inPlace.labels.byteOffset + inPlace.count);
    expect(inPlace.images).toEqual(original.images);
    expect(inPlace.labels).toEqual(original.labels);
  });

  it("never overwrites a region: not with copies of more sets, nor with a layout that outgrows the room below it", () => {
    const memory = new KernelMemory();
    const original = learnableImages(40, 2);
    const inPlace = readIntoRegions(memory, original);
    for (let seed = 3; seed < 7; seed++) memory.makeResident(learnableImages(30, seed)); // a third set starts over
    const before = memory.layout.end;
    memory.ensureCapacity(8192, 70_000, 70_000); // far larger than the room below the first region
    const L = memory.layout;
    expect(L.end).toBeGreaterThan(before);
    // Every buffer of the new layout lies outside the regions.
    const regionStart = inPlace.images.byteOffset - 16;
    const regionEnd = inPlace.labels.byteOffset + inPlace.count;
    expect(L.args[0] >= regionEnd || L.end <= regionStart).toBe(true);
    new Uint8Array(memory.buffer, L.args[0], L.end - L.args[0]).fill(0xff); // what the kernel may write there
    memory.makeResident(learnableImages(30, 8));
    expect(inPlace.images).toEqual(original.images);
    expect(inPlace.labels).toEqual(original.labels);
    expect(memory.makeResident(inPlace).images).toBe(inPlace.images.byteOffset);
  });

  it("copies a set that lies in its memory but outside its regions, or runs past a region's end", () => {
    const memory = new KernelMemory();
    const original = learnableImages(10, 3);
    const outside = new Uint8Array(memory.buffer, memory.layout.x[0], original.images.length); // a kernel buffer
    outside.set(original.images);
    const labels = memory.allocate(original.count);
    labels.set(original.labels);
    const notRegion = memory.makeResident({ images: outside, labels, count: original.count });
    expect(notRegion.images).not.toBe(outside.byteOffset);

    const half = memory.allocate(5 * NUM_INPUTS); // holds half the images: the rest would be whatever follows
    const pastEnd = new Uint8Array(half.buffer, half.byteOffset, original.images.length);
    expect(memory.makeResident({ images: pastEnd, labels, count: original.count }).images).not.toBe(half.byteOffset);
  });
});

describe("WasmBackend.allocate", () => {
  it("trains a set read into its memory to the same bits as the same set copied in, on 2 threads", async () => {
    const original = learnableImages(300, 4);
    const order = new Rng(0, 1).permutation(original.count);
    const options: StepOptions = { lr: 0.1, weightDecay: 1e-4, labelSmoothing: 0, loss: "cross-entropy" };
    const copying = await WasmBackend.create({ threads: 2, kernel: "plain" });
    const reading = await WasmBackend.create({ threads: 2, kernel: "plain" });
    backends.push(copying, reading);
    const inPlace = readIntoRegions(reading, original);
    const p = randomParams(5, 0.01);
    const q = copyParams(p);
    for (let epoch = 0; epoch < 2; epoch++) {
      const a = await copying.trainEpoch(p, original, order, 64, options);
      const b = await reading.trainEpoch(q, inPlace, order, 64, options);
      expect(b).toEqual(a);
    }
    expect(q.weight).toEqual(p.weight);
    expect(q.bias).toEqual(p.bias);
    expect(await reading.predictLabels(q, inPlace)).toEqual(await copying.predictLabels(p, original));
    expect(inPlace.images).toEqual(original.images); // the kernel only reads the images
  });

  /** Resident memory of this process (all threads), in bytes, as the kernel counts it. */
  const rss = () => process.memoryUsage().rss;
  /** Resolves once the worker has touched the pages up to `end` (Control.prefaultDone), or after 10 s. */
  const prefaultDone = async (region: Uint8Array, end: number) => {
    const ctrl = new Int32Array(region.buffer, 0, Control.words);
    for (let waited = 0; Atomics.load(ctrl, Control.prefaultDone) < end && waited < 10_000; waited += 5) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return Atomics.load(ctrl, Control.prefaultDone);
  };
  const MIB = 1024 * 1024;

  it("has the worker touch a region's pages while the caller fills it, changing none of the caller's bytes", async () => {
    const backend = await WasmBackend.create({ threads: 2, kernel: "plain" });
    backends.push(backend);
    const before = rss();
    const region = backend.allocate(48 * MIB);
    const end = region.byteOffset + region.byteLength;
    // Filled from the bottom up, 1 MiB at a time, as the loader reads a file in, while the worker
    // touches the pages from the top down.
    const rng = new Rng(8, 2);
    const piece = Uint8Array.from({ length: MIB }, () => 1 + rng.integer(255));
    for (let at = 0; at < region.length; at += MIB) region.set(piece, at);
    expect(await prefaultDone(region, end)).toBe(end);
    const pieceBytes = Buffer.from(piece);
    const changed = [];
    for (let at = 0; at < region.length; at += MIB) {
      if (!Buffer.from(region.buffer, region.byteOffset + at, MIB).equals(pieceBytes)) changed.push(at / MIB);
    }
    expect(changed).toEqual([]); // the MiB pieces whose bytes changed
    expect(rss() - before).toBeGreaterThan(40 * MIB);
  });

  it("has the worker touch a region's pages on its own: they are resident before the caller writes", async () => {
    const backend = await WasmBackend.create({ threads: 2, kernel: "plain" });
    backends.push(backend);
    const before = rss();
    const region = backend.allocate(32 * MIB);
    expect(await prefaultDone(region, region.byteOffset + region.byteLength)).toBe(
      region.byteOffset + region.byteLength,
    );
    expect(rss() - before).toBeGreaterThan(28 * MIB);
    expect(Buffer.from(region.buffer, region.byteOffset, region.length).equals(Buffer.alloc(region.length))).toBe(true);
    // One thread: nobody touches the region for the caller.
    const alone = await WasmBackend.create({ threads: 1, kernel: "plain" });
    backends.push(alone);
    const untouched = rss();
    alone.allocate(32 * MIB);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(rss() - untouched).toBeLessThan(8 * MIB);
  });
});
