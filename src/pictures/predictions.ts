// d2l §3.6 predict_ch3 as a picture: each image titled with its true class over the predicted class and
// the confidence, a wrong prediction in red. Pure: returns PNG bytes; predicting is the model's job.
import { MUTED_COLOR, TEXT_COLOR, WRONG_COLOR } from "./canvas.js";
import {
  type GridItem,
  type GridOptions,
  type KeyLine,
  type Picture,
  renderImageGrid,
  type TitleLine,
} from "./grid.js";

/** One prediction to draw: the image, its true class (absent for a user's image), the predicted class. */
export interface PredictionCell {
  readonly picture: Picture;
  /** True class name, or undefined for an image without a label. */
  readonly trueClass?: string;
  /** Shown in place of the true class when there is none: a file's path, drawn as its base name. */
  readonly label?: string;
  readonly predictedClass: string;
  readonly confidence: number;
}

/**
 * d2l §3.6 predict_ch3 as a picture: each image titled with the true class over the predicted class
 * and its confidence; a wrong prediction's class is drawn in red.
 */
export function renderPredictions(cells: readonly PredictionCell[], options: GridOptions = {}): Uint8Array {
  return renderImageGrid(cells.map(predictionItem), { ...options, key: predictionKey(cells) });
}

/** "photos/2024/boot.png" → "boot.png": the directories say nothing about the picture and crowd the title. */
function baseName(path: string): string {
  return (
    path
      .split(/[\\/]/)
      .filter((part) => part !== "")
      .pop() ?? path
  );
}

/** The key under a predictions grid: which title line is what, and what red means. */
export function predictionKey(cells: readonly PredictionCell[]): KeyLine[] {
  const labelled = cells.filter((cell) => cell.trueClass !== undefined).length;
  const first = labelled === cells.length ? "true class" : labelled === 0 ? "file name" : "true class or file name";
  const key: KeyLine[] = [{ text: `top: ${first}; middle: predicted class; bottom: confidence` }];
  if (labelled > 0) key.push({ text: "red: predicted wrong", color: WRONG_COLOR });
  return key;
}

/** The grid item `renderPredictions` draws for one cell (exported so callers can size the grid first). */
export function predictionItem(cell: PredictionCell): GridItem {
  const wrong = cell.trueClass !== undefined && cell.trueClass !== cell.predictedClass;
  const first: TitleLine =
    cell.trueClass !== undefined
      ? { text: cell.trueClass }
      : { text: baseName(cell.label ?? ""), color: MUTED_COLOR, shorten: "end" };
  return {
    picture: cell.picture,
    title: [
      first,
      { text: cell.predictedClass, color: wrong ? WRONG_COLOR : TEXT_COLOR },
      { text: cell.confidence.toFixed(3), color: wrong ? WRONG_COLOR : MUTED_COLOR },
    ],
  };
}
