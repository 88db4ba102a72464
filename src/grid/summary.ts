/**
 * How a grid is summed up in a list: its notebook's name, its state and how
 * far its runs are. Pure, for the sidebar's "Grid searches" section.
 */
import { IGrid } from '../api';

/** The last path segment of the grid's notebook. */
export function notebookName(path: string): string {
  return path.split('/').pop() || path;
}

/** "running 3/9", "finished 9/9, 2 failed", "cancelled 4/9". */
export function gridProgress(grid: IGrid): string {
  const failed =
    (grid.counts.failed ?? 0) +
    (grid.counts.timeout ?? 0) +
    (grid.counts.refused ?? 0);
  const progress = `${grid.state} ${grid.done}/${grid.total}`;
  return failed ? `${progress}, ${failed} failed` : progress;
}

/** The newest `limit` grids (the server lists them newest first). */
export function recentGrids(
  grids: readonly IGrid[],
  limit: number
): readonly IGrid[] {
  return grids.slice(0, Math.max(0, limit));
}

/**
 * Why `path` cannot be a notebook to grid-search, or null when it may be (the
 * server then says whether it exists and has a parameters cell).
 */
export function notebookPathError(path: string): string | null {
  const trimmed = path.trim();
  if (!trimmed) {
    return 'Give the path of a notebook, relative to the server root.';
  }
  if (!/\.ipynb$/i.test(trimmed)) {
    return 'A notebook path ends with .ipynb.';
  }
  return null;
}
