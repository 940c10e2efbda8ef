// The model file: this project's softmax regression (weight F32 [10,784], bias F32 [10], string
// metadata) as a safetensors file. encodeModel/decodeModel are pure; saveModel/loadModel do the file
// I/O (the write is atomic). The reader rejects anything that is not this model, naming the file and
// tensor.
import { FileError, ModelFileError } from "../errors.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { readCappedFile } from "../fs/read-capped.js";
import { NUM_CLASSES, NUM_INPUTS, type Params } from "../types.js";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.js";

/** Bytes of the model's tensors: weight F32 [10,784] and bias F32 [10]. */
export const MODEL_DATA_BYTES = 4 * (NUM_CLASSES * NUM_INPUTS + NUM_CLASSES);
/** Largest header of a model file: its two tensors and the training record take about 600 bytes. */
export const MAX_MODEL_HEADER_BYTES = 1024 * 1024;
/** Largest model file: the length prefix, the largest header, the tensors. */
export const MAX_MODEL_FILE_BYTES = 8 + MAX_MODEL_HEADER_BYTES + MODEL_DATA_BYTES;

/** The model's tensors, by name, with the shapes the file must hold. */
const MODEL_SHAPES: Readonly<Record<keyof Params, readonly number[]>> = {
  weight: [NUM_CLASSES, NUM_INPUTS],
  bias: [NUM_CLASSES],
};

/** The model file's bytes: weight F32 [10,784], bias F32 [10], and string metadata. */
export function encodeModel(params: Params, metadata: Record<string, string>): Uint8Array {
  return encodeSafetensors(
    [
      { name: "weight", shape: MODEL_SHAPES.weight, data: params.weight },
      { name: "bias", shape: MODEL_SHAPES.bias, data: params.bias },
    ],
    metadata,
  );
}

/** Reads the model's parameters out of a safetensors file, checking names, dtypes, shapes and values. */
export function decodeModel(bytes: Uint8Array, file: string): { params: Params; metadata: Record<string, string> } {
  const hint = "expected a model saved by `softmax train` (weight F32 [10,784], bias F32 [10])";
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  for (const name of tensors.keys()) {
    if (!(name in MODEL_SHAPES)) throw new ModelFileError(`${file}: unexpected tensor ${name}`, { hint });
  }
  const read = (name: keyof Params): Float32Array => {
    const tensor = tensors.get(name);
    const shape = MODEL_SHAPES[name];
    if (tensor === undefined) throw new ModelFileError(`${file}: missing tensor ${name}`, { hint });
    if (tensor.dtype !== "F32")
      throw new ModelFileError(`${file}: tensor ${name} has dtype ${tensor.dtype}, expected F32`, { hint });
    if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFileError(
        `${file}: tensor ${name} has shape [${tensor.shape.join(",")}], expected [${shape.join(",")}]`,
        { hint },
      );
    }
    const view = new DataView(tensor.bytes.buffer, tensor.bytes.byteOffset, tensor.bytes.byteLength);
    const data = new Float32Array(tensor.bytes.byteLength / 4);
    for (let j = 0; j < data.length; j++) {
      const value = view.getFloat32(4 * j, true);
      if (!Number.isFinite(value)) {
        throw new ModelFileError(`${file}: tensor ${name} holds a non-finite value (${value}) at index ${j}`, {
          hint: "the model is unusable; train a new one",
        });
      }
      data[j] = value;
    }
    return data;
  };
  return { params: { weight: read("weight"), bias: read("bias") }, metadata };
}

/** Writes the model to `path` atomically (temporary file, fsync, rename). */
export async function saveModel(path: string, params: Params, metadata: Record<string, string>): Promise<void> {
  try {
    await writeFileAtomic(path, encodeModel(params, metadata));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new ModelFileError(`${path}: cannot write the model (${code})`, {
      cause,
      hint: "check that the directory exists and is writable, or choose another --out",
    });
  }
}

/**
 * Reads and validates the model file at `path`. Throws ModelFileError naming the file (and tensor).
 * The read is capped at the largest size a model file can have (its header limit plus the tensors'
 * bytes), counted as bytes arrive: a larger file is refused before it is read (`--model /dev/zero`
 * stops after about a megabyte).
 */
export async function loadModel(path: string): Promise<{ params: Params; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await readCappedFile(path, { maxBytes: MAX_MODEL_FILE_BYTES });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const what =
      cause instanceof FileError && cause.reason === "too-large"
        ? `holds more than ${MAX_MODEL_FILE_BYTES} bytes, more than a model file can (${MAX_MODEL_HEADER_BYTES}-byte header and ${MODEL_DATA_BYTES} bytes of tensors at most)`
        : cause instanceof FileError
          ? cause.message.slice(path.length + 1)
          : code === "ENOENT"
            ? "no such file"
            : `cannot read (${code ?? String(cause)})`;
    throw new ModelFileError(`${path}: ${what.trim()}`, {
      cause,
      hint: "train a model first with `softmax train`, or pass --model FILE",
    });
  }
  return decodeModel(bytes, path);
}
