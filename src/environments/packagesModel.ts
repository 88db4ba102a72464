/**
 * One environment's installed packages, and changes to them.
 */
import { ISignal, Signal } from '@lumino/signaling';

import {
  EnvManagerApiError,
  EnvManagerClient,
  IChangePlan,
  IEnvironment,
  IPackage,
  IPackagesRequest,
  ITask
} from '../api';
import { LoadStatus, matchesFilter } from '../common/listing';
import { TasksModel } from '../tasks/model';

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
