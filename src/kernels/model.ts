/**
 * The kernel specs the server lists, as the environment views need them:
 * which environment has a launchable kernel, and a signal when that changes
 * (JupyterLab's kernelspec manager reloads them on `refreshSpecs()` and on
 * its own slow poll).
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IEnvironment } from '../api';
import { kernelNameFor, kernelState, KernelState } from './specs';

/** The part of JupyterLab's KernelSpec.IManager used here. */
export interface IKernelSpecSource {
  readonly specs: { kernelspecs: Record<string, unknown> } | null;
  readonly specsChanged: ISignal<unknown, unknown>;
  refreshSpecs(): Promise<void>;
}

export class KernelSpecsModel {
  constructor(private readonly source: IKernelSpecSource) {
    source.specsChanged.connect(this._onSpecsChanged, this);
  }

  /** The server's list of kernel specs changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The name of the kernel spec that launches `prefix`, or null. */
  kernelName(prefix: string): string | null {
    return kernelNameFor(this.source.specs?.kernelspecs, prefix);
  }

  state(env: Pick<IEnvironment, 'prefix' | 'has_ipykernel'>): KernelState {
    return kernelState(env, this.source.specs?.kernelspecs);
  }

  /** Ask the server again; `changed` follows when the list differs. */
  refresh(): Promise<void> {
    return this.source.refreshSpecs();
  }

  /** The kernel of `prefix`, asking the server once more when not listed yet. */
  async findKernel(prefix: string): Promise<string | null> {
    const name = this.kernelName(prefix);
    if (name) {
      return name;
    }
    await this.refresh();
    return this.kernelName(prefix);
  }

  dispose(): void {
    this.source.specsChanged.disconnect(this._onSpecsChanged, this);
  }

  private _onSpecsChanged(): void {
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
}
