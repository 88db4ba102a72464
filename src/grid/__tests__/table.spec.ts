/**
 * The results table's sorting, filtering and the progress estimate.
 */
import { GridRow } from '../../api';
import { filterRows, sortRows } from '../table';
import { gridTiming } from '../timing';

const rows: GridRow[] = [
  { run: 0, status: 'ok', param_lr: 0.1, y: 0.7, rank_y: 2, duration: 3 },
  { run: 1, status: 'ok', param_lr: 0.01, y: 0.9, rank_y: 1, duration: 1 },
  {
    run: 2,
    status: 'failed',
    param_lr: 1,
    y: null,
    error: 'ValueError: diverged',
    duration: null
  },
  { run: 3, status: 'ok', param_lr: 0.001, y: 0.5, rank_y: 3, duration: 2 }
];
const runs = (list: GridRow[]) => list.map(row => row.run);

describe('sortRows', () => {
  it('sorts by rank (best first) by default, unranked last', () => {
    expect(
      runs(sortRows(rows, { key: 'rank', descending: false }, 'y'))
    ).toEqual([1, 0, 3, 2]);
  });

  it('sorts by a parameter, a metric or the duration, both ways', () => {
    expect(
      runs(sortRows(rows, { key: 'param:lr', descending: false }, 'y'))
    ).toEqual([3, 1, 0, 2]);
    expect(
      runs(sortRows(rows, { key: 'metric:y', descending: true }, 'y'))
    ).toEqual([1, 0, 3, 2]);
    // Runs without a duration stay last in either direction.
    expect(
      runs(sortRows(rows, { key: 'duration', descending: false }, 'y'))
    ).toEqual([1, 3, 0, 2]);
    expect(
      runs(sortRows(rows, { key: 'duration', descending: true }, 'y'))
    ).toEqual([0, 3, 1, 2]);
  });

  it('sorts text columns as text', () => {
    expect(
      runs(sortRows(rows, { key: 'status', descending: false }, 'y'))
    ).toEqual([2, 0, 1, 3]);
  });
});

describe('filterRows', () => {
  it('keeps every row for an empty filter', () => {
    expect(runs(filterRows(rows, '  ', ['lr'], 'y'))).toEqual([0, 1, 2, 3]);
  });

  it('matches status, error text and name=value, every word', () => {
    expect(runs(filterRows(rows, 'failed', ['lr'], 'y'))).toEqual([2]);
    expect(runs(filterRows(rows, 'diverged', ['lr'], 'y'))).toEqual([2]);
    expect(runs(filterRows(rows, 'lr=0.01', ['lr'], 'y'))).toEqual([1]);
    expect(runs(filterRows(rows, 'OK lr=0.1', ['lr'], 'y'))).toEqual([0]);
    expect(runs(filterRows(rows, 'nothing-like-this', ['lr'], 'y'))).toEqual(
      []
    );
  });
});

describe('gridTiming', () => {
  const timed = (started: number, ended: number | null): GridRow => ({
    run: 0,
    status: ended === null ? 'running' : 'ok',
    started,
    ended
  });

  it('knows nothing before a run started', () => {
    expect(gridTiming([], 4, true, 100)).toEqual({
      elapsed: null,
      remaining: null
    });
  });

  it('estimates what is left at the pace so far', () => {
    // Two of six runs ended 20 s after the first start: 40 s for four more.
    const rows = [timed(100, 110), timed(105, 120), timed(120, null)];
    expect(gridTiming(rows, 6, true, 120)).toEqual({
      elapsed: 20,
      remaining: 40
    });
  });

  it('says "estimating" until a run ends', () => {
    expect(gridTiming([timed(100, null)], 3, true, 104)).toEqual({
      elapsed: 4,
      remaining: null
    });
  });

  it('stops the clock at the last end once the grid is over', () => {
    const rows = [timed(100, 110), timed(105, 130)];
    expect(gridTiming(rows, 2, false, 999)).toEqual({
      elapsed: 30,
      remaining: null
    });
  });
});
