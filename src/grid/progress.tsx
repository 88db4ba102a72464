/**
 * A grid's live progress: a bar of runs done, the count per run status, the
 * grid's state, the time elapsed and an estimate of the time left.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React, { useEffect, useState } from 'react';

import { IGrid, RunStatus } from '../api';
import { runStatusClass } from './cells';
import { gridStateLabel, runStatusLabel } from './summary';
import { describeTiming, gridTiming } from './timing';

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

export function GridProgress(props: {
  grid: IGrid;
  trans: TranslationBundle;
}): JSX.Element {
  const { grid, trans } = props;
  const counts = grid.counts ?? {};
  const fraction = grid.total ? grid.done / grid.total : 0;
  return (
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
            <span key={status} className={runStatusClass(status)}>
              {trans.__('%1 %2', runStatusLabel(status as RunStatus, trans), n)}
            </span>
          ))}
        <span className="jp-EnvManager-gridState">
          {gridStateLabel(grid.state, trans)}
        </span>
      </span>
      <GridTiming grid={grid} trans={trans} />
    </div>
  );
}
