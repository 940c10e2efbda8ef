// IDX parser: every type code decoded from hand-written big-endian bytes, and every rejection
// named in docs/data.md, each error naming the file.
import { describe, expect, it } from "vitest";
import { encodeIdx, type IdxType, parseIdx } from "../../src/data/idx.js";
import { DataError } from "../../src/errors.js";

/** magic 00 00 TYPE NDIM, dims as big-endian uint32, then `body`. */
function idx(typeCode: number, dims: number[], body: number[]): Uint8Array {
  const header = [0, 0, typeCode, dims.length];
  for (const dim of dims) header.push((dim >>> 24) & 255, (dim >>> 16) & 255, (dim >>> 8) & 255, dim & 255);
  return Uint8Array.from([...header, ...body]);
}

describe("parseIdx decodes every type code", () => {
  // Each body is written out by hand in big-endian order; the expected values are what it spells.
  const cases: { code: number; type: IdxType; body: number[]; values: number[]; array: string }[] = [
    { code: 0x08, type: "u8", body: [0, 127, 255], values: [0, 127, 255], array: "Uint8Array" },
    { code: 0x09, type: "i8", body: [0x80, 0xff, 0x7f], values: [-128, -1, 127], array: "Int8Array" },
    {
      code: 0x0b,
      type: "i16",
      body: [0x80, 0x00, 0xff, 0xfe, 0x01, 0x02],
      values: [-32768, -2, 258],
      array: "Int16Array",
    },
    {
      code: 0x0c,
      type: "i32",
      body: [0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02, 0x03, 0x04],
      values: [-2147483648, -1, 0x01020304],
      array: "Int32Array",
    },
    // 0x3F800000 = 1.0, 0xC0000000 = -2.0, 0x3EA00000 = 0.3125
    {
      code: 0x0d,
      type: "f32",
      body: [0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0, 0x3e, 0xa0, 0, 0],
      values: [1, -2, 0.3125],
      array: "Float32Array",
    },
    // 0x3FF0000000000000 = 1.0, 0xC004000000000000 = -2.5, 0x3FD0000000000000 = 0.25
    {
      code: 0x0e,
      type: "f64",
      body: [0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xc0, 0x04, 0, 0, 0, 0, 0, 0, 0x3f, 0xd0, 0, 0, 0, 0, 0, 0],
      values: [1, -2.5, 0.25],
      array: "Float64Array",
    },
  ];

  it.each(cases)("type 0x$code → $type", ({ code, type, body, values, array }) => {
    const parsed = parseIdx(idx(code, [3], body), "fixture");
    expect(parsed.type).toBe(type);
    expect(parsed.dims).toEqual([3]);
    expect(parsed.data.constructor.name).toBe(array);
    expect(Array.from(parsed.data)).toEqual(values);
  });

  it("keeps dims in order and data row-major", () => {
    const parsed = parseIdx(idx(0x08, [2, 3], [1, 2, 3, 4, 5, 6]), "fixture");
    expect(parsed.dims).toEqual([2, 3]);
    expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("reads u8 data as a view on the input, at any byte offset", () => {
    const bytes = idx(0x08, [2], [7, 9]);
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    const parsed = parseIdx(padded.subarray(3), "fixture");
    expect(Array.from(parsed.data)).toEqual([7, 9]);
    expect(parsed.data.buffer).toBe(padded.buffer);
  });

  it("round-trips encodeIdx for every type", () => {
    for (const type of ["u8", "i8", "i16", "i32", "f32", "f64"] as const) {
      const values = type === "u8" ? [0, 1, 200, 255] : [-3, 0, 1, 100];
      const parsed = parseIdx(encodeIdx(type, [2, 2], values), "fixture");
      expect(parsed.type).toBe(type);
      expect(Array.from(parsed.data)).toEqual(values);
    }
  });

  it("accepts a dimension of size zero with an empty body", () => {
    expect(parseIdx(idx(0x08, [0, 28, 28], []), "fixture").data.length).toBe(0);
  });
});

describe("parseIdx rejects", () => {
  const rejections: { what: string; bytes: Uint8Array; message: RegExp }[] = [
    {
      what: "a file shorter than the magic",
      bytes: Uint8Array.from([0, 0, 8]),
      message: /shorter than the 4-byte magic/,
    },
    {
      what: "non-zero leading magic bytes",
      bytes: Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]),
      message: /bad IDX magic number 0x01000801/,
    },
    { what: "an unknown type code", bytes: idx(0x0a, [1], [0]), message: /bad IDX magic number 0x00000A01/ },
    { what: "a gzip file given as raw", bytes: Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0]), message: /bad IDX magic/ },
    { what: "zero dimensions", bytes: idx(0x08, [], []), message: /zero dimensions/ },
    {
      what: "a header cut inside the dims",
      bytes: idx(0x08, [2, 2], [1, 2, 3, 4]).subarray(0, 9),
      message: /truncated IDX header: 2 dimensions need 12 header bytes, the file has 9/,
    },
    {
      what: "a truncated body",
      bytes: idx(0x08, [2, 3], [1, 2, 3, 4, 5]),
      message: /truncated IDX body: dims \[2, 3\] of u8 need 6 data bytes, the file holds 5/,
    },
    {
      what: "a truncated body of a wider type",
      bytes: idx(0x0c, [2], [0, 0, 0, 1, 0, 0, 0]),
      message: /dims \[2\] of i32 need 8 data bytes, the file holds 7/,
    },
    {
      what: "trailing bytes",
      bytes: idx(0x08, [2], [1, 2, 3]),
      message: /1 trailing bytes after the data of dims \[2\]/,
    },
    {
      what: "dims claiming far more than the file holds",
      bytes: idx(0x0e, [0xffffffff, 0xffffffff, 0xffffffff], [1, 2, 3]),
      message: /need 633825299671392843082401579000 data bytes, the file holds 3/, // (2³²−1)³·8
    },
  ];

  it.each(rejections)("$what", ({ bytes, message }) => {
    let error: unknown;
    try {
      parseIdx(bytes, "data/some-file-idx3-ubyte");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).message).toMatch(/^data\/some-file-idx3-ubyte: /);
    expect((error as DataError).message).toMatch(message);
    expect((error as DataError).hint).toMatch(/softmax download --force/);
  });
});
