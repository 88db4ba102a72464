/**
 * The extension's plugins. Each feature folder sets itself up (its
 * commands.ts); this file only says what each plugin needs and provides.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator } from '@jupyterlab/translation';

import { activateEnvironments } from './environments/commands';
import { activateGrids } from './grid/commands';
import { activateLifecycle } from './lifecycle/plugin';
import { createEnvManager } from './manager';
import { activateNotebookPins } from './notebooks/commands';
import { IEnvironmentViews, IEnvManager } from './tokens';

/** Also the id the settings (schema/plugin.json) belong to. */
export const CORE_PLUGIN_ID = 'jupyter-env-manager:plugin';

const core: JupyterFrontEndPlugin<IEnvManager> = {
  id: CORE_PLUGIN_ID,
  description: 'The env-manager client, its shared models and settings.',
  autoStart: true,
  provides: IEnvManager,
  optional: [ITranslator, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null
  ) => createEnvManager(app, translator, settingRegistry, CORE_PLUGIN_ID)
};

const environments: JupyterFrontEndPlugin<IEnvironmentViews> = {
  id: 'jupyter-env-manager:environments',
  description: 'The Environments sidebar, environment views and commands.',
  autoStart: true,
  requires: [IEnvManager],
  provides: IEnvironmentViews,
  optional: [
    ILauncher,
    ICommandPalette,
    ILayoutRestorer,
    ITranslator,
    IDefaultFileBrowser,
    IDocumentManager
  ],
  activate: (
    app: JupyterFrontEnd,
    manager: IEnvManager,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    browser: IDefaultFileBrowser | null,
    docManager: IDocumentManager | null
  ) =>
    activateEnvironments(app, manager, {
      launcher,
      palette,
      restorer,
      translator,
      browser,
      docManager
    })
};

const grids: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-env-manager:grids',
  description: 'Grid searches over a notebook’s parameters.',
  autoStart: true,
  requires: [IEnvManager],
  optional: [
    IEnvironmentViews,
    ICommandPalette,
    ILayoutRestorer,
    IDefaultFileBrowser,
    IDocumentManager,
    IRenderMimeRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    manager: IEnvManager,
    views: IEnvironmentViews | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    browser: IDefaultFileBrowser | null,
    docManager: IDocumentManager | null,
    rendermime: IRenderMimeRegistry | null
  ) => {
    activateGrids(app, manager, {
      views,
      palette,
      rendermime,
      restorer,
      browser,
      docManager
    });
  }
};

const notebooks: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-env-manager:notebooks',
  description: 'Pin a notebook to its environment and recreate it anywhere.',
  autoStart: true,
  requires: [IEnvManager],
  optional: [IDocumentManager, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    manager: IEnvManager,
    docManager: IDocumentManager | null,
    palette: ICommandPalette | null
  ) => activateNotebookPins(app, manager, { docManager, palette })
};

const lifecycle: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-env-manager:lifecycle',
  description: 'Environment history and rollback, disk use and cache clean-up.',
  autoStart: true,
  requires: [IEnvManager, IEnvironmentViews],
  activate: (
    _app: JupyterFrontEnd,
    manager: IEnvManager,
    views: IEnvironmentViews
  ) => activateLifecycle(manager, views)
};

export default [core, environments, grids, notebooks, lifecycle];
