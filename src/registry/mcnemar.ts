/**
 * Paired McNemar test on the discordant pairs: b = rows only the candidate got right,
 * c = rows only production got right. Exact two-sided binomial p-value for b + c < 50,
 * otherwise the continuity-corrected chi-square with one degree of freedom.
 */
export function mcnemarTest(
  b: number,
  c: number,
): { statistic: number; pValue: number; exact: boolean } {
  const n = b + c;
  if (n === 0) return { statistic: 0, pValue: 1, exact: true };
  if (n < 50) {
    const k = Math.min(b, c);
    let tail = 0;
    for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
    return { statistic: k, pValue: Math.min(1, 2 * tail), exact: true };
  }
  const statistic = (Math.abs(b - c) - 1) ** 2 / n;
  return { statistic, pValue: erfc(Math.sqrt(statistic / 2)), exact: false };
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** Complementary error function (Numerical Recipes' erfcc, relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
