/**
 * Keep the environment list and the kernel specs current when the server says
 * they changed (its environments/v1 events): after a create or remove by this
 * UI, by the CLI in another terminal or by conda itself. The Launcher and the
 * kernel picker read the kernelspec manager, so they follow without a reload.
 */
import { EnvManagerEvents, IEnvironmentsEvent } from '../api';

export interface IRefreshTargets {
  /** Reload the list of environments. */
  environments(): Promise<void>;
  /** Reload the kernel specs (JupyterLab's `refreshSpecs()`). */
  kernels(): Promise<void>;
}

/** Time to gather a burst of events (a create announces both sets) into one reload. */
export const COALESCE_MS = 150;

export class EnvironmentChangeFollower {
  constructor(
    private readonly events: EnvManagerEvents,
    private readonly targets: IRefreshTargets,
    private readonly coalesceMs = COALESCE_MS
  ) {
    events.environments.connect(this._onChange, this);
  }

  /** Reloads started so far (each reloads both lists). */
  get reloads(): number {
    return this._reloads;
  }

  dispose(): void {
    this.events.environments.disconnect(this._onChange, this);
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _onChange(_: unknown, _event: IEnvironmentsEvent): void {
    // Either kind of change may change both: a new environment brings its
    // kernel, installing ipykernel changes the environment's row.
    if (this._timer !== null) {
      return;
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      this._reloads += 1;
      const failed = (what: string) => (error: unknown) =>
        console.warn(`jupyter-env-manager: cannot reload ${what}`, error);
      this.targets.environments().catch(failed('environments'));
      this.targets.kernels().catch(failed('kernel specs'));
    }, this.coalesceMs);
  }

  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _reloads = 0;
}
