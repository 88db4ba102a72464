/**
 * The "Grid searches" main-area view: the server's grids, and for the selected
 * one its live progress (progress.tsx), cancel / resume / re-run failed, a
 * plot of the metric (plotArea.tsx) and the results table (resultsTable.tsx).
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import React from 'react';

import { IGrid } from '../api';
import { FieldError } from '../common/fieldError';
import { environmentsIcon } from '../common/icons';
import { GridsModel } from './model';
import { GridPlotArea } from './plotArea';
import { GridProgress } from './progress';
import { ResultsTable } from './resultsTable';
import { gridChoices, gridStateLabel } from './summary';

export interface IGridsActions {
  cancel(): void;
  resume(rerunFailed: boolean): void;
  downloadCsv(grid: IGrid): void;
  openNotebook(path: string): void;
}

function GridDetail(props: {
  model: GridsModel;
  grid: IGrid;
  actions: IGridsActions;
  rendermime: IRenderMimeRegistry | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, grid, actions, rendermime, trans } = props;
  const metric = grid.metrics[0]?.name ?? null;
  const choices = gridChoices(grid);
  return (
    <div className="jp-EnvManager-gridDetail" data-grid-id={grid.grid_id}>
      <div className="jp-EnvManager-gridHeader">
        <div>
          <div className="jp-EnvManager-gridTitle">{grid.notebook}</div>
          <div className="jp-EnvManager-envMeta">
            {trans.__(
              'Output in %1 · kernel %2',
              grid.out_dir,
              grid.target?.env_name ?? grid.target?.kernel_name ?? '?'
            )}
            {metric &&
              ' · ' +
                (grid.metrics[0].goal === 'min'
                  ? trans.__('minimize %1', metric)
                  : trans.__('maximize %1', metric))}
          </div>
        </div>
        <div className="jp-EnvManager-gridButtons">
          {choices.cancel && (
            <button
              className="jp-mod-styled jp-mod-warn"
              onClick={actions.cancel}
            >
              {trans.__('Cancel')}
            </button>
          )}
          {choices.resume && (
            <button
              className="jp-mod-styled jp-mod-accept"
              onClick={() => actions.resume(false)}
            >
              {trans.__('Resume')}
            </button>
          )}
          {choices.rerunFailed && (
            <button
              className="jp-mod-styled jp-mod-accept"
              onClick={() => actions.resume(true)}
            >
              {trans.__('Re-run failed')}
            </button>
          )}
          <button
            className="jp-mod-styled"
            onClick={() => actions.downloadCsv(grid)}
          >
            {trans.__('Download CSV')}
          </button>
        </div>
      </div>
      <GridProgress grid={grid} trans={trans} />
      {metric && (
        <GridPlotArea
          key={grid.grid_id}
          grid={grid}
          metric={metric}
          rendermime={rendermime}
          trans={trans}
        />
      )}
      <ResultsTable
        model={model}
        grid={grid}
        metric={metric}
        openNotebook={actions.openNotebook}
        trans={trans}
      />
    </div>
  );
}

function GridsContent(props: {
  model: GridsModel;
  actions: IGridsActions;
  rendermime: IRenderMimeRegistry | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, actions, rendermime, trans } = props;
  const selected = model.selected;
  return (
    <div className="jp-EnvManager-grids">
      <ul className="jp-EnvManager-gridList" aria-label={trans.__('Grids')}>
        {model.grids.map(grid => (
          <li
            key={grid.grid_id}
            className={
              grid.grid_id === model.selectedId ? 'jp-mod-selected' : undefined
            }
          >
            <button
              className="jp-EnvManager-gridItem"
              onClick={() => void model.select(grid.grid_id)}
            >
              <span className="jp-EnvManager-gridItemName">
                {grid.notebook}
              </span>
              <span className="jp-EnvManager-envMeta">
                {trans.__(
                  '%1 · %2/%3 · %4',
                  gridStateLabel(grid.state, trans),
                  grid.done,
                  grid.total,
                  grid.grid_id
                )}
              </span>
            </button>
          </li>
        ))}
        {!model.grids.length && (
          <li className="jp-EnvManager-empty">
            {model.status === 'loading'
              ? trans.__('Loading…')
              : trans.__(
                  'No grid searches yet. Right-click a notebook in the file browser and choose "Grid search…".'
                )}
          </li>
        )}
      </ul>
      <div className="jp-EnvManager-gridMain">
        <FieldError message={model.error} />
        {selected && (
          <GridDetail
            model={model}
            grid={selected}
            actions={actions}
            rendermime={rendermime}
            trans={trans}
          />
        )}
      </div>
    </div>
  );
}

class GridsContentWidget extends ReactWidget {
  constructor(
    readonly model: GridsModel,
    private readonly actions: IGridsActions,
    private readonly rendermime: IRenderMimeRegistry | null,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-EnvManager-gridsContent');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <GridsContent
            model={this.model}
            actions={this.actions}
            rendermime={this.rendermime}
            trans={this.trans}
          />
        )}
      </UseSignal>
    );
  }
}

export class GridsView extends MainAreaWidget<GridsContentWidget> {
  constructor(
    readonly model: GridsModel,
    actions: IGridsActions,
    rendermime: IRenderMimeRegistry | null,
    trans: TranslationBundle
  ) {
    super({
      content: new GridsContentWidget(model, actions, rendermime, trans)
    });
    this.id = 'jp-env-manager-grids';
    this.title.label = trans.__('Grid searches');
    this.title.icon = environmentsIcon;
    this.title.closable = true;
    this.addClass('jp-EnvManager-gridsView');
  }
}
