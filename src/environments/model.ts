/**
 * The server's info and the environments it knows, filterable. Widgets render
 * this and call its methods; they hold no state beyond what is being typed.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { EnvManagerClient, IEnvironment, IServerInfo } from '../api';
import { LoadStatus, matchesFilter } from '../common/listing';

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
