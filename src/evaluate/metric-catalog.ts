/**
 * The one list of reported metrics: their keys, the words readers see, and whether higher or lower
 * is better. Tables, deltas, the registry's scalar metrics and the policy's choices all read it.
 */
export type Direction = 'higher' | 'lower';

export interface MetricInfo {
  key: MetricKey;
  label: string;
  direction: Direction;
  /** Depends on the decision threshold (the confusion matrix), or not. */
  atThreshold: boolean;
}

export const METRIC_KEYS = [
  'accuracy',
  'recall',
  'specificity',
  'precision',
  'npv',
  'f1',
  'balancedAccuracy',
  'rocAuc',
  'prAuc',
  'logLoss',
  'brier',
] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

export const METRICS: readonly MetricInfo[] = [
  { key: 'accuracy', label: 'accuracy', direction: 'higher', atThreshold: true },
  { key: 'recall', label: 'sensitivity (recall)', direction: 'higher', atThreshold: true },
  { key: 'specificity', label: 'specificity', direction: 'higher', atThreshold: true },
  { key: 'precision', label: 'PPV (precision)', direction: 'higher', atThreshold: true },
  { key: 'npv', label: 'NPV', direction: 'higher', atThreshold: true },
  { key: 'f1', label: 'F1', direction: 'higher', atThreshold: true },
  { key: 'balancedAccuracy', label: 'balanced accuracy', direction: 'higher', atThreshold: true },
  { key: 'rocAuc', label: 'ROC AUC', direction: 'higher', atThreshold: false },
  { key: 'prAuc', label: 'PR AUC (average precision)', direction: 'higher', atThreshold: false },
  { key: 'logLoss', label: 'log loss', direction: 'lower', atThreshold: false },
  { key: 'brier', label: 'Brier score', direction: 'lower', atThreshold: false },
];

export function metricInfo(key: MetricKey): MetricInfo {
  return METRICS.find((m) => m.key === key)!;
}

/** How much better `a` is than `b` in the metric's own direction: positive means better. */
export function improvement(key: MetricKey, a: number, b: number): number {
  return metricInfo(key).direction === 'higher' ? a - b : b - a;
}

/** The best value a metric can take, for "production is perfect on these rows". */
export function perfectValue(key: MetricKey): number {
  return metricInfo(key).direction === 'higher' ? 1 : 0;
}
