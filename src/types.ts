// Shared types of the library: the dataset, the model parameters, training options and events.
// Types and the constants that define them only; no behaviour lives here.
import type { Hyperparameters } from "./train/hyperparameters.js";

/** Fashion-MNIST images are 28×28 single-channel bytes. */
export const IMAGE_SIDE = 28;
/** Inputs per example (28·28 pixels). */
export const NUM_INPUTS = IMAGE_SIDE * IMAGE_SIDE;
/** Output classes. */
export const NUM_CLASSES = 10;

export type SplitName = "train" | "test";

/** One split of the dataset: `count` images of 784 bytes each, row-major, kept as uint8 (scaled per batch). */
export interface ImageSet {
  readonly images: Uint8Array; // (count, 784), pixel values 0..255
  readonly labels: Uint8Array; // (count), values 0..9
  readonly count: number;
}

/** Both splits and the class names, as `load_data_fashion_mnist` gives them in d2l §3.5. */
export interface FashionMnist {
  readonly train: ImageSet;
  readonly test: ImageSet;
  readonly classes: readonly string[];
  /** Directory the files were read from, for messages. */
  readonly source: string;
}

/**
 * One split of a dataset, for the commands that use no other (evaluate, predict, show): loadSplit
 * reads only its two files. No other split is present, so nothing can train on it by mistake.
 */
export interface DatasetSplit {
  readonly split: SplitName;
  readonly set: ImageSet;
  readonly classes: readonly string[];
  /** Directory the files were read from, for messages. */
  readonly source: string;
}

/**
 * The parameters of softmax regression, in the layout they are saved in (PyTorch nn.Linear: out×in).
 * weight (10, 784) row-major, bias (10).
 */
export interface Params {
  readonly weight: Float32Array;
  readonly bias: Float32Array;
}

/** The losses a backend can train with (`--loss`); the one list every check and help text uses. */
export const LOSS_NAMES = ["cross-entropy", "mse", "hinge"] as const;
export type LossName = (typeof LOSS_NAMES)[number];

/**
 * Builds of the WebAssembly kernel (`--kernel`): plain SIMD (the same bits on every machine), fma
 * (relaxed SIMD's fused multiply-add: the bits depend on the CPU), or auto (fma where the engine
 * has relaxed SIMD). See src/kernels/kernel.ts and docs/performance.md.
 */
export const KERNEL_CHOICES = ["auto", "plain", "fma"] as const;
export type KernelChoice = (typeof KERNEL_CHOICES)[number];
/** The kernel that actually ran: auto resolved. */
export type KernelName = Exclude<KernelChoice, "auto">;

/**
 * What one SGD step needs, identical for every backend: this epoch's learning rate (the schedule
 * applied to --lr) and the hyperparameters of the step (src/train/hyperparameters.ts). weightDecay
 * is λ of the L2 term; labelSmoothing is ε, targets (1−ε)·onehot + ε/10 (cross-entropy and mse;
 * hinge has no targets and ignores it).
 */
export type StepOptions = { readonly lr: number } & Pick<Hyperparameters, "weightDecay" | "labelSmoothing" | "loss">;

/** What one step reports to the caller (for progress and for comparing backends step by step). */
export interface StepReport {
  readonly step: number; // 1-based within the epoch
  readonly steps: number;
  readonly batchSize: number;
  readonly lossSum: number; // summed over the batch, before the update
  readonly correct: number;
}

/** Sums over one epoch: the three slots of d2l's Accumulator in train_epoch_ch3. */
export interface EpochSums {
  readonly lossSum: number;
  readonly correct: number;
  readonly count: number;
  /** Σ over the applied steps of ‖dW‖_F, the Frobenius norm of the weight gradient before weight decay (its mean is `grad_norm`). */
  readonly gradNormSum: number;
  /** True when `shouldStop` ended the epoch early (Ctrl-C). */
  readonly stopped: boolean;
}

export interface EpochHooks {
  onStep?(report: StepReport): void;
  /** Checked after every step; returning true ends the epoch after that step. */
  shouldStop?(): boolean;
}

/**
 * Running sums for tail averaging (Polyak–Ruppert): a backend given one adds the parameters after
 * every step it applies, sum[j] ← sum[j] + param[j] in float64 (so hundreds of small updates are
 * not rounded away), and counts the steps. The mean is sum / count, rounded to float32 once.
 * weight (10, 784) and bias (10) as in Params.
 */
export interface ParameterSums {
  readonly weight: Float64Array;
  readonly bias: Float64Array;
  count: number;
}

/**
 * A way to run the hot path: the TypeScript reference, or the WebAssembly kernels.
 * Every backend must give the same results as the reference within float32 rounding.
 */
export interface Backend {
  readonly name: string;
  /** The kernel that runs the hot path, as the model file records it ("plain" for the reference: it has no fused multiply-add). */
  readonly kernel: KernelName;
  /**
   * One pass over `train` in the order given (indices into the split), in minibatches of
   * `batchSize`. Updates params in place. With `average`, adds the parameters after every applied
   * step to its sums (see ParameterSums), in the same float64 operations in every backend.
   */
  trainEpoch(
    params: Params,
    train: ImageSet,
    order: Uint32Array,
    batchSize: number,
    options: StepOptions,
    hooks?: EpochHooks,
    average?: ParameterSums,
  ): Promise<EpochSums>;
  /** Number of images of `set` whose argmax prediction equals the label (the count of predictLabels' matches). */
  countCorrect(params: Params, set: ImageSet): Promise<number>;
  /** The predicted class of every image of `set` (count): the argmax of the logits, ties to the lower index. */
  predictLabels(params: Params, set: ImageSet): Promise<Uint8Array>;
  /**
   * Memory for `bytes` of a dataset file's payload (LoadOptions.allocate), for backends that keep
   * the images in memory of their own: sets parsed from it are then used in place, not copied in
   * at the first epoch. Absent where a plain Uint8Array serves as well (the reference).
   */
  allocate?(bytes: number): Uint8Array;
  /** Releases workers and memory. */
  close(): Promise<void>;
}
