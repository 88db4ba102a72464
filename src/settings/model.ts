/**
 * The user's settings as they are now, following the settings registry.
 */
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ISignal, Signal } from '@lumino/signaling';

import {
  DEFAULT_SETTINGS,
  IEnvManagerSettings,
  readSettings
} from './settings';

export class SettingsModel {
  get current(): IEnvManagerSettings {
    return this._current;
  }
  get changed(): ISignal<this, IEnvManagerSettings> {
    return this._changed;
  }

  /** Follow the registry's settings of `pluginId` from now on. */
  async follow(registry: ISettingRegistry, pluginId: string): Promise<void> {
    const loaded = await registry.load(pluginId);
    const update = () => {
      this._current = readSettings(loaded.composite);
      this._changed.emit(this._current);
    };
    loaded.changed.connect(update);
    update();
  }

  private _current: IEnvManagerSettings = { ...DEFAULT_SETTINGS };
  private _changed = new Signal<this, IEnvManagerSettings>(this);
}
