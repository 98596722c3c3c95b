/**
 * Summary statistics and formatting for the turn-overhead benchmark.
 */

export interface Summary {
  n: number;
  median: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

/** Median of a sorted, non-empty list (mean of the two middle values for even n). */
function sortedMedian(sorted: readonly number[]): number {
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid]!;
  return (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile of a sorted, non-empty list, `q` in (0, 1]. */
function sortedPercentile(sorted: readonly number[], q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/** @throws Error for an empty sample list. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((x, y) => x - y);
  const sum = sorted.reduce((acc, v) => acc + v, 0);
  return {
    n: sorted.length,
    median: sortedMedian(sorted),
    p95: sortedPercentile(sorted, 0.95),
    mean: sum / sorted.length,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
  };
}

/** Nearest-rank percentile of an unsorted list, `q` in (0, 1]; NaN when empty. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  return sortedPercentile(
    [...samples].sort((x, y) => x - y),
    q,
  );
}

/** Median of an unsorted list, NaN when empty. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  return sortedMedian([...samples].sort((x, y) => x - y));
}

/** Milliseconds with one decimal. */
export function ms(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : 'n/a';
}

/** One aligned table row: `label  median  p95  mean  min  max`. */
export function summaryRow(label: string, s: Summary, labelWidth: number): string {
  const cols = [s.median, s.p95, s.mean, s.min, s.max].map((v) => ms(v).padStart(8));
  return `  ${label.padEnd(labelWidth)} ${cols.join(' ')}   (n=${s.n})`;
}

/** Header matching {@link summaryRow}. */
export function summaryHeader(labelWidth: number): string {
  const cols = ['median', 'p95', 'mean', 'min', 'max'].map((c) => c.padStart(8));
  return `  ${'ms'.padEnd(labelWidth)} ${cols.join(' ')}`;
}

/** Prefix of the machine-read lines `npm run bench` (bench/all.ts) collects into its summary table. */
export const SUMMARY_PREFIX = 'SUMMARY\t';

/**
 * Prints one summary row for bench/all.ts: the figure, Switchboard's value, its baseline measured
 * in the same run (empty when it has none) and the ratio (empty likewise).
 */
export function printSummary(figure: string, switchboard: string, baseline = '', ratio = ''): void {
  console.log(`${SUMMARY_PREFIX}${[figure, switchboard, baseline, ratio].join('\t')}`);
}
