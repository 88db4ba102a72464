/**
 * Notebooks that carry their environment: the pin indicator on every
 * notebook's toolbar and the pin / recreate commands.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, showErrorMessage } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';

import { IEnvManager } from '../tokens';
import { NotebookPins } from './pins';

export namespace CommandIDs {
  export const pinNotebook = 'env-manager:pin-notebook';
  export const reproduceNotebook = 'env-manager:reproduce-notebook';
}

export function activateNotebookPins(
  app: JupyterFrontEnd,
  manager: IEnvManager,
  options: {
    docManager: IDocumentManager | null;
    palette: ICommandPalette | null;
  }
): void {
  const { client, events, kernels, tasks, trans } = manager;
  const { docManager } = options;
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
  for (const command of [
    CommandIDs.pinNotebook,
    CommandIDs.reproduceNotebook
  ]) {
    options.palette?.addItem({ command, category: trans.__('Environments') });
  }
}
