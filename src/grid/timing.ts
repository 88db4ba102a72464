/**
 * How long a grid has run and how long it may still take, from its runs'
 * start and end times (seconds since the epoch, as the server records them).
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { GridRow } from '../api';
import { formatDuration } from '../common/format';
import { numeric } from './numeric';

export interface IGridTiming {
  /** Seconds since the first run started (to the last end once finished). */
  elapsed: number | null;
  /** Seconds the remaining runs may take at the pace so far; null unknown. */
  remaining: number | null;
}

export function gridTiming(
  rows: readonly GridRow[],
  total: number,
  active: boolean,
  now: number
): IGridTiming {
  const starts = rows
    .map(row => numeric(row.started))
    .filter((t): t is number => t !== null);
  if (!starts.length) {
    return { elapsed: null, remaining: null };
  }
  const first = Math.min(...starts);
  const ends = rows
    .map(row => numeric(row.ended))
    .filter((t): t is number => t !== null);
  const last = ends.length ? Math.max(...ends) : first;
  const elapsed = Math.max(0, (active ? now : last) - first);
  const finished = ends.length;
  const left = Math.max(0, total - finished);
  if (!active || left === 0) {
    return { elapsed, remaining: active ? 0 : null };
  }
  if (!finished || elapsed <= 0) {
    return { elapsed, remaining: null };
  }
  // Runs finish at the pace seen so far, whatever the number of workers.
  return { elapsed, remaining: (elapsed / finished) * left };
}

/** What the grid view says of its timing: "elapsed 42 s", "about 2 min left". */
export function describeTiming(
  timing: IGridTiming,
  active: boolean,
  trans: TranslationBundle
): { elapsed: string | null; left: string | null } {
  if (timing.elapsed === null) {
    return { elapsed: null, left: null };
  }
  const elapsed = trans.__('elapsed %1', formatDuration(timing.elapsed, trans));
  if (!active) {
    return { elapsed, left: null };
  }
  return {
    elapsed,
    left:
      timing.remaining === null
        ? trans.__('estimating the time left…')
        : trans.__('about %1 left', formatDuration(timing.remaining, trans))
  };
}
