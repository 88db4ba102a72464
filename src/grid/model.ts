/**
 * The server's grids and the one being looked at, followed through the grid
 * events with a poll as a fallback.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  EnvManagerClient,
  EnvManagerEvents,
  GridRow,
  IGrid,
  IGridEvent,
  RunStatus
} from '../api';
import { LoadStatus } from '../common/listing';

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
