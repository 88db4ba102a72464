/**
 * The main-area view of one environment: a tab per feature ("Packages" first,
 * then the tabs other plugins register through IEnvironmentViews, including
 * those registered after the view opened).
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { TabPanel, Widget } from '@lumino/widgets';

import { IEnvironment } from '../api';
import { environmentsIcon } from '../common/icons';
import { rankIndex } from '../common/rank';
import { TasksModel } from '../tasks/model';
import { IEnvironmentTab } from '../tokens';
import { PackagesModel } from './packagesModel';
import { IPackagesActions, PackagesContent } from './packagesView';
import { EnvironmentTabs } from './tabs';

export const PACKAGES_TAB = 'packages';

export class EnvironmentView extends MainAreaWidget<TabPanel> {
  constructor(options: {
    environment: IEnvironment;
    packages: PackagesModel;
    tasks: TasksModel;
    actions: IPackagesActions;
    tabs: EnvironmentTabs;
    trans: TranslationBundle;
  }) {
    const { environment, packages, trans } = options;
    const content = new TabPanel();
    content.addClass('jp-EnvManager-environmentTabs');
    super({ content });
    this.model = packages;
    this.id = `jp-env-manager-packages-${encodeURIComponent(packages.environment)}`;
    this.addClass('jp-EnvManager-packagesView');
    this.title.icon = environmentsIcon;
    this.title.closable = true;

    const packagesTab = new PackagesContent(
      packages,
      options.tasks,
      options.actions,
      trans
    );
    packagesTab.title.label = trans.__('Packages');
    this._addTab(PACKAGES_TAB, 0, packagesTab);
    const addTab = (tab: IEnvironmentTab) => {
      const widget = tab.create(environment);
      widget.title.label = tab.label;
      this._addTab(tab.id, tab.rank, widget);
    };
    options.tabs.tabs.forEach(addTab);
    options.tabs.added.connect((_, tab) => addTab(tab), this);

    const label = () =>
      packages.gone
        ? trans.__('Packages: %1 (removed)', packages.environment)
        : trans.__('Packages: %1', packages.environment);
    this.title.label = label();
    packages.changed.connect(() => {
      this.title.label = label();
    }, this);
  }

  readonly model: PackagesModel;

  /** Bring the tab `id` forward; false when there is no such tab. */
  showTab(id: string): boolean {
    const widget = this._tabs.get(id);
    if (!widget) {
      return false;
    }
    this.content.currentWidget = widget;
    return true;
  }

  /** The ids of the tabs, in the order shown. */
  get tabIds(): string[] {
    return this._order.map(entry => entry.id);
  }

  private _addTab(id: string, rank: number, widget: Widget): void {
    widget.addClass(`jp-EnvManager-tab-${id}`);
    const index = rankIndex(this._order, rank);
    this._order.splice(index, 0, { id, rank });
    this._tabs.set(id, widget);
    this.content.insertWidget(index, widget);
    // One tab needs no tab bar.
    this.content.tabBar.setHidden(this._order.length < 2);
  }

  private _tabs = new Map<string, Widget>();
  private _order: { id: string; rank: number }[] = [];
}
