/**
 * The tasks (create, install, remove, ...) this browser follows, fed by the
 * server's task events with a slow poll as a fallback.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  EnvManagerClient,
  EnvManagerEvents,
  ITask,
  ITaskEvent,
  TaskStatus
} from '../api';

const FINISHED: ReadonlySet<TaskStatus> = new Set<TaskStatus>([
  'succeeded',
  'failed',
  'cancelled',
  'interrupted'
]);

export function isFinished(status: TaskStatus): boolean {
  return FINISHED.has(status);
}

/** The most log lines kept per task in the browser. */
export const MAX_LOG_LINES = 500;

/** How long the card of a task that succeeded stays in view. */
export const SUCCEEDED_TASK_VISIBLE_MS = 8000;

/**
 * The tasks this browser follows. Live updates come from the server's events;
 * a slow poll of each unfinished task covers events lost on a reconnect.
 * Tasks that succeeded go away by themselves after `dismissSucceededMs`
 * (their toast said so already) unless `autoDismiss` is off; failed,
 * cancelled and interrupted ones stay until dismissed, since their card holds
 * the error and the log.
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

  /** Whether succeeded tasks leave the list by themselves (a user setting). */
  get autoDismiss(): boolean {
    return this._autoDismiss;
  }
  set autoDismiss(on: boolean) {
    if (on === this._autoDismiss) {
      return;
    }
    this._autoDismiss = on;
    if (on) {
      for (const task of this._tasks.values()) {
        this._scheduleDismiss(task);
      }
    } else {
      for (const id of [...this._dismissTimers.keys()]) {
        this._clearDismissTimer(id);
      }
    }
  }

  get tasks(): ITask[] {
    return [...this._tasks.values()].sort((a, b) => b.created - a.created);
  }

  /** The environments a queued or running task is working on. */
  get busyEnvironments(): ReadonlySet<string> {
    return new Set(
      this.tasks
        .filter(task => !isFinished(task.status))
        .map(task => task.environment)
    );
  }

  /** The tasks listed for one environment (running and finished). */
  forEnvironment(name: string): ITask[] {
    return this.tasks.filter(task => task.environment === name);
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
    if (
      !this._autoDismiss ||
      task.status !== 'succeeded' ||
      this._dismissTimers.has(task.id)
    ) {
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
  private _autoDismiss = true;
  private _dismissTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private _events: EnvManagerEvents | null;
  private _disposed = false;
}
