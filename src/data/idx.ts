// The IDX file format (LeCun's MNIST format): parse bytes into a typed array with its shape, and
// encode one for fixtures. Pure functions on bytes; no file or network I/O, no dataset knowledge
// (image/label pairing and label ranges are checked in image-set.ts).
//
// Layout: magic `00 00 TYPE NDIM`, then NDIM big-endian uint32 dimensions, then the data,
// row-major and big-endian.
import { DataError } from "../errors.js";

export type IdxType = "u8" | "i8" | "i16" | "i32" | "f32" | "f64";

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  readonly type: IdxType;
  readonly dims: number[];
  /** Row-major values; for u8 and i8 a view on the input bytes (no copy). */
  readonly data: IdxData;
}

/** Type code (third magic byte) → element type and size in bytes. */
export const IDX_TYPES: ReadonlyMap<number, { readonly type: IdxType; readonly size: number }> = new Map([
  [0x08, { type: "u8", size: 1 }],
  [0x09, { type: "i8", size: 1 }],
  [0x0b, { type: "i16", size: 2 }],
  [0x0c, { type: "i32", size: 4 }],
  [0x0d, { type: "f32", size: 4 }],
  [0x0e, { type: "f64", size: 8 }],
]);

const HINT = "the file is damaged or not an IDX file; run `softmax download --force` to fetch a fresh copy";

/**
 * Parses an IDX file. Checks the magic, the type code, that the header is complete, and that the
 * body holds exactly the bytes the dimensions promise, before allocating anything. `file` names
 * the file in error messages.
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const fail = (what: string): never => {
    throw new DataError(`${file}: ${what}`, { hint: HINT });
  };
  if (bytes.length < 4) fail(`not an IDX file: ${bytes.length} bytes, shorter than the 4-byte magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const typeCode = bytes[2]!;
  const ndim = bytes[3]!;
  const elementType = IDX_TYPES.get(typeCode);
  if (bytes[0] !== 0 || bytes[1] !== 0 || elementType === undefined) {
    fail(`bad IDX magic number 0x${hex(magic)} (expected 0x0000TTNN with type TT one of 08 09 0B 0C 0D 0E)`);
  }
  const { type, size } = elementType!;
  if (ndim === 0) fail("bad IDX header: zero dimensions");
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    fail(`truncated IDX header: ${ndim} dimensions need ${headerBytes} header bytes, the file has ${bytes.length}`);
  }
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i));

  // Never trust the header alone: compare what it promises with what is there before allocating.
  // Element counts are capped by the body length as they are multiplied, so they cannot overflow.
  const bodyBytes = bytes.length - headerBytes;
  let count = 1;
  for (const dim of dims) {
    count *= dim;
    if (count * size > bodyBytes) break;
  }
  const expected = count * size;
  if (expected > bodyBytes) {
    fail(
      `truncated IDX body: dims [${dims.join(", ")}] of ${type} need ${dims.reduce((a, b) => a * BigInt(b), BigInt(size))} data bytes, ` +
        `the file holds ${bodyBytes}`,
    );
  }
  if (expected < bodyBytes) {
    fail(`${bodyBytes - expected} trailing bytes after the data of dims [${dims.join(", ")}] of ${type}`);
  }
  return { type, dims, data: readBody(view, headerBytes, count, type) };
}

/** The body as a typed array: a view for bytes, a big-endian decode for wider types. */
function readBody(view: DataView, offset: number, count: number, type: IdxType): IdxData {
  const start = view.byteOffset + offset;
  switch (type) {
    case "u8":
      return new Uint8Array(view.buffer, start, count);
    case "i8":
      return new Int8Array(view.buffer, start, count);
    case "i16": {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i);
      return out;
    }
    case "i32": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i);
      return out;
    }
    case "f32": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i);
      return out;
    }
    case "f64": {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i);
      return out;
    }
  }
}

/** Encodes values as an IDX file of `type` and shape `dims` (for fixtures and synthetic datasets). */
export function encodeIdx(type: IdxType, dims: readonly number[], values: ArrayLike<number>): Uint8Array {
  const entry = [...IDX_TYPES].find(([, t]) => t.type === type);
  if (entry === undefined) throw new RangeError(`unknown IDX type ${type}`);
  const [code, { size }] = entry;
  const count = dims.reduce((a, b) => a * b, 1);
  if (values.length !== count)
    throw new RangeError(`dims [${dims.join(", ")}] need ${count} values, got ${values.length}`);
  const header = 4 + 4 * dims.length;
  const bytes = new Uint8Array(header + count * size);
  const view = new DataView(bytes.buffer);
  view.setUint8(2, code);
  view.setUint8(3, dims.length);
  dims.forEach((dim, i) => {
    view.setUint32(4 + 4 * i, dim);
  });
  for (let i = 0; i < count; i++) {
    const at = header + i * size;
    const value = values[i]!;
    if (type === "u8") view.setUint8(at, value);
    else if (type === "i8") view.setInt8(at, value);
    else if (type === "i16") view.setInt16(at, value);
    else if (type === "i32") view.setInt32(at, value);
    else if (type === "f32") view.setFloat32(at, value);
    else view.setFloat64(at, value);
  }
  return bytes;
}

function hex(value: number): string {
  return value.toString(16).toUpperCase().padStart(8, "0");
}
