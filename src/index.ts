import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { EnvManagerClient } from './api';
import { environmentsIcon } from './icons';
import { EnvironmentsSidebar } from './panel';

namespace CommandIDs {
  export const newEnvironment = 'env-manager:new-environment';
  export const openPanel = 'env-manager:open-panel';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-env-manager:plugin',
  description: 'Manage conda environments and virtualenvs from JupyterLab.',
  autoStart: true,
  optional: [ILauncher, ICommandPalette, ILayoutRestorer, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyter_env_manager');
    const client = new EnvManagerClient(app.serviceManager.serverSettings);

    const sidebar = new EnvironmentsSidebar(client, trans);
    app.shell.add(sidebar, 'left', { rank: 850 });
    restorer?.add(sidebar, sidebar.id);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Show Environments'),
      icon: environmentsIcon,
      execute: () => app.shell.activateById(sidebar.id)
    });

    app.commands.addCommand(CommandIDs.newEnvironment, {
      label: trans.__('New environment'),
      caption: trans.__('Create a conda environment or virtualenv'),
      icon: environmentsIcon,
      execute: async () => {
        // Placeholder until environment creation lands (engines issue).
        await showDialog({
          title: trans.__('New environment'),
          body: trans.__(
            'Creating environments from JupyterLab is coming soon.'
          ),
          buttons: [Dialog.okButton({ label: trans.__('Close') })]
        });
      }
    });

    launcher?.add({
      command: CommandIDs.newEnvironment,
      category: trans.__('Environments'),
      rank: 0
    });
    palette?.addItem({
      command: CommandIDs.newEnvironment,
      category: trans.__('Environments')
    });
    palette?.addItem({
      command: CommandIDs.openPanel,
      category: trans.__('Environments')
    });
  }
};

export default plugin;
