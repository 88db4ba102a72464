/**
 * Small helpers every list in the UI shares: load state, filtering and the
 * visible window of a virtualised list.
 */

/** Where a model's data stands: not asked yet, on its way, here, or refused. */
export type LoadStatus = 'idle' | 'loading' | 'ready' | 'failed';

/** Case-insensitive match of a filter text against some fields. */
export function matchesFilter(filter: string, ...fields: string[]): boolean {
  const needle = filter.trim().toLowerCase();
  return !needle || fields.some(field => field.toLowerCase().includes(needle));
}

/** Which rows of a fixed-row-height list are in view, plus some overscan. */
export function visibleRange(
  scrollTop: number,
  viewportHeight: number,
  rowHeight: number,
  total: number,
  overscan = 10
): { start: number; end: number } {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const count = Math.ceil(Math.max(0, viewportHeight) / rowHeight);
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, first + count + overscan);
  return { start, end: Math.max(start, end) };
}
