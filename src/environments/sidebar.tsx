/**
 * The left sidebar "Environments": server version and engines, running
 * operations, and every environment with its actions. Presentational only:
 * state lives in the models, actions in `EnvironmentActions`.
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

import { IEnvironment, IKernelsInfo, IServerInfo, ITask } from '../api';
import { formatAge, formatSize } from '../common/format';
import { environmentsIcon } from '../common/icons';
import { rankIndex } from '../common/rank';
import { KernelSpecsModel } from '../kernels/model';
import { KernelState } from '../kernels/specs';
import { TasksModel } from '../tasks/model';
import { TaskList } from '../tasks/taskList';
import { ISidebarSection } from '../tokens';
import { EnvironmentRows } from './environmentRows';
import { EnvironmentsModel } from './model';

/** What the user can do from the sidebar. */
export interface IEnvironmentActions {
  newEnvironment(): void;
  refresh(): void;
  openPackages(env: IEnvironment): void;
  newNotebook(env: IEnvironment): void;
  clone(env: IEnvironment): void;
  exportEnvironment(env: IEnvironment): void;
  remove(env: IEnvironment): void;
  addKernel(env: IEnvironment): void;
  removeKernel(env: IEnvironment): void;
  cancelTask(task: ITask): void;
  dismissTask(task: ITask): void;
}

function EnginesList(props: {
  info: IServerInfo;
  trans: TranslationBundle;
}): JSX.Element {
  const { info, trans } = props;
  return (
    <ul className="jp-EnvManager-engines" aria-label={trans.__('Engines')}>
      {info.engines.map(engine => {
        // The conda in use: where it is and which solver it runs, on hover.
        const conda = engine.name === 'conda' ? info.conda : null;
        return (
          <li
            key={engine.name}
            className="jp-EnvManager-engine"
            data-engine={engine.name}
            data-available={engine.available}
            title={
              conda
                ? trans.__(
                    '%1 (solver: %2; base: %3)',
                    conda.path,
                    conda.solver ?? trans.__('unknown'),
                    conda.root_prefix ?? trans.__('unknown')
                  )
                : (engine.path ?? undefined)
            }
          >
            <span className="jp-EnvManager-engineName">{engine.name}</span>
            <span className="jp-EnvManager-engineVersion">
              {engine.available
                ? (engine.version ?? trans.__('unknown version'))
                : trans.__('not found')}
              {conda?.solver && (
                <span className="jp-EnvManager-engineSolver">
                  {' · '}
                  {trans.__('%1 solver', conda.solver)}
                </span>
              )}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function ActionButton(props: {
  label: string;
  text: string;
  onClick: () => void;
  danger?: boolean;
}): JSX.Element {
  return (
    <button
      className={
        'jp-EnvManager-action' + (props.danger ? ' jp-mod-danger' : '')
      }
      aria-label={props.label}
      title={props.label}
      onClick={props.onClick}
    >
      {props.text}
    </button>
  );
}

/** The kernel badge: what the server can launch, not what is installed. */
function KernelBadge(props: {
  state: KernelState;
  kernels: IKernelsInfo | undefined;
  trans: TranslationBundle;
}): JSX.Element {
  const { state, trans } = props;
  const text =
    state === 'kernel'
      ? trans.__('kernel')
      : state === 'unlisted'
        ? trans.__('ipykernel, no kernel here')
        : trans.__('no kernel');
  const title =
    state === 'kernel'
      ? trans.__('The server lists a kernel for this environment')
      : state === 'unlisted'
        ? (props.kernels?.message ??
          trans.__(
            'ipykernel is installed, but the server lists no kernel for this environment'
          ))
        : trans.__('ipykernel is not installed');
  return (
    <span
      className="jp-EnvManager-kernelStatus"
      data-kernel={state === 'kernel'}
      data-kernel-state={state}
      title={title}
    >
      {text}
    </span>
  );
}

/**
 * Said once, above the list, when environment kernels do not come from the
 * extension's own kernel spec manager.
 */
function KernelsNotice(props: {
  kernels: IKernelsInfo | undefined;
  trans: TranslationBundle;
}): JSX.Element | null {
  const [dismissed, setDismissed] = React.useState(false);
  const { kernels, trans } = props;
  if (
    dismissed ||
    !kernels ||
    kernels.env_kernels === 'spec-manager' ||
    !kernels.message
  ) {
    return null;
  }
  return (
    <div
      className="jp-EnvManager-notice"
      role="note"
      data-env-kernels={kernels.env_kernels}
    >
      <span className="jp-EnvManager-noticeText">{kernels.message}</span>
      <button
        className="jp-EnvManager-linkButton"
        onClick={() => setDismissed(true)}
        aria-label={trans.__('Dismiss the note about kernels')}
      >
        {trans.__('Dismiss')}
      </button>
    </div>
  );
}

function EnvironmentItem(props: {
  env: IEnvironment;
  index: number;
  count: number;
  /** The row that takes the Tab focus (roving tabindex). */
  focused: boolean;
  /** Its offset in a virtualised list; null in a plain one. */
  top: number | null;
  onFocus: () => void;
  busy: boolean;
  kernelState: KernelState;
  kernels: IKernelsInfo | undefined;
  trans: TranslationBundle;
  actions: IEnvironmentActions;
}): JSX.Element {
  const { env, trans, actions, kernelState } = props;
  const launchable = kernelState === 'kernel';
  const name = env.name;
  const size = formatSize(env.size_bytes, trans);
  const changed = formatAge(env.modified, Date.now() / 1000, trans);
  return (
    <li
      className="jp-EnvManager-env"
      data-env-name={name}
      data-busy={props.busy}
      data-index={props.index}
      aria-label={trans.__('Environment %1', name)}
      aria-posinset={props.index + 1}
      aria-setsize={props.count}
      tabIndex={props.focused ? 0 : -1}
      style={props.top === null ? undefined : { top: props.top }}
      onFocus={props.onFocus}
    >
      <div className="jp-EnvManager-envHeader">
        <span className="jp-EnvManager-envName" title={env.prefix}>
          {name}
        </span>
        <span
          className="jp-EnvManager-badge"
          data-engine={env.engine}
          title={trans.__('Managed by %1', env.engine)}
        >
          {env.engine}
        </span>
        {env.read_only && (
          <span
            className="jp-EnvManager-badge jp-EnvManager-readOnly"
            title={env.read_only_reason ?? ''}
          >
            {trans.__('read-only')}
          </span>
        )}
        {env.needs_repair && (
          <span
            className="jp-EnvManager-badge jp-EnvManager-needsRepair"
            title={trans.__(
              'A change to it was cut short; its next operation (or the next server start) puts its packages back as they were.'
            )}
          >
            {trans.__('change cut short')}
          </span>
        )}
      </div>
      <div className="jp-EnvManager-envMeta">
        <span className="jp-EnvManager-python">
          {env.python_version
            ? trans.__('Python %1', env.python_version)
            : trans.__('no Python')}
        </span>
        <KernelBadge
          state={kernelState}
          kernels={props.kernels}
          trans={trans}
        />
        {size && <span className="jp-EnvManager-size">{size}</span>}
        {changed && (
          <span
            className="jp-EnvManager-changed"
            title={new Date((env.modified ?? 0) * 1000).toLocaleString()}
          >
            {trans.__('changed %1', changed)}
          </span>
        )}
      </div>
      <div
        className="jp-EnvManager-envActions"
        role="group"
        aria-label={trans.__('Actions for %1', name)}
      >
        <ActionButton
          text={trans.__('Packages')}
          label={trans.__('Show packages of %1', name)}
          onClick={() => actions.openPackages(env)}
        />
        {launchable && (
          <ActionButton
            text={trans.__('Notebook')}
            label={trans.__('New notebook in %1', name)}
            onClick={() => actions.newNotebook(env)}
          />
        )}
        <ActionButton
          text={trans.__('Clone')}
          label={trans.__('Clone %1', name)}
          onClick={() => actions.clone(env)}
        />
        <ActionButton
          text={trans.__('Export')}
          label={trans.__('Export %1', name)}
          onClick={() => actions.exportEnvironment(env)}
        />
        {launchable ? (
          <ActionButton
            text={trans.__('Remove kernel')}
            label={trans.__('Remove the kernel of %1', name)}
            onClick={() => actions.removeKernel(env)}
          />
        ) : (
          <ActionButton
            text={trans.__('Add kernel')}
            label={trans.__('Make %1 a kernel', name)}
            onClick={() => actions.addKernel(env)}
          />
        )}
        {!env.is_base && (
          <ActionButton
            text={trans.__('Remove')}
            label={trans.__('Remove %1', name)}
            onClick={() => actions.remove(env)}
            danger
          />
        )}
      </div>
    </li>
  );
}

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
