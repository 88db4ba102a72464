/**
 * The results table's order and filter. Pure: rows in, rows out.
 */
import { GridRow } from '../api';
import { formatCell } from './cells';
import { sortByRank } from './ranking';

/** A column to sort by: 'rank', 'run', 'status', 'duration', `param:<name>` or `metric:<name>`. */
export type SortKey = string;

export interface ISortOrder {
  key: SortKey;
  descending: boolean;
}

function cellOf(row: GridRow, key: SortKey): unknown {
  if (key.startsWith('param:')) {
    return row[`param_${key.slice('param:'.length)}`];
  }
  if (key.startsWith('metric:')) {
    return row[key.slice('metric:'.length)];
  }
  return row[key];
}

/** Numbers before text, empty cells last whatever the direction. */
function compare(a: unknown, b: unknown): number {
  const empty = (v: unknown) => v === null || v === undefined || v === '';
  if (empty(a) || empty(b)) {
    return 0;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  if (typeof a === 'number') {
    return -1;
  }
  if (typeof b === 'number') {
    return 1;
  }
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** Rows in the order asked; 'rank' is the server's ranking of `metric`. */
export function sortRows(
  rows: readonly GridRow[],
  order: ISortOrder,
  metric: string | null
): GridRow[] {
  if (order.key === 'rank') {
    const ranked = sortByRank(rows, metric);
    return order.descending ? ranked.reverse() : ranked;
  }
  const isEmpty = (row: GridRow) => {
    const v = cellOf(row, order.key);
    return v === null || v === undefined || v === '';
  };
  const filled = rows.filter(row => !isEmpty(row));
  const empty = rows.filter(isEmpty);
  const sign = order.descending ? -1 : 1;
  filled.sort(
    (a, b) =>
      sign * compare(cellOf(a, order.key), cellOf(b, order.key)) ||
      a.run - b.run
  );
  return [...filled, ...empty.sort((a, b) => a.run - b.run)];
}

/**
 * Rows any of whose shown cells (parameters, metric, status, error) holds
 * every word of `text`, case-insensitively; `x=0.1` matches a parameter value.
 */
export function filterRows(
  rows: readonly GridRow[],
  text: string,
  swept: readonly string[],
  metric: string | null
): GridRow[] {
  const words = text.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) {
    return [...rows];
  }
  return rows.filter(row => {
    const cells = [
      String(row.run),
      String(row.status),
      row.error ?? '',
      ...swept.map(name => `${name}=${formatCell(row[`param_${name}`])}`),
      ...(metric ? [formatCell(row[metric])] : [])
    ].map(cell => cell.toLowerCase());
    return words.every(word => cells.some(cell => cell.includes(word)));
  });
}
