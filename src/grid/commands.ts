/**
 * Grid searches wired into JupyterLab: the grid view, the "Grid search…"
 * command on notebooks and the palette entry.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  showErrorMessage,
  WidgetTracker
} from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';

import { IEnvironment, IGrid, IGridRequest, INotebookInspection } from '../api';
import { download } from '../common/download';
import { environmentsIcon } from '../common/icons';
import { submitUntilAccepted } from '../common/resubmit';
import { IEnvironmentViews, IEnvManager } from '../tokens';
import { askGridSearch } from './dialog';
import { IGridForm } from './form';
import { GridsModel } from './model';
import { askNotebookPath } from './notebookDialog';
import { GridSidebarSection } from './sidebarSection';
import { GridsView } from './view';

export namespace CommandIDs {
  export const gridSearch = 'env-manager:grid-search';
  export const openGrids = 'env-manager:open-grids';
  export const newGridSearch = 'env-manager:new-grid-search';
}

export interface IGridsOptions {
  /** Where the sidebar's grid section goes; null without the environments plugin. */
  views: IEnvironmentViews | null;
  palette: ICommandPalette | null;
  /** Draws the plot (JupyterLab's Vega-Lite renderer); null: no plot. */
  rendermime: IRenderMimeRegistry | null;
  restorer: ILayoutRestorer | null;
  browser: IDefaultFileBrowser | null;
  docManager: IDocumentManager | null;
}

export function activateGrids(
  app: JupyterFrontEnd,
  manager: IEnvManager,
  options: IGridsOptions
): GridsModel {
  const { client, events, kernels, trans } = manager;
  const { browser, docManager, restorer } = options;
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
  const openNotebook = (path: string) => {
    if (docManager) {
      docManager.openOrReveal(path);
    } else {
      void app.commands.execute('docmanager:open', { path });
    }
  };
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
          openNotebook
        },
        options.rendermime,
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

  /** Ask for the grid of `path` and start it; the view follows it. */
  const startGridSearch = async (
    path: string,
    checked: INotebookInspection | null = null
  ): Promise<void> => {
    try {
      const [inspection, envs] = await Promise.all([
        checked ?? client.inspectNotebook(path),
        client.environments().catch(() => [] as IEnvironment[]),
        kernels.refresh().catch(() => undefined)
      ]);
      // A refused start reopens the dialog as typed, with the reason.
      const started = await submitUntilAccepted<IGridForm, IGridRequest, IGrid>(
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
  };

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
      if (path) {
        await startGridSearch(path);
      }
    }
  });
  app.commands.addCommand(CommandIDs.newGridSearch, {
    label: trans.__('New Grid Search…'),
    caption: trans.__('Choose a notebook and run it once per combination'),
    icon: environmentsIcon,
    execute: async () => {
      // The server reads the notebook before the form opens: a wrong path
      // or a notebook without parameters is said here, with the path kept.
      const inspection = await submitUntilAccepted<
        string,
        string,
        INotebookInspection
      >(
        refused => askNotebookPath(selectedNotebook() ?? '', trans, refused),
        path => client.inspectNotebook(path)
      );
      if (inspection) {
        await startGridSearch(inspection.path, inspection);
      }
    }
  });
  if (options.views) {
    const section = new GridSidebarSection(
      grids,
      {
        newGridSearch: () =>
          void app.commands.execute(CommandIDs.newGridSearch),
        openGrid: grid =>
          void app.commands.execute(CommandIDs.openGrids, {
            grid: grid.grid_id
          })
      },
      trans
    );
    options.views.addSidebarSection({ widget: section, rank: 100 });
    void grids.refresh();
  }

  app.contextMenu.addItem({
    command: CommandIDs.gridSearch,
    selector: '.jp-DirListing-item[data-file-type="notebook"]',
    rank: 21
  });
  for (const command of [CommandIDs.openGrids, CommandIDs.newGridSearch]) {
    options.palette?.addItem({ command, category: trans.__('Environments') });
  }
  return grids;
}
