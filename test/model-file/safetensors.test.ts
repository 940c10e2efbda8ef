// The safetensors reader and writer: the layout of the spec, exact round trips, and every malformed
// file rejected with one line naming the file (and the tensor).
import { describe, expect, it } from "vitest";
import { ModelFileError } from "../../src/errors.js";
import { initParams } from "../../src/model/softmax-regression.js";
import { decodeModel, encodeModel } from "../../src/model-file/model-file.js";
import { decodeSafetensors, encodeSafetensors, MAX_TENSORS } from "../../src/model-file/safetensors.js";

const metadata = { format: "pt", epochs: "3", lr: "0.1" };

/** A safetensors file from a raw header object and data bytes (padding the header like the writer). */
function build(header: unknown, data: Uint8Array, options: { pad?: boolean; rawHeader?: Uint8Array } = {}): Uint8Array {
  let headerBytes = options.rawHeader ?? new TextEncoder().encode(JSON.stringify(header));
  if (options.pad !== false && options.rawHeader === undefined) {
    const padded = JSON.stringify(header) + " ".repeat((8 - (headerBytes.length % 8)) % 8);
    headerBytes = new TextEncoder().encode(padded);
  }
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out;
}

/** A valid header for the model's two tensors, packed bias then weight. */
function modelHeader(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    __metadata__: metadata,
    bias: { dtype: "F32", shape: [10], data_offsets: [0, 40] },
    weight: { dtype: "F32", shape: [10, 784], data_offsets: [40, 40 + 31360] },
    ...overrides,
  };
}
const modelData = () => new Uint8Array(40 + 31360);

function rejects(bytes: Uint8Array, pattern: RegExp): void {
  let error: unknown;
  try {
    decodeModel(bytes, "bad.safetensors");
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ModelFileError);
  const message = (error as Error).message;
  expect(message).toMatch(/^bad\.safetensors: /);
  expect(message).toMatch(pattern);
  expect(message).not.toContain("\n");
}

describe("encodeSafetensors / decodeSafetensors", () => {
  it("round-trips the model's parameters and metadata exactly", () => {
    const params = initParams(1);
    params.bias.set([1, -2, 3.5, 0, 0, 0, 0, 0, 0, 1e-30]);
    const bytes = encodeModel(params, metadata);
    const decoded = decodeModel(bytes, "m.safetensors");
    expect(decoded.params.weight).toEqual(params.weight);
    expect(decoded.params.bias).toEqual(params.bias);
    expect(decoded.metadata).toEqual(metadata);
  });

  it("writes the layout of the spec: u64 LE header length, JSON from '{' padded with spaces to 8, packed LE data", () => {
    const params = { weight: new Float32Array(7840), bias: Float32Array.from({ length: 10 }, (_, i) => i) };
    params.weight[0] = 0.5;
    const bytes = encodeModel(params, metadata);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const n = Number(view.getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(header.startsWith("{")).toBe(true);
    expect(header).toMatch(/^\{.*\} *$/);
    const parsed = JSON.parse(header);
    expect(parsed.bias).toEqual({ dtype: "F32", shape: [10], data_offsets: [0, 40] });
    expect(parsed.weight).toEqual({ dtype: "F32", shape: [10, 784], data_offsets: [40, 31400] });
    expect(parsed.__metadata__).toEqual(metadata);
    expect(bytes.length).toBe(8 + n + 31400);
    expect(view.getFloat32(8 + n + 4 * 3, true)).toBe(3); // bias[3], little-endian
    expect(view.getFloat32(8 + n + 40, true)).toBe(0.5); // weight[0]
  });

  it("is deterministic: same parameters and metadata give the same bytes", () => {
    expect(encodeModel(initParams(2), metadata)).toEqual(encodeModel(initParams(2), metadata));
  });

  it("accepts tensors in any order in the header and data, and a file without __metadata__", () => {
    const header = {
      weight: { dtype: "F32", shape: [10, 784], data_offsets: [0, 31360] },
      bias: { dtype: "F32", shape: [10], data_offsets: [31360, 31400] },
    };
    const decoded = decodeModel(build(header, new Uint8Array(31400)), "x");
    expect(decoded.metadata).toEqual({});
    expect(decoded.params.bias.length).toBe(10);
  });

  it("decodes other dtypes generically (byte counts per dtype)", () => {
    const t = decodeSafetensors(
      build({ a: { dtype: "F64", shape: [2], data_offsets: [0, 16] } }, new Uint8Array(16)),
      "x",
    );
    expect(t.tensors.get("a")?.bytes.length).toBe(16);
  });

  it("encodeSafetensors refuses a shape that does not match the data", () => {
    expect(() => encodeSafetensors([{ name: "a", shape: [3], data: new Float32Array(2) }], {})).toThrow(RangeError);
  });
});

describe("the reader rejects malformed files, naming the file (and the tensor)", () => {
  const cases: [string, () => Uint8Array, RegExp][] = [
    ["an empty file", () => new Uint8Array(0), /0 bytes, shorter than the 8-byte/],
    ["a file shorter than 8 bytes", () => new Uint8Array(5), /5 bytes, shorter than/],
    [
      "a header length past the end of the file",
      () => {
        const b = build(modelHeader(), modelData());
        new DataView(b.buffer).setBigUint64(0, BigInt(b.length), true);
        return b;
      },
      /runs past the end/,
    ],
    [
      "a header length above 100 MB",
      () => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, 100_000_001n, true);
        return b;
      },
      /above the 100000000-byte limit/,
    ],
    [
      "a header length of 2^64 − 1",
      () => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
        return b;
      },
      /above the .*limit/,
    ],
    [
      "a header that is not UTF-8",
      () => build(null, new Uint8Array(0), { rawHeader: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) }),
      /not valid UTF-8/,
    ],
    [
      "a header that is not JSON",
      () => build(null, new Uint8Array(0), { rawHeader: new TextEncoder().encode("{nope   ") }),
      /not valid JSON/,
    ],
    [
      "a header not starting with '{'",
      () => build(null, new Uint8Array(0), { rawHeader: new TextEncoder().encode(" {}     ") }),
      /does not start with '\{'/,
    ],
    [
      "a header that is a JSON array",
      () => build(null, new Uint8Array(0), { rawHeader: new TextEncoder().encode("[]      ") }),
      /does not start|not a JSON object/,
    ],
    [
      "non-string metadata",
      () => build(modelHeader({ __metadata__: { epochs: 3 } }), modelData()),
      /__metadata__ value of "epochs" is not a string/,
    ],
    [
      "metadata that is not an object",
      () => build(modelHeader({ __metadata__: "x" }), modelData()),
      /__metadata__ is not an object/,
    ],
    [
      "an unknown dtype",
      () => build(modelHeader({ bias: { dtype: "F33", shape: [10], data_offsets: [0, 40] } }), modelData()),
      /tensor bias: unknown dtype "F33"/,
    ],
    [
      "the wrong dtype for the model",
      () => build(modelHeader({ bias: { dtype: "I32", shape: [10], data_offsets: [0, 40] } }), modelData()),
      /tensor bias has dtype I32, expected F32/,
    ],
    [
      "the wrong shape for the model",
      () => build(modelHeader({ weight: { dtype: "F32", shape: [784, 10], data_offsets: [40, 31400] } }), modelData()),
      /tensor weight has shape \[784,10\], expected \[10,784\]/,
    ],
    [
      "a shape that is not a list of integers",
      () => build(modelHeader({ bias: { dtype: "F32", shape: [10.5], data_offsets: [0, 40] } }), modelData()),
      /tensor bias: shape \[10.5\] is not a list/,
    ],
    [
      "a byte count not matching the shape",
      () => build(modelHeader({ bias: { dtype: "F32", shape: [9], data_offsets: [0, 40] } }), modelData()),
      /tensor bias: 40 bytes for F32 shape \[9\], expected 36/,
    ],
    [
      "offsets with a gap",
      () =>
        build(
          modelHeader({
            bias: { dtype: "F32", shape: [10], data_offsets: [0, 40] },
            weight: { dtype: "F32", shape: [10, 784], data_offsets: [48, 31408] },
          }),
          new Uint8Array(31408),
        ),
      /tensor weight: gap of 8 bytes/,
    ],
    [
      "a gap before the first tensor",
      () =>
        build(
          modelHeader({
            bias: { dtype: "F32", shape: [10], data_offsets: [8, 48] },
            weight: { dtype: "F32", shape: [10, 784], data_offsets: [48, 31408] },
          }),
          new Uint8Array(31408),
        ),
      /tensor bias: gap of 8 bytes/,
    ],
    [
      "overlapping offsets",
      () =>
        build(
          modelHeader({
            bias: { dtype: "F32", shape: [10], data_offsets: [0, 40] },
            weight: { dtype: "F32", shape: [10, 784], data_offsets: [32, 31392] },
          }),
          new Uint8Array(31392),
        ),
      /tensor weight: data_offsets overlap/,
    ],
    [
      "offsets out of range",
      () => build(modelHeader(), new Uint8Array(31000)),
      /tensor weight: data_offsets \[40, 31400\] run past the 31000 data bytes/,
    ],
    [
      "offsets that are not [begin, end]",
      () => build(modelHeader({ bias: { dtype: "F32", shape: [10], data_offsets: [40, 0] } }), modelData()),
      /tensor bias: data_offsets \[40,0\] is not \[begin, end\]/,
    ],
    ["trailing bytes after the data", () => build(modelHeader(), new Uint8Array(31400 + 4)), /4 trailing bytes/],
    [
      "a missing tensor",
      () => build({ bias: { dtype: "F32", shape: [10], data_offsets: [0, 40] } }, new Uint8Array(40)),
      /missing tensor weight/,
    ],
    [
      "an unexpected extra tensor",
      () =>
        build(
          modelHeader({ extra: { dtype: "F32", shape: [1], data_offsets: [31400, 31404] } }),
          new Uint8Array(31404),
        ),
      /unexpected tensor extra/,
    ],
    [
      "a tensor entry that is not an object",
      () => build(modelHeader({ bias: 5 }), modelData()),
      /tensor bias: entry is not an object/,
    ],
    [
      "non-finite weights",
      () => {
        const b = build(modelHeader(), modelData());
        const n = Number(new DataView(b.buffer).getBigUint64(0, true));
        new DataView(b.buffer).setFloat32(8 + n + 40 + 4 * 7, Number.NaN, true);
        return b;
      },
      /tensor weight holds a non-finite value \(NaN\) at index 7/,
    ],
  ];
  for (const [what, make, pattern] of cases) {
    it(`rejects ${what}`, () => rejects(make(), pattern));
  }
});

describe("the reader counts tensors before building them", () => {
  it("refuses a header describing more than MAX_TENSORS zero-size tensors, before parsing it", () => {
    const entries = Array.from(
      { length: MAX_TENSORS + 1 },
      (_, i) => `"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`,
    );
    const bytes = build(undefined, new Uint8Array(0), {
      rawHeader: new TextEncoder().encode(`{${entries.join(",")}}`),
    });
    expect(() => decodeSafetensors(bytes, "many.safetensors")).toThrow(
      `many.safetensors: header describes ${MAX_TENSORS + 1} tensors, more than the ${MAX_TENSORS} accepted`,
    );
  });
});
