// Learning-rate schedules (`--schedule`): the rate of each epoch from the base --lr. Pure maths.

export const SCHEDULE_NAMES = ["constant", "cosine"] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

/**
 * Learning rate of epoch `epochIndex` (0-based) out of `totalEpochs`.
 * constant: lr.   cosine (Loshchilov & Hutter, SGDR without restarts): lr·½(1 + cos(π·e/E)),
 * so the first epoch uses lr and the rate falls smoothly towards 0 at the end.
 */
export function learningRate(schedule: ScheduleName, lr: number, epochIndex: number, totalEpochs: number): number {
  if (schedule === "constant") return lr;
  return lr * 0.5 * (1 + Math.cos((Math.PI * epochIndex) / totalEpochs));
}
