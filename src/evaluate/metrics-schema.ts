import { z } from 'zod';

// The evaluation metrics as an artifact, a registry entry and a comparison record them. Apart from
// src/evaluate/metrics.ts (which computes them) so that reading an artifact, the service's start
// path among others, does not load the evaluation code.

export const ConfusionSchema = z.strictObject({
  tp: z.number().int(),
  fp: z.number().int(),
  tn: z.number().int(),
  fn: z.number().int(),
});
export const RocPointSchema = z.strictObject({
  fpr: z.number(),
  tpr: z.number(),
  threshold: z.number(),
});
export const PrPointSchema = z.strictObject({ recall: z.number(), precision: z.number() });
/** A 95% interval; null bounds where it is undefined (e.g. no positives). */
export const IntervalSchema = z.tuple([z.number().nullable(), z.number().nullable()]);
export const CalibrationSchema = z.strictObject({
  /** Reliability curve: equal-width bins of predicted probability. */
  bins: z.array(
    z.strictObject({
      lower: z.number(),
      upper: z.number(),
      count: z.number().int(),
      meanPredicted: z.number().nullable(),
      observed: z.number().nullable(),
    }),
  ),
  /** Logistic recalibration slope of y on logit(p): 1 is ideal, < 1 means over-confident. */
  slope: z.number().nullable(),
  /** Calibration-in-the-large (intercept with the slope fixed at 1): 0 is ideal. */
  intercept: z.number().nullable(),
});
export type Calibration = z.infer<typeof CalibrationSchema>;

export const MetricsSchema = z.strictObject({
  rows: z.number().int(),
  accuracy: z.number(),
  /** PPV. */
  precision: z.number(),
  /** Sensitivity. */
  recall: z.number(),
  f1: z.number(),
  rocAuc: z.number(),
  logLoss: z.number(),
  confusion: ConfusionSchema,
  roc: z.array(RocPointSchema),
  // Added after the first artifacts were written: optional, so those still load.
  /** The decision threshold the threshold-dependent metrics use. */
  threshold: z.number().optional(),
  specificity: z.number().optional(),
  npv: z.number().optional(),
  balancedAccuracy: z.number().optional(),
  prAuc: z.number().optional(),
  brier: z.number().optional(),
  pr: z.array(PrPointSchema).optional(),
  calibration: CalibrationSchema.optional(),
  intervals: z.record(z.string(), IntervalSchema).optional(),
});
export type Metrics = z.infer<typeof MetricsSchema>;
export type Confusion = z.infer<typeof ConfusionSchema>;
export type RocPoint = z.infer<typeof RocPointSchema>;
