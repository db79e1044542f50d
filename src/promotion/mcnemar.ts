/**
 * Exact paired McNemar test on the discordant pairs: b = rows only the candidate got right,
 * c = rows only production got right. Two-sided binomial p-value at any count (summed in log
 * space, O(min(b, c))), so a small sample is never judged by the chi-square approximation.
 */
export function mcnemarTest(
  b: number,
  c: number,
): { statistic: number; pValue: number; exact: true } {
  const n = b + c;
  if (n === 0) return { statistic: 0, pValue: 1, exact: true };
  const k = Math.min(b, c);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return { statistic: k, pValue: Math.min(1, 2 * tail), exact: true };
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}
