import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  showErrorMessage,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { FileDialog, IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import {
  DEFAULT_SETTINGS,
  download,
  EnvironmentActions,
  IEnvManagerSettings
} from './actions';
import {
  EnvManagerClient,
  EnvManagerEvents,
  IEnvironment,
  IGrid,
  IGridRequest
} from './api';
import { ErrorNotices } from './common/notices';
import { submitUntilAccepted } from './common/resubmit';
import { EnvironmentChangeFollower } from './environments/follow';
import { askGridSearch } from './gridDialog';
import { GridsModel, IGridForm } from './gridModels';
import { GridsView } from './gridsView';
import { environmentsIcon } from './icons';
import { KernelSpecsModel } from './kernels/model';
import { EnvironmentsModel, PackagesModel, TasksModel } from './models';
import { isEnvironmentFile } from './names';
import { NotebookPins } from './notebooks/pins';
import { EnvironmentsSidebar } from './panel';
import { PackagesView } from './packagesView';

namespace CommandIDs {
  export const newEnvironment = 'env-manager:new-environment';
  export const openPanel = 'env-manager:open-panel';
  export const createFromFile = 'env-manager:create-from-file';
  export const refresh = 'env-manager:refresh';
  export const gridSearch = 'env-manager:grid-search';
  export const openGrids = 'env-manager:open-grids';
  export const pinNotebook = 'env-manager:pin-notebook';
  export const reproduceNotebook = 'env-manager:reproduce-notebook';
}

const PLUGIN_ID = 'jupyter-env-manager:plugin';

function readSettings(
  settings: ISettingRegistry.ISettings
): IEnvManagerSettings {
  const composite = settings.composite as Partial<IEnvManagerSettings>;
  return { ...DEFAULT_SETTINGS, ...composite };
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Manage conda environments and virtualenvs from JupyterLab.',
  autoStart: true,
  optional: [
    ILauncher,
    ICommandPalette,
    ILayoutRestorer,
    ITranslator,
    ISettingRegistry,
    IDefaultFileBrowser,
    IDocumentManager
  ],
  activate: (
    app: JupyterFrontEnd,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    browser: IDefaultFileBrowser | null,
    docManager: IDocumentManager | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyter_env_manager');
    const client = new EnvManagerClient(app.serviceManager.serverSettings);
    const events = new EnvManagerEvents(app.serviceManager.events.stream);
    const environments = new EnvironmentsModel(client);
    const kernels = new KernelSpecsModel(app.serviceManager.kernelspecs);
    const tasks = new TasksModel(client, events);
    // Whoever adds or removes an environment (this UI, the CLI, conda), the
    // list, the Launcher and the kernel picker follow the server's events.
    new EnvironmentChangeFollower(events, {
      environments: () => environments.refresh(),
      kernels: () => kernels.refresh()
    });
    tasks
      .followRunning()
      .catch(error => console.warn('Cannot list running tasks:', error));

    const pins = new NotebookPins({ client, events, kernels, tasks, trans });
    app.docRegistry.addWidgetExtension('Notebook', pins);
    const currentContext = () => {
      const widget = app.shell.currentWidget;
      return widget && docManager
        ? docManager.contextForWidget(widget)
        : undefined;
    };
    const reportFailure = (error: unknown) =>
      void showErrorMessage(trans.__('Environment pin'), error as Error);
    app.commands.addCommand(CommandIDs.pinNotebook, {
      label: trans.__('Pin Environment to Notebook'),
      caption: trans.__(
        'Record the environment in the notebook, to rebuild it anywhere'
      ),
      isEnabled: () => currentContext()?.path.endsWith('.ipynb') ?? false,
      execute: async () => {
        const context = currentContext();
        if (context) {
          await pins.pin(context).catch(reportFailure);
        }
      }
    });
    app.commands.addCommand(CommandIDs.reproduceNotebook, {
      label: trans.__("Recreate the Notebook's Environment"),
      caption: trans.__(
        'Rebuild the environment pinned in the notebook and use it'
      ),
      isEnabled: () => currentContext()?.path.endsWith('.ipynb') ?? false,
      execute: async () => {
        const context = currentContext();
        if (context) {
          await pins.reproduce(context).catch(reportFailure);
        }
      }
    });

    let settings = DEFAULT_SETTINGS;
    if (settingRegistry) {
      settingRegistry.load(PLUGIN_ID).then(
        loaded => {
          settings = readSettings(loaded);
          loaded.changed.connect(() => {
            settings = readSettings(loaded);
          });
        },
        (error: Error) =>
          console.warn('jupyter-env-manager: cannot load settings', error)
      );
    }

    const packageViews = new WidgetTracker<PackagesView>({
      namespace: 'jupyter-env-manager-packages'
    });
    const openPackages = (env: IEnvironment) => {
      const existing = packageViews.find(
        view => view.model.environment === env.name
      );
      if (existing) {
        app.shell.activateById(existing.id);
        void existing.model.refresh();
        return;
      }
      const model = new PackagesModel(client, tasks, env.name, env.kind);
      const view = new PackagesView(
        model,
        tasks,
        {
          change: request => void actions.changePackages(model, request),
          cancelTask: task => actions.cancelTask(task),
          dismissTask: task => actions.dismissTask(task)
        },
        trans
      );
      void packageViews.add(view);
      app.shell.add(view, 'main');
      app.shell.activateById(view.id);
      void model.refresh();
    };
    // A removed environment's packages view says so and offers no changes.
    environments.changed.connect(() => {
      if (environments.status === 'ready') {
        packageViews.forEach(view =>
          view.model.syncWith(environments.environments)
        );
      }
    });

    const actions = new EnvironmentActions({
      app,
      client,
      environments,
      tasks,
      kernels,
      errors: new ErrorNotices(),
      trans,
      settings: () => settings,
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
      openPackages
    });

    const sidebar = new EnvironmentsSidebar(
      environments,
      tasks,
      kernels,
      actions,
      trans
    );
    app.shell.add(sidebar, 'left', { rank: 850 });
    restorer?.add(sidebar, sidebar.id);
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
      return model &&
        model.type !== 'directory' &&
        isEnvironmentFile(model.path)
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

    const grids = new GridsModel(client, events);
    let gridsView: GridsView | null = null;
    // The view comes back after a page reload, on the grid it showed.
    const gridViews = new WidgetTracker<GridsView>({
      namespace: 'jupyter-env-manager-grids'
    });
    void restorer?.restore(gridViews, {
      command: CommandIDs.openGrids,
      args: view =>
        view.model.selectedId ? { grid: view.model.selectedId } : {},
      name: () => 'grids'
    });
    let savedSelection: string | null = null;
    grids.changed.connect(() => {
      if (gridsView && gridViews.has(gridsView)) {
        if (grids.selectedId !== savedSelection) {
          savedSelection = grids.selectedId;
          void gridViews.save(gridsView);
        }
      }
    });
    const gridFailure = (error: unknown) =>
      void showErrorMessage(trans.__('Grid search'), error as Error);
    const openGrids = (): GridsView => {
      if (!gridsView || gridsView.isDisposed) {
        gridsView = new GridsView(
          grids,
          {
            cancel: () => void grids.cancel().catch(gridFailure),
            resume: rerunFailed =>
              void grids.resume(rerunFailed).catch(gridFailure),
            downloadCsv: grid =>
              void client
                .gridResultsCsv(grid.grid_id)
                .then(file => download(file.filename, file.content, 'text/csv'))
                .catch(gridFailure),
            openNotebook: path => {
              if (docManager) {
                docManager.openOrReveal(path);
              } else {
                void app.commands.execute('docmanager:open', { path });
              }
            }
          },
          trans
        );
        savedSelection = grids.selectedId;
        void gridViews.add(gridsView);
      }
      if (!gridsView.isAttached) {
        app.shell.add(gridsView, 'main');
      }
      app.shell.activateById(gridsView.id);
      return gridsView;
    };

    app.commands.addCommand(CommandIDs.openGrids, {
      label: trans.__('Grid searches'),
      caption: trans.__('Follow grid searches and compare their results'),
      icon: environmentsIcon,
      execute: args => {
        openGrids();
        return grids.refresh((args.grid as string | undefined) ?? null);
      }
    });

    const selectedNotebook = (): string | null => {
      const item = browser?.selectedItems().next();
      const model = item && !item.done ? item.value : null;
      return model && model.type === 'notebook' ? model.path : null;
    };
    app.commands.addCommand(CommandIDs.gridSearch, {
      label: trans.__('Grid search…'),
      caption: trans.__('Run this notebook once per combination of parameters'),
      icon: environmentsIcon,
      isVisible: () => selectedNotebook() !== null,
      execute: async args => {
        const path = (args.path as string | undefined) ?? selectedNotebook();
        if (!path) {
          return;
        }
        try {
          const [inspection, envs] = await Promise.all([
            client.inspectNotebook(path),
            client.environments().catch(() => [] as IEnvironment[]),
            kernels.refresh().catch(() => undefined)
          ]);
          // A refused start reopens the dialog as typed, with the reason.
          const started = await submitUntilAccepted<
            IGridForm,
            IGridRequest,
            IGrid
          >(
            refused =>
              askGridSearch(
                inspection,
                envs,
                env => kernels.state(env),
                values => client.gridValues(values),
                trans,
                refused
              ),
            request => client.startGrid(request)
          );
          if (!started) {
            return;
          }
          openGrids();
          await grids.track(started);
        } catch (error) {
          gridFailure(error);
        }
      }
    });
    app.contextMenu.addItem({
      command: CommandIDs.gridSearch,
      selector: '.jp-DirListing-item[data-file-type="notebook"]',
      rank: 21
    });

    launcher?.add({
      command: CommandIDs.newEnvironment,
      category: trans.__('Environments'),
      rank: 0
    });
    for (const command of [
      CommandIDs.newEnvironment,
      CommandIDs.openPanel,
      CommandIDs.refresh,
      CommandIDs.openGrids,
      CommandIDs.pinNotebook,
      CommandIDs.reproduceNotebook
    ]) {
      palette?.addItem({ command, category: trans.__('Environments') });
    }
  }
};

export default plugin;
