/**
 * Ranking of a grid's runs by its metric, as the server ranks them
 * (rank_<metric> columns).
 */
import { GridRow } from '../api';
import { numeric } from './numeric';

/** Rows by rank of the metric (best first), unranked rows last, then by run. */
export function sortByRank(
  rows: readonly GridRow[],
  metric: string | null
): GridRow[] {
  const rank = (row: GridRow): number =>
    (metric ? numeric(row[`rank_${metric}`]) : null) ??
    Number.POSITIVE_INFINITY;
  return [...rows].sort((a, b) => rank(a) - rank(b) || a.run - b.run);
}

/** Runs holding the best rank (1) of the metric. */
export function bestRuns(
  rows: readonly GridRow[],
  metric: string | null
): Set<number> {
  if (!metric) {
    return new Set();
  }
  const ranks = rows
    .map(row => numeric(row[`rank_${metric}`]))
    .filter((rank): rank is number => rank !== null);
  if (!ranks.length) {
    return new Set();
  }
  const top = Math.min(...ranks);
  return new Set(
    rows.filter(row => row[`rank_${metric}`] === top).map(row => row.run)
  );
}
