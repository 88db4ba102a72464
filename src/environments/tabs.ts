/**
 * The tabs other plugins add to every environment view. Plugins activate in
 * any order, so a tab may arrive after views are open: the registry says so
 * and open views add it.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { rankIndex } from '../common/rank';
import { IEnvironmentTab } from '../tokens';

export class EnvironmentTabs {
  /** Tabs in rank order (ties keep the order they were added in). */
  get tabs(): readonly IEnvironmentTab[] {
    return this._tabs;
  }

  /** A tab was added; every open view should show it. */
  get added(): ISignal<this, IEnvironmentTab> {
    return this._added;
  }

  add(tab: IEnvironmentTab): void {
    if (this._tabs.some(other => other.id === tab.id)) {
      throw new Error(`An environment tab "${tab.id}" is already registered`);
    }
    this._tabs.splice(rankIndex(this._tabs, tab.rank), 0, tab);
    this._added.emit(tab);
  }

  private _tabs: IEnvironmentTab[] = [];
  private _added = new Signal<this, IEnvironmentTab>(this);
}
