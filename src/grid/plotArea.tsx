/**
 * The plot above a grid's results, and the choices over it: which kind,
 * which parameter along x, one line per value of which parameter, log x.
 */
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useState } from 'react';

import { IGrid } from '../api';
import { buildPlotSpec, IPlotChoice, PlotKind, resolvePlot } from './plotSpec';
import { canRenderVegaLite, VegaLitePlot } from './vegaPlot';

function kindLabel(kind: PlotKind, trans: TranslationBundle): string {
  switch (kind) {
    case 'line':
      return trans.__('Lines');
    case 'heatmap':
      return trans.__('Heatmap');
    case 'parallel':
      return trans.__('Parallel coordinates');
  }
}

export function GridPlotArea(props: {
  grid: IGrid;
  metric: string;
  rendermime: IRenderMimeRegistry | null;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { grid, metric, rendermime, trans } = props;
  const [choice, setChoice] = useState<IPlotChoice>({});
  const rows = grid.results ?? [];
  const plot = resolvePlot(rows, grid.swept, metric, choice);
  if (!plot) {
    return null;
  }
  const pick = (change: IPlotChoice) => setChoice({ ...choice, ...change });
  const spec = buildPlotSpec(plot, trans);
  const others = grid.swept.filter(name => name !== plot.x);
  return (
    <div className="jp-EnvManager-gridPlotArea">
      <div className="jp-EnvManager-gridPlotControls">
        {plot.kinds.length > 1 && (
          <label>
            {trans.__('Plot')}{' '}
            <select
              className="jp-mod-styled jp-EnvManager-plotKind"
              value={plot.kind}
              onChange={event => pick({ kind: event.target.value as PlotKind })}
            >
              {plot.kinds.map(kind => (
                <option key={kind} value={kind}>
                  {kindLabel(kind, trans)}
                </option>
              ))}
            </select>
          </label>
        )}
        {plot.kind !== 'parallel' && (
          <label>
            {trans.__('x axis')}{' '}
            <select
              className="jp-mod-styled"
              aria-label={trans.__('Parameter on the x axis')}
              value={plot.x}
              onChange={event => pick({ x: event.target.value })}
            >
              {grid.swept.map(name => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        )}
        {plot.kind === 'heatmap' && (
          <label>
            {trans.__('y axis')}{' '}
            <select
              className="jp-mod-styled"
              aria-label={trans.__('Parameter on the y axis')}
              value={plot.series ?? ''}
              onChange={event => pick({ series: event.target.value })}
            >
              {others.map(name => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        )}
        {plot.kind === 'line' && others.length > 0 && (
          <label>
            {trans.__('one line per')}{' '}
            <select
              className="jp-mod-styled"
              aria-label={trans.__('One line per value of')}
              value={plot.series ?? ''}
              onChange={event => pick({ series: event.target.value || null })}
            >
              <option value="">{trans.__('none')}</option>
              {others.map(name => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        )}
        {plot.logPossible && (
          <label
            title={
              plot.logSuggested
                ? trans.__('The values look log-spaced')
                : undefined
            }
          >
            <input
              type="checkbox"
              className="jp-EnvManager-logX"
              checked={plot.logX}
              onChange={event => pick({ logX: event.target.checked })}
            />{' '}
            {trans.__('Log x axis')}
          </label>
        )}
      </div>
      {!canRenderVegaLite(rendermime) ? (
        <div className="jp-EnvManager-empty">
          {trans.__(
            'This JupyterLab has no Vega-Lite renderer (its vega5 extension is disabled): the results table holds the values.'
          )}
        </div>
      ) : spec === null ? (
        <div className="jp-EnvManager-empty">
          {trans.__(
            'The plot appears when runs finish with a value of %1.',
            metric
          )}
        </div>
      ) : (
        <VegaLitePlot
          spec={spec}
          rendermime={rendermime!}
          label={trans.__('%1 of %2', kindLabel(plot.kind, trans), metric)}
        />
      )}
    </div>
  );
}
