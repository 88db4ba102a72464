/**
 * One row of the environments list: name and badges, Python, kernel state,
 * size and last change, and the buttons of what can be done with it.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { IEnvironment, IKernelsInfo, ITask } from '../api';
import { formatAge, formatSize } from '../common/format';
import { KernelState } from '../kernels/specs';

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

export function EnvironmentItem(props: {
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
