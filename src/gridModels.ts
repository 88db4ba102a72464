/**
 * Grid searches in the browser: parsing what users type into the grid form,
 * shaping the results table for display and plotting, and the GridsModel that
 * follows the server's grids through its events (with a poll as a fallback).
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  EnvManagerClient,
  EnvManagerEvents,
  GridRow,
  GridValue,
  IGrid,
  IGridEvent,
  IGridParameter,
  IGridRequest,
  IGridValuesPreview,
  RunStatus
} from './api';
import { LoadStatus } from './models';

// ---------------------------------------------------------------------------
// Value lists: typed here, parsed by the server (one grammar with the CLI)
// ---------------------------------------------------------------------------

/** The fields the user typed something into (empty ones keep their defaults). */
export function typedFields(
  values: Record<string, string>,
  parameters: readonly IGridParameter[]
): Record<string, string> {
  const typed: Record<string, string> = {};
  for (const parameter of parameters) {
    const text = values[parameter.name] ?? '';
    if (text.trim()) {
      typed[parameter.name] = text;
    }
  }
  return typed;
}

/** How a default is shown in the form, e.g. as a placeholder. */
export function formatDefault(parameter: IGridParameter): string {
  return parameter.default_source || JSON.stringify(parameter.default);
}

// ---------------------------------------------------------------------------
// The grid form
// ---------------------------------------------------------------------------

/** Run with the server's own Python kernel rather than an environment. */
export const SERVER_KERNEL = 'python3';

export interface IGridForm {
  /** Value-list text per parameter name. */
  values: Record<string, string>;
  /** `kernel:<name>` or `env:<environment>`. */
  target: string;
  metric: string;
  goal: 'max' | 'min';
  workers: string;
  seed: string;
}

export function emptyGridForm(): IGridForm {
  return {
    values: {},
    target: `kernel:${SERVER_KERNEL}`,
    metric: '',
    goal: 'max',
    workers: '',
    seed: ''
  };
}

export interface IGridFormErrors {
  values: Record<string, string>;
  grid?: string;
  metric?: string;
  workers?: string;
  seed?: string;
}

function wholeNumber(text: string, minimum: number): number | null {
  const value = text.trim();
  if (!/^\d+$/.test(value) || Number(value) < minimum) {
    return null;
  }
  return Number(value);
}

/**
 * What is wrong with the form. Value lists are judged by the server's `preview`
 * of them (null while it has not answered: nothing to say about them yet).
 */
export function gridFormErrors(
  form: IGridForm,
  parameters: readonly IGridParameter[],
  preview: IGridValuesPreview | null = null
): IGridFormErrors {
  const errors: IGridFormErrors = { values: {} };
  const typed = typedFields(form.values, parameters);
  for (const name of Object.keys(typed)) {
    const error = preview?.errors[name];
    if (error) {
      errors.values[name] = error;
    }
  }
  if (!parameters.length) {
    errors.grid =
      'This notebook has no parameters cell: tag a cell "parameters" to sweep its variables.';
  } else if (!Object.keys(typed).length) {
    errors.grid = 'Give a list of values for at least one parameter.';
  }
  const metric = form.metric.trim();
  if (metric && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(metric)) {
    errors.metric = 'A metric is the name of a variable the notebook sets.';
  }
  if (form.workers.trim() && wholeNumber(form.workers, 1) === null) {
    errors.workers = 'Workers is a whole number of at least 1.';
  }
  if (form.seed.trim()) {
    if (wholeNumber(form.seed, 0) === null) {
      errors.seed = 'The seed is a whole number.';
    } else if (!parameters.some(p => p.name === 'seed')) {
      errors.seed =
        'The notebook declares no "seed" parameter; add `seed = 0` to its parameters cell.';
    }
  }
  return errors;
}

export function isGridFormValid(errors: IGridFormErrors): boolean {
  return (
    !Object.keys(errors.values).length &&
    !errors.grid &&
    !errors.metric &&
    !errors.workers &&
    !errors.seed
  );
}

/**
 * The request for POST grids: the typed text of each swept parameter, as the
 * CLI's `--param name=values`, for the server to parse; empty fields keep their
 * defaults.
 */
export function buildGridRequest(
  notebook: string,
  form: IGridForm,
  parameters: readonly IGridParameter[]
): IGridRequest {
  const sweeps = Object.entries(typedFields(form.values, parameters)).map(
    ([name, text]) => `${name}=${text}`
  );
  const request: IGridRequest = { notebook, sweeps, goal: form.goal };
  const [kind, ...rest] = form.target.split(':');
  const name = rest.join(':');
  if (kind === 'env') {
    request.env = name;
  } else {
    request.kernel = name || SERVER_KERNEL;
  }
  if (form.metric.trim()) {
    request.metrics = [form.metric.trim()];
  }
  const workers = wholeNumber(form.workers, 1);
  if (workers !== null) {
    request.workers = workers;
  }
  const seed = wholeNumber(form.seed, 0);
  if (seed !== null) {
    request.seed = seed;
  }
  return request;
}

// ---------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------

function numeric(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

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

/**
 * The output notebook to open with the docmanager: the server names it relative
 * to its root; one outside the root (an absolute path) cannot be opened.
 */
export function outputNotebookPath(
  path: string | null | undefined
): string | null {
  return path && !path.startsWith('/') ? path : null;
}

/** A cell value as text: numbers keep up to 6 significant digits. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? String(value)
      : String(+value.toPrecision(6));
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

export interface ILinePlot {
  kind: 'line';
  param: string;
  metric: string;
  /** Mean metric per parameter value, ordered along the axis. */
  points: { x: GridValue; y: number }[];
  /** True when x values are numbers (a numeric axis). */
  numericX: boolean;
}

export interface IHeatmap {
  kind: 'heatmap';
  xParam: string;
  yParam: string;
  metric: string;
  xs: GridValue[];
  ys: GridValue[];
  /** cells[row (y)][column (x)]: mean metric, null when no run finished. */
  cells: (number | null)[][];
}

function axisValues(values: GridValue[]): {
  ordered: GridValue[];
  numericAxis: boolean;
} {
  const distinct: GridValue[] = [];
  for (const value of values) {
    if (!distinct.some(seen => seen === value)) {
      distinct.push(value);
    }
  }
  const numericAxis = distinct.every(value => typeof value === 'number');
  if (numericAxis) {
    distinct.sort((a, b) => (a as number) - (b as number));
  }
  return { ordered: distinct, numericAxis };
}

function okMetricRows(rows: readonly GridRow[], metric: string): GridRow[] {
  return rows.filter(
    row => row.status === 'ok' && numeric(row[metric]) !== null
  );
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The metric against one swept parameter (replicates averaged). */
export function linePlot(
  rows: readonly GridRow[],
  param: string,
  metric: string
): ILinePlot {
  const usable = okMetricRows(rows, metric);
  const { ordered, numericAxis } = axisValues(
    usable.map(row => row[`param_${param}`] as GridValue)
  );
  const points = ordered.map(x => ({
    x,
    y: mean(
      usable
        .filter(row => row[`param_${param}`] === x)
        .map(row => row[metric] as number)
    )
  }));
  return { kind: 'line', param, metric, points, numericX: numericAxis };
}

/** The metric over two swept parameters (replicates averaged). */
export function heatmap(
  rows: readonly GridRow[],
  xParam: string,
  yParam: string,
  metric: string
): IHeatmap {
  const usable = okMetricRows(rows, metric);
  const xs = axisValues(
    rows.map(row => row[`param_${xParam}`] as GridValue)
  ).ordered;
  const ys = axisValues(
    rows.map(row => row[`param_${yParam}`] as GridValue)
  ).ordered;
  const cells = ys.map(y =>
    xs.map(x => {
      const found = usable
        .filter(
          row => row[`param_${xParam}`] === x && row[`param_${yParam}`] === y
        )
        .map(row => row[metric] as number);
      return found.length ? mean(found) : null;
    })
  );
  return { kind: 'heatmap', xParam, yParam, metric, xs, ys, cells };
}

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

const FINAL_RUN: ReadonlySet<string> = new Set([
  'ok',
  'failed',
  'timeout',
  'refused',
  'cancelled'
]);

export function isRunFinal(status: string): boolean {
  return FINAL_RUN.has(status);
}

/** What the events said last about one run of the selected grid. */
export interface ILiveRun {
  status: RunStatus | 'retrying';
  message: string;
}

/**
 * The server's grids and the one being looked at. Events update progress and
 * per-run status as they happen; while the selected grid is active a poll
 * every few seconds catches anything an event missed (e.g. on a reconnect).
 */
export class GridsModel {
  constructor(
    private readonly client: EnvManagerClient,
    events: EnvManagerEvents | null,
    private readonly pollMs = 3000
  ) {
    this._events = events;
    events?.grid.connect(this._onEvent, this);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get status(): LoadStatus {
    return this._status;
  }
  get error(): string {
    return this._error;
  }
  get grids(): readonly IGrid[] {
    return this._grids;
  }
  get selectedId(): string | null {
    return this._selectedId;
  }
  /** The selected grid with its results, as last fetched and updated by events. */
  get selected(): IGrid | null {
    return this._selected;
  }
  get liveRuns(): ReadonlyMap<number, ILiveRun> {
    return this._live;
  }

  /** The status to show for a run: the newest of the events and the table. */
  runStatus(row: GridRow): RunStatus | 'retrying' {
    const live = this._live.get(row.run);
    if (live && !isRunFinal(row.status)) {
      return live.status;
    }
    return row.status;
  }

  /**
   * List the server's grids again. `show` selects that grid when the server
   * still has it (e.g. the one a restored view showed); otherwise the first
   * grid is selected when none is.
   */
  async refresh(show: string | null = null): Promise<void> {
    if (this._status !== 'ready') {
      this._status = 'loading';
      this._changed.emit();
    }
    try {
      this._grids = await this.client.grids();
      this._status = 'ready';
      this._error = '';
    } catch (error) {
      this._status = 'failed';
      this._error = (error as Error).message;
    }
    this._changed.emit();
    if (show && this._grids.some(g => g.grid_id === show)) {
      await this.select(show);
    } else if (!this._selectedId && this._grids.length) {
      await this.select(this._grids[0].grid_id);
    }
  }

  /** A grid the server just accepted: list it first and show it. */
  async track(grid: IGrid): Promise<void> {
    this._grids = [
      grid,
      ...this._grids.filter(g => g.grid_id !== grid.grid_id)
    ];
    await this.select(grid.grid_id);
  }

  async select(id: string): Promise<void> {
    if (id !== this._selectedId) {
      this._selectedId = id;
      this._selected = this._grids.find(g => g.grid_id === id) ?? null;
      this._live = new Map();
      this._changed.emit();
    }
    await this.reload();
  }

  /** Fetch the selected grid again, with its results. */
  async reload(): Promise<void> {
    const id = this._selectedId;
    if (!id || this._disposed) {
      return;
    }
    try {
      const grid = await this.client.grid(id);
      if (id !== this._selectedId || this._disposed) {
        return;
      }
      this._selected = grid;
      this._replaceSummary(grid);
      this._error = '';
    } catch (error) {
      this._error = (error as Error).message;
    }
    this._changed.emit();
    this._schedulePoll();
  }

  async cancel(): Promise<void> {
    if (this._selectedId) {
      this._applySummary(await this.client.cancelGrid(this._selectedId));
    }
  }

  /** Resume the selected grid; `rerunFailed` runs its failures again too. */
  async resume(rerunFailed: boolean): Promise<void> {
    if (this._selectedId) {
      this._live = new Map();
      this._applySummary(
        await this.client.resumeGrid(this._selectedId, rerunFailed)
      );
    }
  }

  /** Apply one grid event's data. */
  handleEvent(event: IGridEvent): void {
    const summary = this._grids.find(g => g.grid_id === event.grid_id);
    if (!summary) {
      // A grid started elsewhere (another tab, the CLI against this server).
      void this.refresh();
      return;
    }
    const state =
      event.kind === 'grid_finished'
        ? ((event.status as IGrid['state']) ?? 'finished')
        : 'running';
    const patch: Partial<IGrid> = {
      state,
      active: event.kind !== 'grid_finished',
      done: event.done ?? summary.done,
      total: event.total ?? summary.total
    };
    this._grids = this._grids.map(g =>
      g.grid_id === event.grid_id ? { ...g, ...patch } : g
    );
    if (event.grid_id === this._selectedId && this._selected) {
      this._selected = { ...this._selected, ...patch };
      if (typeof event.index === 'number') {
        const status: ILiveRun['status'] =
          event.kind === 'run_retry'
            ? 'retrying'
            : ((event.status as RunStatus) ?? 'running');
        this._live.set(event.index, { status, message: event.message ?? '' });
      }
      if (event.kind === 'run_finished' || event.kind === 'grid_finished') {
        this._scheduleReload();
      }
    }
    this._changed.emit();
  }

  dispose(): void {
    this._disposed = true;
    this._events?.grid.disconnect(this._onEvent, this);
    for (const timer of [this._pollTimer, this._reloadTimer]) {
      if (timer !== null) {
        clearTimeout(timer);
      }
    }
    this._pollTimer = this._reloadTimer = null;
  }

  private _applySummary(grid: IGrid): void {
    this._replaceSummary(grid);
    if (grid.grid_id === this._selectedId) {
      this._selected = { ...this._selected, ...grid };
    }
    this._changed.emit();
    void this.reload();
  }

  private _replaceSummary(grid: IGrid): void {
    // The list holds summaries; results stay only on the selected grid.
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { results, best, ...summary } = grid;
    const known = this._grids.some(g => g.grid_id === grid.grid_id);
    this._grids = known
      ? this._grids.map(g => (g.grid_id === grid.grid_id ? summary : g))
      : [summary, ...this._grids];
  }

  /** Many runs finish at once: fetch the table once for them. */
  private _scheduleReload(): void {
    if (this._reloadTimer !== null || this._disposed) {
      return;
    }
    this._reloadTimer = setTimeout(() => {
      this._reloadTimer = null;
      void this.reload();
    }, 300);
  }

  private _schedulePoll(): void {
    if (this._pollTimer !== null) {
      clearTimeout(this._pollTimer);
      this._pollTimer = null;
    }
    const grid = this._selected;
    if (this._disposed || !grid || !(grid.active || grid.state === 'running')) {
      return;
    }
    this._pollTimer = setTimeout(() => {
      this._pollTimer = null;
      void this.reload();
    }, this.pollMs);
  }

  private _onEvent(_: unknown, event: IGridEvent): void {
    this.handleEvent(event);
  }

  private _changed = new Signal<this, void>(this);
  private _events: EnvManagerEvents | null;
  private _status: LoadStatus = 'idle';
  private _error = '';
  private _grids: IGrid[] = [];
  private _selectedId: string | null = null;
  private _selected: IGrid | null = null;
  private _live = new Map<number, ILiveRun>();
  private _pollTimer: ReturnType<typeof setTimeout> | null = null;
  private _reloadTimer: ReturnType<typeof setTimeout> | null = null;
  private _disposed = false;
}
