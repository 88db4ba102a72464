/**
 * How a grid is summed up in words: its notebook's name, its state, its runs'
 * statuses and how far they are. Pure, for the sidebar's "Grid searches"
 * section and the grid view.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { GridState, IGrid, RunStatus } from '../api';

/** The last path segment of the grid's notebook. */
export function notebookName(path: string): string {
  return path.split('/').pop() || path;
}

export function gridStateLabel(
  state: GridState,
  trans: TranslationBundle
): string {
  switch (state) {
    case 'created':
      return trans.__('created');
    case 'running':
      return trans.__('running');
    case 'finished':
      return trans.__('finished');
    case 'cancelled':
      return trans.__('cancelled');
  }
}

/** A run's status as shown; "pending" is the server's word for queued. */
export function runStatusLabel(
  status: RunStatus | 'retrying',
  trans: TranslationBundle
): string {
  switch (status) {
    case 'pending':
      return trans.__('queued');
    case 'running':
      return trans.__('running');
    case 'retrying':
      return trans.__('retrying');
    case 'ok':
      return trans.__('ok');
    case 'failed':
      return trans.__('failed');
    case 'timeout':
      return trans.__('timeout');
    case 'refused':
      return trans.__('refused');
    case 'cancelled':
      return trans.__('cancelled');
  }
}

/** Runs that ended without a result (failed, timed out, refused). */
export function failedRuns(grid: IGrid): number {
  const counts = grid.counts ?? {};
  return (counts.failed ?? 0) + (counts.timeout ?? 0) + (counts.refused ?? 0);
}

/** What can be done with a grid now: stop it, or start what is left or failed. */
export function gridChoices(grid: IGrid): {
  cancel: boolean;
  resume: boolean;
  rerunFailed: boolean;
} {
  const running = grid.active || grid.state === 'running';
  return {
    cancel: running,
    resume: !running && grid.done < grid.total,
    rerunFailed: !running && failedRuns(grid) > 0
  };
}

/** "running 3/9", "finished 9/9, 2 failed", "cancelled 4/9". */
export function gridProgress(grid: IGrid, trans: TranslationBundle): string {
  const failed = failedRuns(grid);
  const progress = trans.__(
    '%1 %2/%3',
    gridStateLabel(grid.state, trans),
    grid.done,
    grid.total
  );
  return failed ? trans.__('%1, %2 failed', progress, failed) : progress;
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
export function notebookPathError(
  path: string,
  trans: TranslationBundle
): string | null {
  const trimmed = path.trim();
  if (!trimmed) {
    return trans.__(
      'Give the path of a notebook, relative to the server root.'
    );
  }
  if (!/\.ipynb$/i.test(trimmed)) {
    return trans.__('A notebook path ends with .ipynb.');
  }
  return null;
}
