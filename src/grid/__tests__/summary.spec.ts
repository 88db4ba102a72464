/**
 * How the sidebar sums up a grid, and which notebook paths it sends on.
 */
import { IGrid } from '../../api';
import { englishBundle as trans } from '../../common/translation';
import {
  gridChoices,
  gridProgress,
  notebookName,
  notebookPathError,
  recentGrids
} from '../summary';

function grid(overrides: Partial<IGrid> = {}): IGrid {
  return {
    grid_id: 'g1',
    state: 'running',
    active: true,
    total: 9,
    done: 3,
    counts: { ok: 3 },
    notebook: 'work/sweep.ipynb',
    out_dir: 'work/grids/g1',
    metrics: [],
    swept: ['x'],
    ...overrides
  };
}

describe('grid summaries', () => {
  it('names the notebook by its file name', () => {
    expect(notebookName('work/sub/sweep.ipynb')).toBe('sweep.ipynb');
    expect(notebookName('top.ipynb')).toBe('top.ipynb');
  });

  it('says the state and progress, and how many runs failed', () => {
    expect(gridProgress(grid(), trans)).toBe('running 3/9');
    expect(
      gridProgress(
        grid({
          state: 'finished',
          done: 9,
          counts: { ok: 6, failed: 2, timeout: 1 }
        }),
        trans
      )
    ).toBe('finished 9/9, 3 failed');
  });

  it('offers cancel while running, resume and re-run failed after', () => {
    expect(gridChoices(grid())).toEqual({
      cancel: true,
      resume: false,
      rerunFailed: false
    });
    const stopped = grid({
      state: 'cancelled',
      active: false,
      done: 4,
      counts: { ok: 3, timeout: 1 }
    });
    expect(gridChoices(stopped)).toEqual({
      cancel: false,
      resume: true,
      rerunFailed: true
    });
    const done = grid({ state: 'finished', active: false, done: 9 });
    expect(gridChoices(done)).toEqual({
      cancel: false,
      resume: false,
      rerunFailed: false
    });
  });

  it('keeps the newest grids only', () => {
    const grids = ['a', 'b', 'c'].map(id => grid({ grid_id: id }));
    expect(recentGrids(grids, 2).map(g => g.grid_id)).toEqual(['a', 'b']);
    expect(recentGrids(grids, 0)).toEqual([]);
  });
});

describe('notebookPathError', () => {
  it.each([
    ['', 'Give the path'],
    ['   ', 'Give the path'],
    ['data.csv', 'ends with .ipynb'],
    ['sweep.ipynb.bak', 'ends with .ipynb']
  ])('refuses %p', (path, reason) => {
    expect(notebookPathError(path, trans)).toContain(reason);
  });

  it.each(['sweep.ipynb', 'a/b/Sweep.IPYNB', ' spaced.ipynb '])(
    'lets the server judge %p',
    path => {
      expect(notebookPathError(path, trans)).toBeNull();
    }
  );
});
