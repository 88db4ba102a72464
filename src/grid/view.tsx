/**
 * The "Grid searches" main-area view: the server's grids, and for the selected
 * one its live progress, cancel / resume / re-run failed, a plot of the metric,
 * and the results table ranked best first.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import { GridRow, IGrid } from '../api';
import { formatDuration } from '../common/format';
import { environmentsIcon } from '../common/icons';
import { formatCell, outputNotebookPath } from './cells';
import { GridsModel } from './model';
import { Heatmap, LineChart } from './plot';
import { heatmap, linePlot } from './plotData';
import { bestRuns, sortByRank } from './ranking';

export interface IGridsActions {
  cancel(): void;
  resume(rerunFailed: boolean): void;
  downloadCsv(grid: IGrid): void;
  openNotebook(path: string): void;
}

function GridPlotArea(props: {
  grid: IGrid;
  rows: readonly GridRow[];
  metric: string;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { grid, rows, metric, trans } = props;
  const [xParam, setX] = useState<string>(grid.swept[0] ?? '');
  const [yParam, setY] = useState<string>(grid.swept[1] ?? '');
  if (!grid.swept.length) {
    return null;
  }
  const x = grid.swept.includes(xParam) ? xParam : grid.swept[0];
  const y = yParam && yParam !== x && grid.swept.includes(yParam) ? yParam : '';
  const plot = y ? heatmap(rows, x, y, metric) : linePlot(rows, x, metric);
  const empty =
    plot.kind === 'line'
      ? !plot.points.length
      : plot.cells.every(row => row.every(cell => cell === null));
  return (
    <div className="jp-EnvManager-gridPlotArea">
      <div className="jp-EnvManager-gridPlotControls">
        <label>
          {trans.__('x axis')}{' '}
          <select
            className="jp-mod-styled"
            aria-label={trans.__('Parameter on the x axis')}
            value={x}
            onChange={event => setX(event.target.value)}
          >
            {grid.swept.map(name => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        {grid.swept.length > 1 && (
          <label>
            {trans.__('y axis')}{' '}
            <select
              className="jp-mod-styled"
              aria-label={trans.__('Parameter on the y axis')}
              value={y}
              onChange={event => setY(event.target.value)}
            >
              <option value="">{trans.__('none (line)')}</option>
              {grid.swept
                .filter(name => name !== x)
                .map(name => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
            </select>
          </label>
        )}
      </div>
      {empty ? (
        <div className="jp-EnvManager-empty">
          {trans.__(
            'The plot appears when runs finish with a value of %1.',
            metric
          )}
        </div>
      ) : plot.kind === 'line' ? (
        <LineChart plot={plot} />
      ) : (
        <Heatmap plot={plot} />
      )}
    </div>
  );
}

function statusClass(status: string): string {
  return `jp-EnvManager-runStatus jp-mod-${status}`;
}

function ResultsTable(props: {
  model: GridsModel;
  grid: IGrid;
  metric: string | null;
  actions: IGridsActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, grid, metric, actions, trans } = props;
  const rows = sortByRank(grid.results ?? [], metric);
  const best = bestRuns(rows, metric);
  return (
    <table className="jp-EnvManager-gridTable">
      <thead>
        <tr>
          <th>{trans.__('Run')}</th>
          {grid.swept.map(name => (
            <th key={name}>{name}</th>
          ))}
          {metric && <th>{metric}</th>}
          {metric && <th>{trans.__('Rank')}</th>}
          <th>{trans.__('Status')}</th>
          <th>{trans.__('Duration')}</th>
          <th>{trans.__('Output')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(row => {
          const status = model.runStatus(row);
          const output = outputNotebookPath(row.output_notebook);
          return (
            <tr
              key={`${row.run}`}
              data-run={row.run}
              data-attempts={row.attempts ?? undefined}
              className={best.has(row.run) ? 'jp-mod-best' : undefined}
            >
              <td>{row.run}</td>
              {grid.swept.map(name => (
                <td key={name} data-param={name}>
                  {formatCell(row[`param_${name}`])}
                </td>
              ))}
              {metric && (
                <td data-metric={metric} title={String(row[metric] ?? '')}>
                  {formatCell(row[metric])}
                </td>
              )}
              {metric && <td>{formatCell(row[`rank_${metric}`])}</td>}
              <td>
                <span
                  className={statusClass(status)}
                  title={
                    row.error ?? model.liveRuns.get(row.run)?.message ?? ''
                  }
                >
                  {status}
                </span>
              </td>
              <td
                className="jp-EnvManager-duration"
                title={
                  typeof row.duration === 'number'
                    ? trans.__('%1 seconds', row.duration)
                    : undefined
                }
              >
                {formatDuration(row.duration)}
              </td>
              <td>
                {output && status !== 'pending' && status !== 'running' && (
                  <button
                    className="jp-EnvManager-linkButton"
                    title={output}
                    onClick={() => actions.openNotebook(output)}
                  >
                    {trans.__('Open')}
                  </button>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function GridDetail(props: {
  model: GridsModel;
  grid: IGrid;
  actions: IGridsActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, grid, actions, trans } = props;
  const metric = grid.metrics[0]?.name ?? null;
  const counts = grid.counts ?? {};
  const failed =
    (counts.failed ?? 0) + (counts.timeout ?? 0) + (counts.refused ?? 0);
  const fraction = grid.total ? grid.done / grid.total : 0;
  const running = grid.active || grid.state === 'running';
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
          {running && (
            <button
              className="jp-mod-styled jp-mod-warn"
              onClick={actions.cancel}
            >
              {trans.__('Cancel')}
            </button>
          )}
          {!running && grid.done < grid.total && (
            <button
              className="jp-mod-styled jp-mod-accept"
              onClick={() => actions.resume(false)}
            >
              {trans.__('Resume')}
            </button>
          )}
          {!running && failed > 0 && (
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
      <div className="jp-EnvManager-gridProgress">
        <div
          className="jp-EnvManager-progress"
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={grid.total}
          aria-valuenow={grid.done}
        >
          <div style={{ width: `${Math.round(fraction * 100)}%` }} />
        </div>
        <span className="jp-EnvManager-gridCounts">
          {trans.__('%1 / %2 done', grid.done, grid.total)}
          {Object.entries(counts)
            .filter(([, n]) => n)
            .map(([status, n]) => (
              <span key={status} className={statusClass(status)}>
                {`${status} ${n}`}
              </span>
            ))}
          <span className="jp-EnvManager-gridState">{grid.state}</span>
        </span>
      </div>
      {metric && (
        <GridPlotArea
          key={grid.grid_id}
          grid={grid}
          rows={grid.results ?? []}
          metric={metric}
          trans={trans}
        />
      )}
      <ResultsTable
        model={model}
        grid={grid}
        metric={metric}
        actions={actions}
        trans={trans}
      />
    </div>
  );
}

function GridsContent(props: {
  model: GridsModel;
  actions: IGridsActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, actions, trans } = props;
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
                {`${grid.state} · ${grid.done}/${grid.total} · ${grid.grid_id}`}
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
        {model.error && (
          <div className="jp-EnvManager-fieldError" role="alert">
            {model.error}
          </div>
        )}
        {selected && (
          <GridDetail
            model={model}
            grid={selected}
            actions={actions}
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
    trans: TranslationBundle
  ) {
    super({ content: new GridsContentWidget(model, actions, trans) });
    this.id = 'jp-env-manager-grids';
    this.title.label = trans.__('Grid searches');
    this.title.icon = environmentsIcon;
    this.title.closable = true;
    this.addClass('jp-EnvManager-gridsView');
  }
}
