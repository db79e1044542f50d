/**
 * The logistic function, written so neither branch overflows: `exp` only ever sees a non-positive
 * argument. Its own module because scoring needs it and training's modules (Newton's worker pool,
 * ml-matrix) have no place on the serving start path.
 */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
