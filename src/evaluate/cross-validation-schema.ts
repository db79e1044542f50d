import { z } from 'zod';

// The artifact's cross-validation summary, apart from src/evaluate/cross-validation.ts (which
// trains): src/model/artifact.ts needs the schema, and everything that reads an artifact (the
// service's start path among them) should not load the solvers to get it.

export const CrossValidationSchema = z.strictObject({
  folds: z.number().int(),
  repeats: z.number().int(),
  rows: z.number().int(),
  /** Mean, standard deviation, min and max over the folds, per metric at the threshold used. */
  metrics: z.record(
    z.string(),
    z.strictObject({ mean: z.number(), sd: z.number(), min: z.number(), max: z.number() }),
  ),
});
export type CrossValidationSummary = z.infer<typeof CrossValidationSchema>;
