/**
 * The "Grid searches" section of the Environments sidebar: the newest grids
 * with their state, and the way to start a new one.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import React from 'react';

import { IGrid } from '../api';
import { GridsModel } from './model';
import { gridProgress, notebookName, recentGrids } from './summary';

/** How many grids the section lists; the grid view lists them all. */
export const RECENT_GRIDS = 5;

export interface IGridSectionActions {
  newGridSearch(): void;
  openGrid(grid: IGrid): void;
}

function GridSection(props: {
  grids: GridsModel;
  actions: IGridSectionActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { grids, actions, trans } = props;
  const shown = recentGrids(grids.grids, RECENT_GRIDS);
  return (
    <section
      className="jp-EnvManager-panelBody"
      aria-labelledby="jem-grids-heading"
    >
      <header className="jp-EnvManager-header">
        <h2 id="jem-grids-heading">{trans.__('Grid searches')}</h2>
      </header>
      {grids.status === 'failed' && (
        <p className="jp-EnvManager-error" role="alert">
          {grids.error}
        </p>
      )}
      {shown.length === 0 && grids.status === 'ready' && (
        <p className="jp-EnvManager-status">
          {trans.__('No grid searches yet.')}
        </p>
      )}
      <ul
        className="jp-EnvManager-recentGrids"
        aria-label={trans.__('Recent grid searches')}
      >
        {shown.map(grid => (
          <li key={grid.grid_id} data-grid-id={grid.grid_id}>
            <button
              className="jp-EnvManager-recentGrid"
              data-state={grid.state}
              onClick={() => actions.openGrid(grid)}
              title={grid.notebook}
              aria-label={trans.__(
                'Grid search of %1: %2',
                notebookName(grid.notebook),
                gridProgress(grid, trans)
              )}
            >
              <span className="jp-EnvManager-recentGridName">
                {notebookName(grid.notebook)}
              </span>
              <span className="jp-EnvManager-recentGridState">
                {gridProgress(grid, trans)}
              </span>
            </button>
          </li>
        ))}
      </ul>
      <button
        className="jp-mod-styled jp-EnvManager-newGridButton"
        onClick={() => actions.newGridSearch()}
      >
        {trans.__('New grid search…')}
      </button>
    </section>
  );
}

export class GridSidebarSection extends ReactWidget {
  constructor(
    private readonly grids: GridsModel,
    private readonly actions: IGridSectionActions,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-EnvManager-gridSection');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.grids.changed}>
        {() => (
          <GridSection
            grids={this.grids}
            actions={this.actions}
            trans={this.trans}
          />
        )}
      </UseSignal>
    );
  }
}
