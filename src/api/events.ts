/**
 * The one subscriber to the server's Jupyter event stream for this extension.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IEnvironmentsEvent, IGridEvent, ITaskEvent } from './types';

/** Schema id of the Jupyter events the server emits for task progress. */
export const TASK_EVENT_SCHEMA =
  'https://events.jupyter.org/jupyter_env_manager/task/v1';

/** Schema id of the Jupyter events the server emits for grid searches. */
export const GRID_EVENT_SCHEMA =
  'https://events.jupyter.org/jupyter_env_manager/grid/v1';

/** Schema id of the events saying the set of environments or their kernels changed. */
export const ENVIRONMENTS_EVENT_SCHEMA =
  'https://events.jupyter.org/jupyter_env_manager/environments/v1';

/** What a Jupyter event stream delivers: the schema id beside the event's data. */
export interface IEmission {
  schema_id: string;
}

/** Anything that delivers Jupyter event emissions (the service manager's stream). */
export interface IEventSource {
  connect(
    slot: (sender: unknown, emission: IEmission) => void,
    thisArg?: unknown
  ): boolean;
  disconnect(
    slot: (sender: unknown, emission: IEmission) => void,
    thisArg?: unknown
  ): boolean;
}

/**
 * The one subscriber to the server's event stream: sorts this extension's
 * events by schema into typed signals, so models never read raw emissions.
 */
export class EnvManagerEvents {
  constructor(source: IEventSource | null) {
    this._source = source;
    source?.connect(this._onEmission, this);
  }

  /** Progress of a task (create, install, remove, ...). */
  get task(): ISignal<this, ITaskEvent> {
    return this._task;
  }
  /** Progress of a grid search. */
  get grid(): ISignal<this, IGridEvent> {
    return this._grid;
  }
  /** The set of environments or of environment kernels changed, whoever changed it. */
  get environments(): ISignal<this, IEnvironmentsEvent> {
    return this._environments;
  }

  dispose(): void {
    this._source?.disconnect(this._onEmission, this);
    this._source = null;
    Signal.clearData(this);
  }

  private _onEmission(_: unknown, emission: IEmission): void {
    switch (emission.schema_id) {
      case TASK_EVENT_SCHEMA:
        this._task.emit(emission as unknown as ITaskEvent);
        break;
      case GRID_EVENT_SCHEMA:
        this._grid.emit(emission as unknown as IGridEvent);
        break;
      case ENVIRONMENTS_EVENT_SCHEMA:
        this._environments.emit(emission as unknown as IEnvironmentsEvent);
        break;
    }
  }

  private _source: IEventSource | null;
  private _task = new Signal<this, ITaskEvent>(this);
  private _grid = new Signal<this, IGridEvent>(this);
  private _environments = new Signal<this, IEnvironmentsEvent>(this);
}
