// The dataset registry: what each 28×28 ten-class IDX dataset is made of (class names, the four
// files with their sizes and SHA-256 digests, default mirrors, the system package that ships it,
// home page and licence). Constants and pure helpers only; no I/O here. Adding a dataset is one
// entry below (docs/data.md, "Adding a dataset").

/** One file of a dataset. Identity is the SHA-256 of the raw (decompressed) IDX payload where it is known. */
export interface FileSpec {
  /** File name without `.gz`, e.g. `train-images-idx3-ubyte`. */
  readonly name: string;
  readonly split: "train" | "test";
  readonly kind: "images" | "labels";
  /** Size of the raw IDX payload in bytes. */
  readonly rawBytes: number;
  /**
   * SHA-256 (hex) of the raw IDX payload. Absent where only the compressed file's digest is
   * published (KMNIST): a file is then accepted when its `.gz` matches `gz.sha256`, and the
   * payload's digest is recorded on that first verification (local.ts).
   */
  readonly sha256?: string;
  /** The official `.gz` as published; mirrors may serve a re-compressed copy. */
  readonly gz?: { readonly bytes: number; readonly sha256: string };
}

export interface DatasetSpec {
  /** Name on the command line and subdirectory of the data root: `fashion-mnist`. */
  readonly name: string;
  /** Name in messages: `Fashion-MNIST`. */
  readonly title: string;
  /** Class names in label order (d2l §3.5 `get_fashion_mnist_labels` for Fashion-MNIST). */
  readonly classes: readonly string[];
  /** The four files, in the order they are fetched and reported. */
  readonly files: readonly FileSpec[];
  /** Base URLs tried in order, each serving `NAME.gz`. */
  readonly mirrors: readonly string[];
  /** The Debian package that installs the files in /usr/share/datasets/NAME, if there is one. */
  readonly systemPackage?: string;
  /** Where the dataset is described, and its licence. */
  readonly home: string;
  readonly licence: string;
}

/** The four IDX files every dataset here has: 60 000 training and 10 000 test images of 28×28. */
function idxFiles(digests: {
  [name: string]: { sha256?: string; gz?: { bytes: number; sha256: string } };
}): FileSpec[] {
  const layout = [
    ["train-images-idx3-ubyte", "train", "images", 47_040_016],
    ["train-labels-idx1-ubyte", "train", "labels", 60_008],
    ["t10k-images-idx3-ubyte", "test", "images", 7_840_016],
    ["t10k-labels-idx1-ubyte", "test", "labels", 10_008],
  ] as const;
  return layout.map(([name, split, kind, rawBytes]) => ({ name, split, kind, rawBytes, ...digests[name] }));
}

export const FASHION_MNIST: DatasetSpec = Object.freeze({
  name: "fashion-mnist",
  title: "Fashion-MNIST",
  classes: Object.freeze([
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
  ]),
  files: Object.freeze(
    idxFiles({
      "train-images-idx3-ubyte": {
        sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        gz: { bytes: 26_421_880, sha256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84" },
      },
      "train-labels-idx1-ubyte": {
        sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        gz: { bytes: 29_515, sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845" },
      },
      "t10k-images-idx3-ubyte": {
        sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        gz: { bytes: 4_422_102, sha256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073" },
      },
      "t10k-labels-idx1-ubyte": {
        sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        gz: { bytes: 5_148, sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5" },
      },
    }),
  ),
  // The Keras copy, the GitHub copy, the original S3 bucket.
  mirrors: Object.freeze([
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
  ]),
  systemPackage: "dataset-fashion-mnist",
  home: "https://github.com/zalandoresearch/fashion-mnist",
  licence: "MIT",
});

export const MNIST: DatasetSpec = Object.freeze({
  name: "mnist",
  title: "MNIST",
  classes: Object.freeze(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]),
  files: Object.freeze(
    idxFiles({
      "train-images-idx3-ubyte": { sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db" },
      "train-labels-idx1-ubyte": { sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5" },
      "t10k-images-idx3-ubyte": { sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7" },
      "t10k-labels-idx1-ubyte": { sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2" },
    }),
  ),
  // The copies torchvision (an S3 bucket) and TensorFlow Datasets (a Cloud Storage bucket) use:
  // the original host, yann.lecun.com, no longer serves the files.
  mirrors: Object.freeze([
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
  ]),
  home: "http://yann.lecun.com/exdb/mnist/",
  licence: "CC BY-SA 3.0",
});

export const KMNIST: DatasetSpec = Object.freeze({
  name: "kmnist",
  title: "KMNIST",
  // Romanised hiragana, one per row of the kana table (the dataset's kmnist_classmap.csv).
  classes: Object.freeze(["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]),
  // Only the .gz digests are published (TensorFlow Datasets' url_checksums/kmnist.txt).
  files: Object.freeze(
    idxFiles({
      "train-images-idx3-ubyte": {
        gz: { bytes: 18_165_135, sha256: "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4" },
      },
      "train-labels-idx1-ubyte": {
        gz: { bytes: 29_497, sha256: "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17" },
      },
      "t10k-images-idx3-ubyte": {
        gz: { bytes: 3_041_136, sha256: "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5" },
      },
      "t10k-labels-idx1-ubyte": {
        gz: { bytes: 5_120, sha256: "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c" },
      },
    }),
  ),
  mirrors: Object.freeze(["https://codh.rois.ac.jp/kmnist/dataset/kmnist/"]),
  home: "https://github.com/rois-codh/kmnist",
  licence: "CC BY-SA 4.0",
});

/** Every registered dataset; the first is the default. */
export const DATASETS: readonly DatasetSpec[] = Object.freeze([FASHION_MNIST, MNIST, KMNIST]);

export const DATASET_NAMES: readonly string[] = Object.freeze(DATASETS.map((dataset) => dataset.name));

/** The registered dataset called `name`, or undefined. */
export function findDataset(name: string): DatasetSpec | undefined {
  return DATASETS.find((dataset) => dataset.name === name);
}

/** Which registered dataset's file has the payload digest `sha256` (to name a file put in the wrong place). */
export function identifyPayload(sha256: string): { dataset: DatasetSpec; file: FileSpec } | undefined {
  for (const dataset of DATASETS) {
    const file = dataset.files.find((candidate) => candidate.sha256 === sha256 || candidate.gz?.sha256 === sha256);
    if (file !== undefined) return { dataset, file };
  }
  return undefined;
}

/** The file of `split` holding `kind`. */
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

/** Fashion-MNIST's class names, files and mirrors under the names the library has always exported. */
export const CLASSES = FASHION_MNIST.classes;
export const FASHION_MNIST_FILES = FASHION_MNIST.files;
export const DEFAULT_MIRRORS = FASHION_MNIST.mirrors;
