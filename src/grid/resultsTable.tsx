/**
 * A grid's results table: one row per run, sortable by any column, filtered
 * by what is typed (values and statuses), the best run marked, a failed run's
 * error under its status, and its output notebook a click away.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useState } from 'react';

import { IGrid } from '../api';
import { formatDuration } from '../common/format';
import { formatCell, outputNotebookPath, runStatusClass } from './cells';
import { GridsModel } from './model';
import { bestRuns } from './ranking';
import { runStatusLabel } from './summary';
import { filterRows, ISortOrder, sortRows } from './table';

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

export function ResultsTable(props: {
  model: GridsModel;
  grid: IGrid;
  metric: string | null;
  openNotebook: (path: string) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, grid, metric, openNotebook, trans } = props;
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
                    className={runStatusClass(status)}
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
                      onClick={() => openNotebook(output)}
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
