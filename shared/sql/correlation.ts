/**
 * The agreement statistics between two score series: Pearson and rank (Spearman) correlation and the mean.
 * `sql compare` sets stream-sentinel's scores beside KDA's with them, and the RCF fidelity tests and bench use
 * the same functions, so a figure in a report and a figure in a test mean the same thing. Pure.
 */

/** Pearson correlation over the first min(a, b) values; NaN when either side is constant or has under two values. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  if (n < 2) return Number.NaN;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa === 0 || sbb === 0 ? Number.NaN : sab / Math.sqrt(saa * sbb);
}

/** Ranks from 1, ties sharing their average rank (so Spearman is Pearson of the ranks). */
export function ranks(a: readonly number[]): number[] {
  const order = a.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const out = new Array<number>(a.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k]![1]] = rank;
    i = j + 1;
  }
  return out;
}

export const spearman = (a: readonly number[], b: readonly number[]): number => pearson(ranks(a), ranks(b));

/** The arithmetic mean; NaN for no values. */
export function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.length === 0 ? Number.NaN : s / a.length;
}
