/**
 * A main-area view of one environment's packages: a virtualized table (only
 * the rows in view are in the DOM), a filter, and install / update / remove,
 * each previewed before it runs.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget, UseSignal } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import { IPackage, IPackagesRequest, ITask } from '../api';
import { visibleRange } from '../common/listing';
import { TasksModel } from '../tasks/model';
import { TaskList } from '../tasks/taskList';
import { splitSpecs } from './names';
import { PackagesModel } from './packagesModel';

export const ROW_HEIGHT = 26;

export interface IPackagesActions {
  /** Preview the change, ask, then run it. */
  change(request: IPackagesRequest): void;
  cancelTask(task: ITask): void;
  dismissTask(task: ITask): void;
}

function PackageRow(props: {
  pkg: IPackage;
  index: number;
  top: number;
  trans: TranslationBundle;
  disabled: boolean;
  onUpdate: (pkg: IPackage) => void;
  onRemove: (pkg: IPackage) => void;
}): JSX.Element {
  const { pkg, trans } = props;
  return (
    <div
      className="jp-EnvManager-pkgRow"
      role="row"
      aria-rowindex={props.index + 2}
      data-package={pkg.name}
      style={{ top: props.top, height: ROW_HEIGHT }}
    >
      <span role="cell" className="jp-EnvManager-pkgName">
        {pkg.name}
      </span>
      <span role="cell" className="jp-EnvManager-pkgVersion">
        {pkg.version}
      </span>
      <span role="cell" className="jp-EnvManager-pkgBuild">
        {pkg.build ?? ''}
      </span>
      <span role="cell" className="jp-EnvManager-pkgSource">
        {pkg.source === 'pypi' ? 'pypi' : (pkg.channel ?? 'conda')}
      </span>
      <span role="cell" className="jp-EnvManager-pkgActions">
        <button
          className="jp-EnvManager-linkButton"
          disabled={props.disabled}
          onClick={() => props.onUpdate(pkg)}
          aria-label={trans.__('Update %1', pkg.name)}
        >
          {trans.__('Update')}
        </button>
        <button
          className="jp-EnvManager-linkButton jp-mod-danger"
          disabled={props.disabled}
          onClick={() => props.onRemove(pkg)}
          aria-label={trans.__('Remove %1', pkg.name)}
        >
          {trans.__('Remove')}
        </button>
      </span>
    </div>
  );
}

/** Renders only the rows in view: thousands of packages stay fast. */
function PackagesTable(props: {
  packages: readonly IPackage[];
  trans: TranslationBundle;
  disabled: boolean;
  onUpdate: (pkg: IPackage) => void;
  onRemove: (pkg: IPackage) => void;
}): JSX.Element {
  const { packages, trans } = props;
  const [scroll, setScroll] = useState({ top: 0, height: 600 });
  const { start, end } = visibleRange(
    scroll.top,
    scroll.height,
    ROW_HEIGHT,
    packages.length
  );
  const rows = [];
  for (let i = start; i < end; i++) {
    rows.push(
      <PackageRow
        key={packages[i].source + ':' + packages[i].name}
        pkg={packages[i]}
        index={i}
        top={i * ROW_HEIGHT}
        trans={trans}
        disabled={props.disabled}
        onUpdate={props.onUpdate}
        onRemove={props.onRemove}
      />
    );
  }
  return (
    <div
      className="jp-EnvManager-pkgTable"
      role="table"
      aria-label={trans.__('Installed packages')}
      aria-rowcount={packages.length + 1}
    >
      <div className="jp-EnvManager-pkgHead" role="row" aria-rowindex={1}>
        <span role="columnheader">{trans.__('Name')}</span>
        <span role="columnheader">{trans.__('Version')}</span>
        <span role="columnheader">{trans.__('Build')}</span>
        <span role="columnheader">{trans.__('Source')}</span>
        <span role="columnheader">{trans.__('Actions')}</span>
      </div>
      <div
        className="jp-EnvManager-pkgViewport"
        role="rowgroup"
        tabIndex={0}
        ref={node => {
          if (
            node &&
            node.clientHeight &&
            node.clientHeight !== scroll.height
          ) {
            setScroll({ top: node.scrollTop, height: node.clientHeight });
          }
        }}
        onScroll={event => {
          const node = event.currentTarget;
          setScroll({ top: node.scrollTop, height: node.clientHeight });
        }}
      >
        <div
          className="jp-EnvManager-pkgSpacer"
          style={{ height: packages.length * ROW_HEIGHT }}
          role="none"
        >
          {rows}
        </div>
      </div>
    </div>
  );
}

function PackagesPanel(props: {
  model: PackagesModel;
  tasks: TasksModel;
  actions: IPackagesActions;
  trans: TranslationBundle;
}): JSX.Element {
  const { model, trans, actions } = props;
  const [toInstall, setToInstall] = useState('');
  const [pypi, setPypi] = useState(false);
  const install = () => {
    const specs = splitSpecs(toInstall);
    if (!specs.length || model.gone) {
      return;
    }
    actions.change(model.installRequest(specs, pypi));
    setToInstall('');
  };
  const tasks = props.tasks.forEnvironment(model.environment);
  const gone = model.gone;
  return (
    <div className="jp-EnvManager-packages" data-gone={gone}>
      {gone && (
        <div className="jp-EnvManager-gone" role="status">
          {trans.__(
            '%1 was removed: this list shows what it held, nothing here can change it.',
            model.environment
          )}
        </div>
      )}
      <div className="jp-EnvManager-pkgToolbar">
        <input
          type="search"
          className="jp-mod-styled jp-EnvManager-pkgFilter"
          placeholder={trans.__('Filter packages')}
          aria-label={trans.__('Filter packages')}
          value={model.filter}
          onChange={event => {
            model.filter = event.target.value;
          }}
        />
        <span className="jp-EnvManager-pkgCount" aria-live="polite">
          {trans.__(
            '%1 of %2 packages',
            model.filtered.length,
            model.packages.length
          )}
        </span>
        <form
          className="jp-EnvManager-installForm"
          onSubmit={event => {
            event.preventDefault();
            install();
          }}
        >
          <input
            className="jp-mod-styled jp-EnvManager-installInput"
            placeholder={trans.__('Packages to install')}
            aria-label={trans.__('Packages to install')}
            value={toInstall}
            disabled={gone}
            onChange={event => setToInstall(event.target.value)}
          />
          {model.kind === 'conda' && (
            <label className="jp-EnvManager-check">
              <input
                type="checkbox"
                disabled={gone}
                checked={pypi}
                onChange={event => setPypi(event.target.checked)}
              />
              {trans.__('from PyPI')}
            </label>
          )}
          <button
            type="submit"
            className="jp-mod-styled jp-mod-accept"
            disabled={gone}
          >
            {trans.__('Install…')}
          </button>
          <button
            type="button"
            className="jp-mod-styled"
            disabled={gone}
            onClick={() => actions.change({ action: 'update', all: true })}
          >
            {trans.__('Update all…')}
          </button>
        </form>
      </div>
      <TaskList
        tasks={tasks}
        trans={trans}
        onCancel={actions.cancelTask}
        onDismiss={actions.dismissTask}
      />
      {model.status === 'loading' && model.packages.length === 0 && (
        <p className="jp-EnvManager-status">{trans.__('Loading…')}</p>
      )}
      {model.status === 'failed' && (
        <p className="jp-EnvManager-error" role="alert">
          {model.error}
        </p>
      )}
      <PackagesTable
        packages={model.filtered}
        trans={trans}
        disabled={gone}
        onUpdate={pkg =>
          actions.change({ action: 'update', packages: [pkg.name] })
        }
        onRemove={pkg =>
          actions.change({ action: 'remove', packages: [pkg.name] })
        }
      />
    </div>
  );
}

/** The "Packages" tab of an environment's view. */
export class PackagesContent extends ReactWidget {
  constructor(
    readonly model: PackagesModel,
    private readonly tasks: TasksModel,
    private readonly actions: IPackagesActions,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-EnvManager-packagesContent');
  }

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.changed}>
        {() => (
          <UseSignal signal={this.tasks.changed}>
            {() => (
              <PackagesPanel
                model={this.model}
                tasks={this.tasks}
                actions={this.actions}
                trans={this.trans}
              />
            )}
          </UseSignal>
        )}
      </UseSignal>
    );
  }
}
