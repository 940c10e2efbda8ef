// d2l §3.6 predict_ch3 as a picture: each image titled with its true class over the predicted class and
// the confidence, a wrong prediction in red. Pure: returns PNG bytes; predicting is the model's job.
import { MUTED_COLOR, TEXT_COLOR, WRONG_COLOR } from "./canvas.js";
import { type GridItem, type GridOptions, type Picture, renderImageGrid, type TitleLine } from "./grid.js";

/** One prediction to draw: the image, its true class (absent for a user's image), the predicted class. */
export interface PredictionCell {
  readonly picture: Picture;
  /** True class name, or undefined for an image without a label. */
  readonly trueClass?: string;
  /** Shown in place of the true class when there is none (e.g. the file name). */
  readonly label?: string;
  readonly predictedClass: string;
  readonly confidence: number;
}

/**
 * d2l §3.6 predict_ch3 as a picture: each image titled with the true class over the predicted class
 * and its confidence; a wrong prediction's class is drawn in red.
 */
export function renderPredictions(cells: readonly PredictionCell[], options: GridOptions = {}): Uint8Array {
  return renderImageGrid(cells.map(predictionItem), options);
}

/** The grid item `renderPredictions` draws for one cell (exported so callers can size the grid first). */
export function predictionItem(cell: PredictionCell): GridItem {
  const wrong = cell.trueClass !== undefined && cell.trueClass !== cell.predictedClass;
  const first: TitleLine =
    cell.trueClass !== undefined ? { text: cell.trueClass } : { text: cell.label ?? "", color: MUTED_COLOR };
  return {
    picture: cell.picture,
    title: [
      first,
      { text: cell.predictedClass, color: wrong ? WRONG_COLOR : TEXT_COLOR },
      { text: cell.confidence.toFixed(3), color: wrong ? WRONG_COLOR : MUTED_COLOR },
    ],
  };
}
