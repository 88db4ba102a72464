/**
 * The left sidebar "Environments": server version and engines, running
 * operations, and every environment with its actions (a row each:
 * environmentItem.tsx), then the sections other features add. Presentational
 * only: state lives in the models, actions in `EnvironmentActions`.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import {
  addIcon,
  refreshIcon,
  ReactWidget,
  UseSignal
} from '@jupyterlab/ui-components';
import { Panel } from '@lumino/widgets';
import React from 'react';

import { environmentsIcon } from '../common/icons';
import { rankIndex } from '../common/rank';
import { KernelSpecsModel } from '../kernels/model';
import { TasksModel } from '../tasks/model';
import { TaskList } from '../tasks/taskList';
import { ISidebarSection } from '../tokens';
import { EnvironmentItem, IEnvironmentActions } from './environmentItem';
import { EnvironmentRows } from './environmentRows';
import { EnvironmentsModel } from './model';
import { EnginesList, KernelsNotice } from './serverInfo';

function EnvironmentsPanel(props: {
  environments: EnvironmentsModel;
  tasks: TasksModel;
  kernels: KernelSpecsModel;
  trans: TranslationBundle;
  actions: IEnvironmentActions;
}): JSX.Element {
  const { environments: model, tasks, kernels, trans, actions } = props;
  const kernelsInfo = model.info?.kernels;
  const busy = tasks.busyEnvironments;
  const shown = model.filtered;
  return (
    <div className="jp-EnvManager-panelBody">
      <header className="jp-EnvManager-header">
        <h2>{trans.__('Environments')}</h2>
        <div className="jp-EnvManager-headerButtons">
          <button
            className="jp-EnvManager-iconButton jp-EnvManager-new"
            onClick={() => actions.newEnvironment()}
            aria-label={trans.__('New environment')}
            title={trans.__('New environment')}
          >
            <addIcon.react tag="span" />
          </button>
          <button
            className="jp-EnvManager-iconButton"
            onClick={() => actions.refresh()}
            aria-label={trans.__('Refresh environments')}
            title={trans.__('Refresh environments')}
          >
            <refreshIcon.react tag="span" />
          </button>
        </div>
      </header>
      {model.status === 'loading' && (
        <p className="jp-EnvManager-status">{trans.__('Loading…')}</p>
      )}
      {model.status === 'failed' && (
        <p className="jp-EnvManager-error" role="alert">
          {model.error}
        </p>
      )}
      {model.info && (
        <p className="jp-EnvManager-version">
          {trans.__('jupyter-env-manager %1', model.info.version)}
        </p>
      )}
      {model.info && <EnginesList info={model.info} trans={trans} />}
      <KernelsNotice kernels={kernelsInfo} trans={trans} />
      <TaskList
        tasks={tasks.tasks}
        trans={trans}
        onCancel={task => actions.cancelTask(task)}
        onDismiss={task => actions.dismissTask(task)}
      />
      <input
        className="jp-EnvManager-filter jp-mod-styled"
        type="search"
        placeholder={trans.__('Filter environments')}
        aria-label={trans.__('Filter environments')}
        value={model.filter}
        onChange={event => {
          model.filter = event.target.value;
        }}
      />
      {model.status === 'ready' &&
        (shown.length === 0 ? (
          <p className="jp-EnvManager-empty">
            {model.environments.length === 0
              ? trans.__('No environments yet.')
              : trans.__('No environment matches the filter.')}
          </p>
        ) : (
          <EnvironmentRows
            envs={shown}
            trans={trans}
            row={(env, index, layout) => (
              <EnvironmentItem
                key={env.prefix}
                env={env}
                index={index}
                count={shown.length}
                focused={layout.focused}
                top={layout.top}
                onFocus={layout.onFocus}
                busy={busy.has(env.name)}
                kernelState={kernels.state(env)}
                kernels={kernelsInfo}
                trans={trans}
                actions={actions}
              />
            )}
          />
        ))}
    </div>
  );
}

/** The environments list: the first section of the Environments sidebar. */
export class EnvironmentsList extends ReactWidget {
  constructor(
    private readonly environments: EnvironmentsModel,
    private readonly tasks: TasksModel,
    private readonly kernels: KernelSpecsModel,
    private readonly actions: IEnvironmentActions,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-EnvManager-panel');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.environments.changed}>
        {() => (
          <UseSignal signal={this.tasks.changed}>
            {() => (
              <UseSignal signal={this.kernels.changed}>
                {() => (
                  <EnvironmentsPanel
                    environments={this.environments}
                    tasks={this.tasks}
                    kernels={this.kernels}
                    trans={this.trans}
                    actions={this.actions}
                  />
                )}
              </UseSignal>
            )}
          </UseSignal>
        )}
      </UseSignal>
    );
  }
}

/**
 * The left sidebar's "Environments" panel: the environments list first, then
 * the sections other features add (grid searches, ...), ordered by rank.
 */
export class EnvironmentsSidebar extends Panel {
  constructor(
    environments: EnvironmentsModel,
    tasks: TasksModel,
    kernels: KernelSpecsModel,
    actions: IEnvironmentActions,
    trans: TranslationBundle
  ) {
    super();
    this.id = 'jp-env-manager-sidebar';
    this.addClass('jp-EnvManager-sidebar');
    this.title.icon = environmentsIcon;
    this.title.caption = trans.__('Environments');
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', trans.__('Environments'));
    this.addSection({
      widget: new EnvironmentsList(
        environments,
        tasks,
        kernels,
        actions,
        trans
      ),
      rank: 0
    });
  }

  addSection(section: ISidebarSection): void {
    const index = rankIndex(this._sections, section.rank);
    this._sections.splice(index, 0, section);
    this.insertWidget(index, section.widget);
  }

  private _sections: ISidebarSection[] = [];
}
