/**
 * State of the UI, kept out of the widgets: the environments list, the running
 * tasks (fed by the server's events) and one environment's packages. Widgets
 * render these and call their methods; they hold no state of their own beyond
 * what is being typed.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  EnvManagerClient,
  IChangePlan,
  IEnvironment,
  IPackage,
  IPackagesRequest,
  IServerInfo,
  ITask,
  ITaskEvent,
  TASK_EVENT_SCHEMA,
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

/** Anything that delivers Jupyter event emissions (the service manager's stream). */
export interface IEventSource {
  connect(
    slot: (sender: unknown, emission: { schema_id: string }) => void,
    thisArg?: unknown
  ): boolean;
  disconnect(
    slot: (sender: unknown, emission: { schema_id: string }) => void,
    thisArg?: unknown
  ): boolean;
}

/** The most log lines kept per task in the browser. */
export const MAX_LOG_LINES = 500;

/**
 * The tasks this browser follows. Live updates come from the server's events;
 * a slow poll of each unfinished task covers events lost on a reconnect.
 */
export class TasksModel {
  constructor(
    private readonly client: EnvManagerClient,
    events: IEventSource | null,
    private readonly pollMs = 3000
  ) {
    this._events = events;
    events?.connect(this._onEmission, this);
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
      this._changed.emit();
    }
  }

  dispose(): void {
    this._events?.disconnect(this._onEmission, this);
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    this._disposed = true;
  }

  private _onEmission(_: unknown, emission: { schema_id: string }): void {
    if (emission.schema_id === TASK_EVENT_SCHEMA) {
      this.handleEvent(emission as unknown as ITaskEvent);
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
  private _events: IEventSource | null;
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
    } catch (error) {
      this._status = 'failed';
      this._error = (error as Error).message;
    }
    this._changed.emit();
  }

  preview(request: IPackagesRequest): Promise<IChangePlan> {
    return this.client.previewPackages(this.environment, request);
  }

  /** Start the change; the package list reloads when its task ends. */
  async apply(request: IPackagesRequest): Promise<ITask> {
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
