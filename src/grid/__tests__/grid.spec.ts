/**
 * Plain-data parts of the grid UI: what users type into the grid form, and how
 * a results table becomes ranked rows, links and plots.
 */
import { EnvManagerClient, GridRow, IGrid, IGridParameter } from '../../api';
import { englishBundle as trans } from '../../common/translation';
import { outputNotebookPath } from '../cells';
import {
  buildGridRequest,
  emptyGridForm,
  gridFormErrors,
  isGridFormValid,
  typedFields
} from '../form';
import { GridsModel } from '../model';
import { bestRuns, sortByRank } from '../ranking';

function param(name: string, value: unknown = 1): IGridParameter {
  return {
    name,
    default: value,
    default_source: JSON.stringify(value),
    type: typeof value,
    literal: true,
    help: ''
  };
}

describe('the grid form', () => {
  const params = [param('x'), param('alpha', 0.1)];

  it('asks for at least one value list', () => {
    const errors = gridFormErrors(emptyGridForm(), params, trans);
    expect(errors.grid).toMatch(/at least one parameter/);
    expect(isGridFormValid(errors)).toBe(false);
  });

  it('sends only the fields typed into, and shows the errors the server found', () => {
    const values = { x: ' 1,,2 ', alpha: '  ' };
    expect(typedFields(values, params)).toEqual({ x: ' 1,,2 ' });
    const form = { ...emptyGridForm(), values };
    expect(gridFormErrors(form, params, trans).values).toEqual({}); // not parsed yet
    const preview = {
      parameters: {},
      runs: null,
      errors: { x: 'x: empty value', alpha: 'not asked' }
    };
    expect(gridFormErrors(form, params, trans, preview).values).toEqual({
      x: 'x: empty value'
    });
  });

  it('refuses a notebook without parameters', () => {
    expect(gridFormErrors(emptyGridForm(), [], trans).grid).toMatch(
      /parameters/
    );
  });

  it('checks workers, metric and seed', () => {
    const form = {
      ...emptyGridForm(),
      values: { x: '1, 2' },
      workers: '0',
      metric: 'not a name',
      seed: '3'
    };
    const errors = gridFormErrors(form, params, trans);
    expect(errors.workers).toBeTruthy();
    expect(errors.metric).toBeTruthy();
    expect(errors.seed).toMatch(/seed/);
    expect(
      gridFormErrors(form, [...params, param('seed', 0)], trans).seed
    ).toBeUndefined();
  });

  it('builds the request: swept parameters only, kernel or environment', () => {
    const form = {
      ...emptyGridForm(),
      values: { x: '1, 2, 3', alpha: '' },
      metric: 'y',
      goal: 'min' as const,
      workers: '2'
    };
    expect(isGridFormValid(gridFormErrors(form, params, trans))).toBe(true);
    expect(buildGridRequest('a/nb.ipynb', form, params)).toEqual({
      notebook: 'a/nb.ipynb',
      sweeps: ['x=1, 2, 3'],
      kernel: 'python3',
      metrics: ['y'],
      goal: 'min',
      workers: 2
    });
    const inEnv = buildGridRequest(
      'nb.ipynb',
      { ...form, target: 'env:my:env' },
      params
    );
    expect(inEnv.env).toBe('my:env');
    expect(inEnv.kernel).toBeUndefined();
  });
});

function row(
  run: number,
  x: unknown,
  y: number | null,
  extra: Partial<GridRow> = {}
): GridRow {
  return {
    run,
    status: y === null ? 'failed' : 'ok',
    param_x: x,
    y,
    ...extra
  } as GridRow;
}

describe('results', () => {
  const rows = [
    row(0, 1, 4, { rank_y: 2 }),
    row(1, 2, 1, { rank_y: 1 }),
    row(2, 3, null),
    row(3, 4, 9, { rank_y: 3 })
  ];

  it('sorts by rank with unranked rows last', () => {
    expect(sortByRank(rows, 'y').map(r => r.run)).toEqual([1, 0, 3, 2]);
    expect(sortByRank(rows, null).map(r => r.run)).toEqual([0, 1, 2, 3]);
  });

  it('marks the best rank', () => {
    expect([...bestRuns(rows, 'y')]).toEqual([1]);
    expect(bestRuns(rows, null).size).toBe(0);
  });

  it('opens only output notebooks inside the server root', () => {
    expect(outputNotebookPath('sub/nb-grid-1/runs/run-0000.ipynb')).toBe(
      'sub/nb-grid-1/runs/run-0000.ipynb'
    );
    expect(outputNotebookPath('/elsewhere/run.ipynb')).toBe(null);
    expect(outputNotebookPath(null)).toBe(null);
  });
});

describe('GridsModel.refresh', () => {
  const grid = (id: string): IGrid => ({
    grid_id: id,
    state: 'finished',
    active: false,
    total: 1,
    done: 1,
    counts: { ok: 1 },
    notebook: 'n.ipynb',
    out_dir: `n-${id}`,
    metrics: [],
    swept: ['x']
  });
  // Newest first, as the server lists them.
  const listed = [grid('new'), grid('old')];
  const fetched: string[] = [];
  const client = {
    grids: async () => listed,
    grid: async (id: string) => {
      fetched.push(id);
      return { ...grid(id), results: [] };
    }
  } as unknown as EnvManagerClient;

  beforeEach(() => {
    fetched.length = 0;
  });

  it('shows the newest grid when none is selected', async () => {
    const model = new GridsModel(client, null);
    await model.refresh();
    expect(model.selectedId).toBe('new');
    expect(model.selected?.results).toEqual([]);
    model.dispose();
  });

  it('shows the grid asked for, as a restored view does', async () => {
    const model = new GridsModel(client, null);
    await model.refresh('old');
    expect(model.selectedId).toBe('old');
    expect(fetched).toEqual(['old']);
    model.dispose();
  });

  it('falls back when the grid asked for is gone, and keeps a selection', async () => {
    const model = new GridsModel(client, null);
    await model.refresh('deleted');
    expect(model.selectedId).toBe('new');
    await model.select('old');
    await model.refresh();
    expect(model.selectedId).toBe('old');
    await model.refresh('deleted');
    expect(model.selectedId).toBe('old');
    model.dispose();
  });
});
