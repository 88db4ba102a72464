/**
 * State of the UI, kept out of the widgets: the environments list, the running
 * tasks (fed by the server's events) and one environment's packages. Widgets
 * render these and call their methods; they hold no state of their own beyond
 * what is being typed.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  EnvManagerApiError,
  EnvManagerClient,
  EnvManagerEvents,
  IChangePlan,
  IEnvironment,
  IPackage,
  IPackagesRequest,
  IServerInfo,
  ITask,
  ITaskEvent,
  TaskStatus
} from './api';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'failed';

const FINISHED: ReadonlySet<TaskStatus> = new Set<TaskStatus>([
  'succeeded',
  'failed',
  'cancelled',
  'interrupted'
]);

export function isFinished(status: TaskStatus): boolean {
  return FINISHED.has(status);
}

/** Case-insensitive match of a filter text against some fields. */
export function matchesFilter(filter: string, ...fields: string[]): boolean {
  const needle = filter.trim().toLowerCase();
  return !needle || fields.some(field => field.toLowerCase().includes(needle));
}

/** The server info and the environments it knows, filterable. */
export class EnvironmentsModel {
  constructor(private readonly client: EnvManagerClient) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  get status(): LoadStatus {
    return this._status;
  }
  get error(): string {
    return this._error;
  }
  get info(): IServerInfo | null {
    return this._info;
  }
  get environments(): readonly IEnvironment[] {
    return this._environments;
  }
  get filter(): string {
    return this._filter;
  }
  set filter(value: string) {
    if (value !== this._filter) {
      this._filter = value;
      this._changed.emit();
    }
  }

  /** Environments whose name, prefix, engine or Python version match the filter. */
  get filtered(): IEnvironment[] {
    return this._environments.filter(env =>
      matchesFilter(
        this._filter,
        env.name,
        env.prefix,
        env.engine,
        env.python_version ?? ''
      )
    );
  }

  get names(): string[] {
    return this._environments.map(env => env.name);
  }

  find(name: string): IEnvironment | undefined {
    return this._environments.find(env => env.name === name);
  }

  /**
   * Reload from the server. Sizes need a walk of every prefix, so the list
   * shows first and the sizes follow.
   */
  async refresh(): Promise<void> {
    const generation = ++this._generation;
    if (this._status !== 'ready') {
      this._status = 'loading';
      this._changed.emit();
    }
    try {
      const [info, envs] = await Promise.all([
        this._info ? Promise.resolve(this._info) : this.client.info(),
        this.client.environments(false)
      ]);
      if (generation !== this._generation) {
        return;
      }
      this._info = info;
      this._environments = keepSizes(envs, this._environments);
      this._status = 'ready';
      this._error = '';
      this._changed.emit();
      const sized = await this.client.environments(true);
      if (generation === this._generation) {
        this._environments = sized;
        this._changed.emit();
      }
    } catch (error) {
      if (generation !== this._generation) {
        return;
      }
      this._status = 'failed';
      this._error = (error as Error).message;
      this._changed.emit();
    }
  }

  private _changed = new Signal<this, void>(this);
  private _status: LoadStatus = 'idle';
  private _error = '';
  private _info: IServerInfo | null = null;
  private _environments: IEnvironment[] = [];
  private _filter = '';
  private _generation = 0;
}

/** Show last known sizes while new ones are measured. */
function keepSizes(
  fresh: IEnvironment[],
  old: readonly IEnvironment[]
): IEnvironment[] {
  const sizes = new Map(old.map(env => [env.prefix, env.size_bytes]));
  return fresh.map(env =>
    env.size_bytes === null && sizes.get(env.prefix) !== undefined
      ? { ...env, size_bytes: sizes.get(env.prefix) ?? null }
      : env
  );
}

/** The most log lines kept per task in the browser. */
export const MAX_LOG_LINES = 500;

/** How long the card of a task that succeeded stays in view. */
export const SUCCEEDED_TASK_VISIBLE_MS = 8000;

/**
 * The tasks this browser follows. Live updates come from the server's events;
 * a slow poll of each unfinished task covers events lost on a reconnect.
 * Tasks that succeeded go away by themselves after `dismissSucceededMs`
 * (their toast said so already); failed, cancelled and interrupted ones stay
 * until dismissed, since their card holds the error and the log.
 */
export class TasksModel {
  constructor(
    private readonly client: EnvManagerClient,
    events: EnvManagerEvents | null,
    private readonly pollMs = 3000,
    private readonly dismissSucceededMs = SUCCEEDED_TASK_VISIBLE_MS
  ) {
    this._events = events;
    events?.task.connect(this._onEvent, this);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }
  /** A followed task ended; carries the task as the server last reported it. */
  get finished(): ISignal<this, ITask> {
    return this._finished;
  }

  get tasks(): ITask[] {
    return [...this._tasks.values()].sort((a, b) => b.created - a.created);
  }

  get(id: string): ITask | undefined {
    return this._tasks.get(id);
  }

  /** Follow a task the server just accepted. */
  track(task: ITask): void {
    this._tasks.set(task.id, { ...task, log: [...(task.log ?? [])] });
    this._changed.emit();
    if (isFinished(task.status)) {
      void this._settle(task.id);
    } else {
      this._schedulePoll();
    }
  }

  /** Follow the tasks still running on the server, e.g. after a page reload. */
  async followRunning(): Promise<void> {
    for (const task of await this.client.tasks()) {
      if (!isFinished(task.status) && !this._tasks.has(task.id)) {
        this.track(task);
      }
    }
  }

  /** Apply one event's data; events of tasks not followed here are ignored. */
  handleEvent(event: ITaskEvent): void {
    const task = this._tasks.get(event.task_id);
    if (!task || isFinished(task.status)) {
      return;
    }
    const log = event.log_line ? [...task.log, event.log_line] : task.log;
    const updated: ITask = {
      ...task,
      status: event.status,
      stage: event.stage ?? task.stage,
      message: event.message ?? task.message,
      fraction:
        event.fraction === undefined || event.fraction === null
          ? task.fraction
          : event.fraction,
      log: log.slice(-MAX_LOG_LINES)
    };
    this._tasks.set(task.id, updated);
    this._changed.emit();
    if (isFinished(updated.status)) {
      void this._settle(task.id);
    }
  }

  async cancel(id: string): Promise<void> {
    const task = await this.client.cancelTask(id);
    this._merge(task);
  }

  /** Stop showing a finished task. */
  dismiss(id: string): void {
    const task = this._tasks.get(id);
    if (task && isFinished(task.status)) {
      this._tasks.delete(id);
      this._clearDismissTimer(id);
      this._changed.emit();
    }
  }

  dispose(): void {
    this._events?.task.disconnect(this._onEvent, this);
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    for (const id of [...this._dismissTimers.keys()]) {
      this._clearDismissTimer(id);
    }
    this._disposed = true;
  }

  private _onEvent(_: unknown, event: ITaskEvent): void {
    this.handleEvent(event);
  }

  private _scheduleDismiss(task: ITask): void {
    if (task.status !== 'succeeded' || this._dismissTimers.has(task.id)) {
      return;
    }
    this._dismissTimers.set(
      task.id,
      setTimeout(() => {
        this._dismissTimers.delete(task.id);
        this.dismiss(task.id);
      }, this.dismissSucceededMs)
    );
  }

  private _clearDismissTimer(id: string): void {
    const timer = this._dismissTimers.get(id);
    if (timer !== undefined) {
      clearTimeout(timer);
      this._dismissTimers.delete(id);
    }
  }

  /** The event said "done": fetch the whole record (result, error, full log). */
  private async _settle(id: string): Promise<void> {
    if (this._settled.has(id)) {
      return;
    }
    this._settled.add(id);
    let task = this._tasks.get(id);
    try {
      task = await this.client.task(id);
      this._tasks.set(id, { ...task, log: task.log.slice(-MAX_LOG_LINES) });
      this._changed.emit();
    } catch {
      // Keep what the events said; the notification still goes out.
    }
    if (task && !this._disposed) {
      this._scheduleDismiss(task);
      this._finished.emit(task);
    }
  }

  private _merge(task: ITask): void {
    const known = this._tasks.get(task.id);
    if (!known || isFinished(known.status)) {
      return;
    }
    this._tasks.set(task.id, {
      ...task,
      log: (task.log.length >= known.log.length ? task.log : known.log).slice(
        -MAX_LOG_LINES
      )
    });
    this._changed.emit();
    if (isFinished(task.status)) {
      void this._settle(task.id);
    }
  }

  private _schedulePoll(): void {
    if (this._timer !== null || this._disposed) {
      return;
    }
    this._timer = setTimeout(async () => {
      this._timer = null;
      const running = this.tasks.filter(task => !isFinished(task.status));
      await Promise.all(
        running.map(task =>
          this.client.task(task.id).then(
            fresh => this._merge(fresh),
            () => undefined
          )
        )
      );
      if (this.tasks.some(task => !isFinished(task.status))) {
        this._schedulePoll();
      }
    }, this.pollMs);
  }

  private _changed = new Signal<this, void>(this);
  private _finished = new Signal<this, ITask>(this);
  private _tasks = new Map<string, ITask>();
  private _settled = new Set<string>();
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _dismissTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private _events: EnvManagerEvents | null;
  private _disposed = false;
}

/** One environment's installed packages, and changes to them. */
export class PackagesModel {
  constructor(
    private readonly client: EnvManagerClient,
    private readonly tasks: TasksModel,
    readonly environment: string,
    /** A venv takes PyPI packages only. */
    readonly kind: 'conda' | 'venv' = 'conda'
  ) {}

  /** An install request for what the user typed, in the field the env takes. */
  installRequest(specs: string[], fromPypi: boolean): IPackagesRequest {
    return this.kind === 'venv' || fromPypi
      ? { action: 'install', pip: specs }
      : { action: 'install', packages: specs };
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
  get packages(): readonly IPackage[] {
    return this._packages;
  }
  /**
   * The environment no longer exists (removed here or elsewhere): the list
   * shows what it held, and nothing can be changed.
   */
  get gone(): boolean {
    return this._gone;
  }
  get filter(): string {
    return this._filter;
  }
  set filter(value: string) {
    if (value !== this._filter) {
      this._filter = value;
      this._filtered = null;
      this._changed.emit();
    }
  }

  /**
   * Follow the server's list of environments: mark this one gone when it is
   * not listed, and reload it when an environment of that name comes back.
   */
  syncWith(environments: readonly IEnvironment[]): void {
    const listed = environments.some(env => env.name === this.environment);
    if (listed === !this._gone) {
      return;
    }
    this._gone = !listed;
    this._changed.emit();
    if (listed) {
      void this.refresh();
    }
  }

  /** Computed once per filter change: the table asks for it on every scroll. */
  get filtered(): readonly IPackage[] {
    if (this._filtered === null) {
      this._filtered = this._packages.filter(pkg =>
        matchesFilter(this._filter, pkg.name, pkg.version, pkg.channel ?? '')
      );
    }
    return this._filtered;
  }

  async refresh(): Promise<void> {
    this._status = 'loading';
    this._changed.emit();
    try {
      this._packages = await this.client.packages(this.environment);
      this._filtered = null;
      this._status = 'ready';
      this._error = '';
      this._gone = false;
    } catch (error) {
      if (error instanceof EnvManagerApiError && error.status === 404) {
        // Keep the last list in view: it says what the environment held.
        this._gone = true;
        this._status = 'ready';
        this._error = '';
      } else {
        this._status = 'failed';
        this._error = (error as Error).message;
      }
    }
    this._changed.emit();
  }

  preview(request: IPackagesRequest): Promise<IChangePlan> {
    return this.client.previewPackages(this.environment, request);
  }

  /** Start the change; the package list reloads when its task ends. */
  async apply(request: IPackagesRequest): Promise<ITask> {
    if (this._gone) {
      throw new Error(`${this.environment} was removed.`);
    }
    const task = await this.client.changePackages(this.environment, request);
    const onFinished = (_: TasksModel, done: ITask) => {
      if (done.id === task.id) {
        this.tasks.finished.disconnect(onFinished);
        void this.refresh();
      }
    };
    this.tasks.finished.connect(onFinished);
    this.tasks.track(task);
    return task;
  }

  private _changed = new Signal<this, void>(this);
  private _status: LoadStatus = 'idle';
  private _error = '';
  private _packages: IPackage[] = [];
  private _filtered: IPackage[] | null = null;
  private _filter = '';
  private _gone = false;
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
