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

/**
 * The row a key moves the focus to in a list of `count` rows (ArrowUp/Down
 * one row, PageUp/Down `page` rows, Home/End the ends); null for other keys.
 */
export function nextIndex(
  current: number,
  key: string,
  count: number,
  page = 10
): number | null {
  if (count <= 0) {
    return null;
  }
  const clamp = (index: number) => Math.min(count - 1, Math.max(0, index));
  switch (key) {
    case 'ArrowDown':
      return clamp(current + 1);
    case 'ArrowUp':
      return clamp(current - 1);
    case 'PageDown':
      return clamp(current + page);
    case 'PageUp':
      return clamp(current - page);
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
    default:
      return null;
  }
}

/** The scrollTop that brings row `index` (of fixed height) fully into view. */
export function scrollToShow(
  index: number,
  rowHeight: number,
  scrollTop: number,
  viewportHeight: number
): number {
  const top = index * rowHeight;
  if (top < scrollTop) {
    return top;
  }
  if (top + rowHeight > scrollTop + viewportHeight) {
    return top + rowHeight - viewportHeight;
  }
  return scrollTop;
}
