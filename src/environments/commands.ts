/**
 * The environments feature wired into JupyterLab: the sidebar, the
 * environment views, and the commands, launcher and palette entries.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { FileDialog, IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { IEnvironment } from '../api';
import { environmentsIcon } from '../common/icons';
import {
  IEnvironmentTab,
  IEnvironmentViews,
  IEnvManager,
  ISidebarSection
} from '../tokens';
import { EnvironmentActions } from './actions';
import { EnvironmentView } from './environmentView';
import { isEnvironmentFile } from './names';
import { PackagesModel } from './packagesModel';
import { EnvironmentsSidebar } from './sidebar';
import { EnvironmentTabs } from './tabs';

export namespace CommandIDs {
  export const newEnvironment = 'env-manager:new-environment';
  export const openPanel = 'env-manager:open-panel';
  export const createFromFile = 'env-manager:create-from-file';
  export const refresh = 'env-manager:refresh';
}

export interface IEnvironmentsOptions {
  launcher: ILauncher | null;
  palette: ICommandPalette | null;
  restorer: ILayoutRestorer | null;
  translator: ITranslator | null;
  browser: IDefaultFileBrowser | null;
  docManager: IDocumentManager | null;
}

/** Set up the environments feature; the answer lets others add to its views. */
export function activateEnvironments(
  app: JupyterFrontEnd,
  manager: IEnvManager,
  options: IEnvironmentsOptions
): IEnvironmentViews {
  const { client, environments, tasks, kernels, trans } = manager;
  const { browser, docManager, translator } = options;
  const tabs = new EnvironmentTabs();

  const views = new WidgetTracker<EnvironmentView>({
    namespace: 'jupyter-env-manager-packages'
  });
  const openEnvironment = (env: IEnvironment, tabId?: string) => {
    const existing = views.find(view => view.model.environment === env.name);
    if (existing) {
      app.shell.activateById(existing.id);
      if (tabId) {
        existing.showTab(tabId);
      }
      void existing.model.refresh();
      return;
    }
    const packages = new PackagesModel(client, tasks, env.name, env.kind);
    const view = new EnvironmentView({
      environment: env,
      packages,
      tasks,
      actions: {
        change: request => void actions.changePackages(packages, request),
        cancelTask: task => actions.cancelTask(task),
        dismissTask: task => actions.dismissTask(task)
      },
      tabs,
      trans
    });
    if (tabId) {
      view.showTab(tabId);
    }
    void views.add(view);
    app.shell.add(view, 'main');
    app.shell.activateById(view.id);
    void packages.refresh();
  };
  // A removed environment's view says so and offers no changes.
  environments.changed.connect(() => {
    if (environments.status === 'ready') {
      views.forEach(view => view.model.syncWith(environments.environments));
    }
  });

  const actions = new EnvironmentActions({
    app,
    client,
    environments,
    tasks,
    kernels,
    errors: manager.errors,
    trans,
    settings: () => manager.settings.current,
    currentFolder: () => browser?.model.path ?? '',
    pickFiles: docManager
      ? async filter => {
          const result = await FileDialog.getOpenFiles({
            manager: docManager,
            title: trans.__('Choose an environment file'),
            filter: model =>
              model.type === 'directory' || filter(model.path) ? {} : null,
            translator: translator ?? nullTranslator
          });
          return result.button.accept && result.value
            ? result.value
                .filter(model => model.type !== 'directory')
                .map(model => model.path)
            : [];
        }
      : null,
    openPackages: env => openEnvironment(env)
  });

  const sidebar = new EnvironmentsSidebar(
    environments,
    tasks,
    kernels,
    actions,
    trans
  );
  app.shell.add(sidebar, 'left', { rank: 850 });
  options.restorer?.add(sidebar, sidebar.id);
  void environments.refresh();

  app.commands.addCommand(CommandIDs.openPanel, {
    label: trans.__('Show Environments'),
    icon: environmentsIcon,
    execute: () => app.shell.activateById(sidebar.id)
  });
  app.commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Refresh Environments'),
    execute: () => environments.refresh()
  });
  app.commands.addCommand(CommandIDs.newEnvironment, {
    label: trans.__('New environment'),
    caption: trans.__('Create a conda environment or virtualenv'),
    icon: environmentsIcon,
    execute: () => actions.newEnvironment()
  });

  const selectedSpecFile = (): string | null => {
    const item = browser?.selectedItems().next();
    const model = item && !item.done ? item.value : null;
    return model && model.type !== 'directory' && isEnvironmentFile(model.path)
      ? model.path
      : null;
  };
  app.commands.addCommand(CommandIDs.createFromFile, {
    label: trans.__('Create environment from this file'),
    icon: environmentsIcon,
    isVisible: () => selectedSpecFile() !== null,
    execute: args => {
      const path = (args.path as string | undefined) ?? selectedSpecFile();
      if (path) {
        return actions.createFromWorkspaceFile(path);
      }
    }
  });
  app.contextMenu.addItem({
    command: CommandIDs.createFromFile,
    selector: '.jp-DirListing-item[data-isdir="false"]',
    rank: 20
  });

  options.launcher?.add({
    command: CommandIDs.newEnvironment,
    category: trans.__('Environments'),
    rank: 0
  });
  for (const command of [
    CommandIDs.newEnvironment,
    CommandIDs.openPanel,
    CommandIDs.refresh
  ]) {
    options.palette?.addItem({ command, category: trans.__('Environments') });
  }

  return {
    addTab: (tab: IEnvironmentTab) => tabs.add(tab),
    addSidebarSection: (section: ISidebarSection) =>
      sidebar.addSection(section),
    open: openEnvironment
  };
}
