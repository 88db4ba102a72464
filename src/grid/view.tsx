/**
 * The "Grid searches" main-area view: the server's grids, and for the selected
 * one its live progress, cancel / resume / re-run failed, a plot of the metric,
 * and the results table ranked best first.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

import { IGrid, RunStatus } from '../api';
import { FieldError } from '../common/fieldError';
import { formatDuration } from '../common/format';
import { environmentsIcon } from '../common/icons';
import { formatCell, outputNotebookPath } from './cells';
import { GridsModel } from './model';
import { GridPlotArea } from './plotArea';
import { bestRuns } from './ranking';
import { filterRows, ISortOrder, sortRows } from './table';
import {
  failedRuns,
  gridProgress,
  gridStateLabel,
  runStatusLabel
} from './summary';
import { describeTiming, gridTiming } from './timing';

export interface IGridsActions {
  cancel(): void;
  resume(rerunFailed: boolean): void;
  downloadCsv(grid: IGrid): void;
  openNotebook(path: string): void;
}

function statusClass(status: string): string {
  return `jp-EnvManager-runStatus jp-mod-${status}`;
}

/** A column header that sorts the table by its column. */
function SortHeader(props: {
  label: string;
  sortKey: string;
  order: ISortOrder;
  onSort: (order: ISortOrder) => void;
}): JSX.Element {
  const { label, sortKey, order, onSort } = props;
  const active = order.key === sortKey;
  return (
    <th
      aria-sort={
        active ? (order.descending ? 'descending' : 'ascending') : 'none'
      }
    >
      <button
        className="jp-EnvManager-sortButton"
        data-sort-key={sortKey}
        onClick={() =>
          onSort({
            key: sortKey,
            descending: active ? !order.descending : false
          })
        }
      >
        {label}
        {active ? (order.descending ? ' ▼' : ' ▲') : ''}
      </button>
    </th>
  );
}

function ResultsTable(props: {
  model: GridsModel;
  grid: IGrid;
  metric: string | null;
  actions: IGridsActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, grid, metric, actions, trans } = props;
  const [order, setOrder] = useState<ISortOrder>({
    key: 'rank',
    descending: false
  });
  const [filter, setFilter] = useState('');
  const all = grid.results ?? [];
  const best = bestRuns(all, metric);
  const rows = sortRows(
    filterRows(all, filter, grid.swept, metric),
    order,
    metric
  );
  const header = (label: string, sortKey: string) => (
    <SortHeader
      key={sortKey}
      label={label}
      sortKey={sortKey}
      order={order}
      onSort={setOrder}
    />
  );
  return (
    <div className="jp-EnvManager-gridResults">
      <div className="jp-EnvManager-gridFilter">
        <input
          className="jp-mod-styled jp-EnvManager-filter"
          type="search"
          placeholder={trans.__('Filter runs (e.g. x=0.1 failed)')}
          aria-label={trans.__('Filter runs')}
          value={filter}
          onChange={event => setFilter(event.target.value)}
        />
        <span className="jp-EnvManager-gridShown">
          {trans.__('%1 of %2 runs', rows.length, all.length)}
        </span>
      </div>
      <table
        className="jp-EnvManager-gridTable"
        aria-label={trans.__('Results')}
      >
        <thead>
          <tr>
            {header(trans.__('Run'), 'run')}
            {grid.swept.map(name => header(name, `param:${name}`))}
            {metric && header(metric, `metric:${metric}`)}
            {metric && header(trans.__('Rank'), 'rank')}
            {header(trans.__('Status'), 'status')}
            {header(trans.__('Duration'), 'duration')}
            <th>{trans.__('Output')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(row => {
            const status = model.runStatus(row);
            const output = outputNotebookPath(row.output_notebook);
            const isBest = best.has(row.run);
            return (
              <tr
                key={`${row.run}`}
                data-run={row.run}
                data-attempts={row.attempts ?? undefined}
                className={isBest ? 'jp-mod-best' : undefined}
              >
                <td>
                  {row.run}
                  {isBest && (
                    <span
                      className="jp-EnvManager-bestMark"
                      aria-label={trans.__('best')}
                      title={trans.__('best')}
                    >
                      {' ★'}
                    </span>
                  )}
                </td>
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
                    {runStatusLabel(status, trans)}
                  </span>
                  {row.error && status !== 'ok' && (
                    <div className="jp-EnvManager-runError">{row.error}</div>
                  )}
                </td>
                <td
                  className="jp-EnvManager-duration"
                  title={
                    typeof row.duration === 'number'
                      ? trans.__('%1 seconds', row.duration)
                      : undefined
                  }
                >
                  {formatDuration(row.duration, trans)}
                </td>
                <td>
                  {output && status !== 'pending' && status !== 'running' && (
                    <button
                      className="jp-EnvManager-linkButton"
                      title={output}
                      aria-label={trans.__(
                        'Open the output of run %1',
                        row.run
                      )}
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
    </div>
  );
}

/** Elapsed time and the estimate of what is left, ticking while it runs. */
function GridTiming(props: {
  grid: IGrid;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { grid, trans } = props;
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    if (!grid.active) {
      return;
    }
    const timer = window.setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => window.clearInterval(timer);
  }, [grid.active]);
  const { elapsed, left } = describeTiming(
    gridTiming(grid.results ?? [], grid.total, grid.active, now),
    grid.active,
    trans
  );
  if (elapsed === null) {
    return null;
  }
  return (
    <span className="jp-EnvManager-gridTiming">
      <span className="jp-EnvManager-gridElapsed">{elapsed}</span>
      {left !== null && <span className="jp-EnvManager-gridEta">{left}</span>}
    </span>
  );
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
  const counts = grid.counts ?? {};
  const failed = failedRuns(grid);
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
          aria-label={trans.__('Runs done')}
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
                {trans.__(
                  '%1 %2',
                  runStatusLabel(status as RunStatus, trans),
                  n
                )}
              </span>
            ))}
          <span className="jp-EnvManager-gridState">
            {gridStateLabel(grid.state, trans)}
          </span>
        </span>
        <GridTiming grid={grid} trans={trans} />
      </div>
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
        actions={actions}
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
                {trans.__('%1 · %2', gridProgress(grid, trans), grid.grid_id)}
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
