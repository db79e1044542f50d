/**
 * `comparison.json`: the train job's candidate-vs-production comparison with the policy's decision,
 * handed to the promote job as part of the candidate artifact. This module owns its schema.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { MetricsSchema } from '../evaluate/metrics-schema.js';
import { DecisionSchema } from '../promotion/policy.js';
import { describeIssue, parseToWrite } from '../util/format-issue.js';
import { formatJson, writeJsonAtomic } from '../util/json-file.js';
import type { Comparison } from './compare.js';

export const COMPARISON_SCHEMA_VERSION = 1;

const ComparisonFileSchema = z.strictObject({
  schemaVersion: z.literal(COMPARISON_SCHEMA_VERSION),
  candidate: MetricsSchema,
  production: z.strictObject({ version: z.number().int(), metrics: MetricsSchema }).nullable(),
  decision: DecisionSchema,
});

export function writeComparison(file: string, comparison: Comparison): void {
  writeJsonAtomic(
    file,
    formatJson(
      parseToWrite(
        ComparisonFileSchema,
        { schemaVersion: COMPARISON_SCHEMA_VERSION, ...comparison },
        'comparison file',
      ),
    ),
  );
}

/** Reads and validates a comparison file; errors name the file and the field. */
export function readComparison(file: string): Comparison {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `Cannot read the comparison '${file}': ${(error as Error).message}. Pass the comparison.json the train action wrote.`,
    );
  }
  const parsed = ComparisonFileSchema.safeParse(json);
  if (!parsed.success)
    throw new TypeError(
      `${file}: ${describeIssue(parsed.error, json)}; expected the comparison.json the train action wrote.`,
    );
  const { schemaVersion: _, ...comparison } = parsed.data;
  return comparison;
}
