// What Fashion-MNIST is made of: the ten class names, the four IDX files with their sizes and
// SHA-256 digests, and the default mirrors. Constants and pure helpers only; no I/O here.

/** Class names in label order (d2l §3.5 `get_fashion_mnist_labels`). */
export const CLASSES: readonly string[] = Object.freeze([
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
]);

/** One file of the dataset. Identity is the SHA-256 of the raw (decompressed) IDX payload. */
export interface FileSpec {
  /** File name without `.gz`, e.g. `train-images-idx3-ubyte`. */
  readonly name: string;
  readonly split: "train" | "test";
  readonly kind: "images" | "labels";
  /** Size of the raw IDX payload in bytes. */
  readonly rawBytes: number;
  /** SHA-256 (hex) of the raw IDX payload. */
  readonly sha256: string;
  /** The official `.gz` as published by Zalando; mirrors may serve a re-compressed copy. */
  readonly gz?: { readonly bytes: number; readonly sha256: string };
}

/** The four files, in the order they are fetched and reported. */
export const FASHION_MNIST_FILES: readonly FileSpec[] = Object.freeze([
  {
    name: "train-images-idx3-ubyte",
    split: "train",
    kind: "images",
    rawBytes: 47_040_016,
    sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    gz: { bytes: 26_421_880, sha256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84" },
  },
  {
    name: "train-labels-idx1-ubyte",
    split: "train",
    kind: "labels",
    rawBytes: 60_008,
    sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    gz: { bytes: 29_515, sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845" },
  },
  {
    name: "t10k-images-idx3-ubyte",
    split: "test",
    kind: "images",
    rawBytes: 7_840_016,
    sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    gz: { bytes: 4_422_102, sha256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073" },
  },
  {
    name: "t10k-labels-idx1-ubyte",
    split: "test",
    kind: "labels",
    rawBytes: 10_008,
    sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    gz: { bytes: 5_148, sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5" },
  },
]);

/** Tried in order (DESIGN.md §3): the Keras copy, the GitHub copy, the original S3 bucket. */
export const DEFAULT_MIRRORS: readonly string[] = Object.freeze([
  "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
  "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
  "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
]);

/** The file of `split` holding `kind`, from a table of specs (the real one unless a test passes its own). */
export function specFor(
  files: readonly FileSpec[],
  split: FileSpec["split"],
  kind: FileSpec["kind"],
): FileSpec | undefined {
  return files.find((file) => file.split === split && file.kind === kind);
}

/** URL of `file`'s `.gz` on `mirror` (a base URL; a missing trailing slash is added). */
export function mirrorUrl(mirror: string, file: FileSpec): string {
  const base = mirror.endsWith("/") ? mirror : `${mirror}/`;
  return new URL(`${file.name}.gz`, base).href;
}

/**
 * The mirror list: `--mirror` flags if any, else `$SOFTMAX_MIRROR` (URLs separated by whitespace
 * or commas), else the defaults. Either replaces the default list rather than adding to it.
 */
export function mirrorsFrom(flags: readonly string[], env: NodeJS.ProcessEnv = process.env): readonly string[] {
  if (flags.length > 0) return flags;
  const fromEnv = (env.SOFTMAX_MIRROR ?? "").split(/[\s,]+/).filter((url) => url !== "");
  return fromEnv.length > 0 ? fromEnv : DEFAULT_MIRRORS;
}
