// The safetensors format (https://github.com/huggingface/safetensors), the format PyTorch users load
// with `safetensors.torch.load_file`. Layout: an 8-byte little-endian header length N, N bytes of JSON
// header (starting with `{`, padded with spaces so the data starts at a multiple of 8), then the
// tensors' bytes, packed. Pure encode/decode of any tensors; the reader rejects anything the spec does
// not allow, naming the file and tensor. What this project's model holds is model-file.ts's business.
import { ModelFileError } from "../errors.js";

/** Largest header the reader accepts (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;
/**
 * Most tensors the reader accepts. A 95 MB header can describe 1.6 million zero-size tensors, which
 * cost 1.5 GB as parsed objects; they are counted in the header's text before it is parsed.
 */
export const MAX_TENSORS = 100_000;

/** Bytes per element of each safetensors dtype (for checking byte counts of any tensor). */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

export interface TensorF32 {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface DecodedTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** The tensor's raw little-endian bytes (a view into the file). */
  readonly bytes: Uint8Array;
}

export interface Safetensors {
  readonly tensors: ReadonlyMap<string, DecodedTensor>;
  readonly metadata: Record<string, string>;
}

/** Serialises F32 tensors (in name order, packed) and string metadata. */
export function encodeSafetensors(tensors: readonly TensorF32[], metadata: Record<string, string>): Uint8Array {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of sorted) {
    const elements = t.shape.reduce((a, b) => a * b, 1);
    if (elements !== t.data.length) {
      throw new RangeError(
        `tensor ${t.name}: shape [${t.shape.join(",")}] holds ${elements} values, data has ${t.data.length}`,
      );
    }
    header[t.name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * elements] };
    offset += 4 * elements;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json);
  json += " ".repeat((8 - (jsonBytes.length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const t of sorted) {
    for (let j = 0; j < t.data.length; j++) view.setFloat32(position + 4 * j, t.data[j]!, true);
    position += 4 * t.data.length;
  }
  return out;
}

/** Parses and validates a safetensors file per the spec. `file` names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, file: string): Safetensors {
  const fail = (
    what: string,
    hint = "the file is not a valid safetensors file; train a new model with `softmax train`",
  ) => new ModelFileError(`${file}: ${what}`, { hint });
  if (bytes.length < 8) throw fail(`file is ${bytes.length} bytes, shorter than the 8-byte safetensors header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw fail(`header length ${headerLength} is above the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const n = Number(headerLength);
  if (8 + n > bytes.length) throw fail(`header length ${n} runs past the end of the ${bytes.length}-byte file`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch (cause) {
    throw new ModelFileError(`${file}: header is not valid UTF-8`, { cause, hint: "the file is corrupt" });
  }
  if (!text.startsWith("{")) throw fail("header does not start with '{'");
  const described = countOccurrences(text, '"data_offsets"');
  if (described > MAX_TENSORS)
    throw fail(`header describes ${described} tensors, more than the ${MAX_TENSORS} accepted`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (cause) {
    throw new ModelFileError(`${file}: header is not valid JSON`, { cause, hint: "the file is corrupt" });
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw fail("header is not a JSON object");

  const metadata: Record<string, string> = {};
  const tensors = new Map<string, DecodedTensor>();
  const spans: { name: string; begin: number; end: number }[] = [];
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof entry !== "object" || entry === null || Array.isArray(entry))
        throw fail("__metadata__ is not an object");
      for (const [key, value] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof value !== "string") throw fail(`__metadata__ value of "${key}" is not a string`);
        metadata[key] = value;
      }
      continue;
    }
    if (typeof entry !== "object" || entry === null || Array.isArray(entry))
      throw fail(`tensor ${name}: entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (typeof dtype !== "string" || DTYPE_BYTES[dtype] === undefined)
      throw fail(`tensor ${name}: unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw fail(`tensor ${name}: shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      offsets[0] > offsets[1]
    ) {
      throw fail(`tensor ${name}: data_offsets ${JSON.stringify(offsets)} is not [begin, end] with 0 <= begin <= end`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > dataLength)
      throw fail(`tensor ${name}: data_offsets [${begin}, ${end}] run past the ${dataLength} data bytes`);
    const expected = (shape as number[]).reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype]!;
    if (end - begin !== expected) {
      throw fail(`tensor ${name}: ${end - begin} bytes for ${dtype} shape [${shape.join(",")}], expected ${expected}`);
    }
    spans.push({ name, begin, end });
    tensors.set(name, { dtype, shape: shape as number[], bytes: bytes.subarray(dataStart + begin, dataStart + end) });
  }
  // The tensors must tile the data section exactly: no gaps, no overlaps, nothing after.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let position = 0;
  for (const span of spans) {
    if (span.begin < position) throw fail(`tensor ${span.name}: data_offsets overlap the previous tensor`);
    if (span.begin > position) throw fail(`tensor ${span.name}: gap of ${span.begin - position} bytes before its data`);
    position = span.end;
  }
  if (position !== dataLength) throw fail(`${dataLength - position} trailing bytes after the last tensor`);
  return { tensors, metadata };
}

/** How many times `needle` occurs in `text`, without building anything (an upper bound of the tensors). */
function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}
