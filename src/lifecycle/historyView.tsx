/**
 * The History tab of an environment: every revision (conda's `rev N`, or the
 * venv's revision log) with what was asked and what changed, and "Roll back to
 * here", previewed in a dialog before anything changes.
 */
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { IEnvironment, IHistory, IRevision, ITask } from '../api';
import { PlanBody } from '../environments/planDialog';
import { IEnvManager } from '../tokens';

export class HistoryWidget extends ReactWidget {
  constructor(
    private readonly manager: IEnvManager,
    private readonly environment: IEnvironment
  ) {
    super();
    this.addClass('jp-EnvManager-history');
    this.title.label = manager.trans.__('History');
    manager.tasks.finished.connect(this._onFinished, this);
    void this.refresh();
  }

  dispose(): void {
    this.manager.tasks.finished.disconnect(this._onFinished, this);
    super.dispose();
  }

  async refresh(): Promise<void> {
    try {
      this._history = await this.manager.client.history(this.environment.name);
      this._error = null;
    } catch (error) {
      this._error = (error as Error).message;
    }
    this.update();
  }

  /** Preview, ask, then start the rollback. */
  async rollBack(revision: IRevision): Promise<void> {
    const { client, tasks, trans } = this.manager;
    const name = this.environment.name;
    let plan;
    try {
      plan = await client.rollbackPlan(name, revision.revision);
    } catch (error) {
      await showErrorMessage(trans.__('Cannot roll back'), error as Error);
      return;
    }
    if (!plan.changes.length) {
      await showDialog({
        title: trans.__(
          '%1 already holds revision %2',
          name,
          revision.revision
        ),
        buttons: [Dialog.okButton({ label: trans.__('OK') })]
      });
      return;
    }
    const answer = await showDialog({
      title: trans.__('Roll %1 back to revision %2?', name, revision.revision),
      body: new PlanBody(plan, trans),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Roll back') })
      ]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      tasks.track(await client.rollback(name, revision.revision));
    } catch (error) {
      await showErrorMessage(trans.__('Cannot roll back'), error as Error);
    }
  }

  protected render(): JSX.Element {
    const trans = this.manager.trans;
    if (this._error) {
      return <div className="jp-EnvManager-historyError">{this._error}</div>;
    }
    if (!this._history) {
      return <div>{trans.__('Loading history…')}</div>;
    }
    const revisions = [...this._history.revisions].reverse();
    const latest = this._history.revisions.length - 1;
    const readOnly = this._history.read_only;
    if (!revisions.length) {
      return <div>{trans.__('No recorded history.')}</div>;
    }
    return (
      <ol className="jp-EnvManager-revisions" reversed>
        {revisions.map(rev => (
          <li
            key={rev.revision}
            className="jp-EnvManager-revision"
            data-revision={rev.revision}
          >
            <div className="jp-EnvManager-revisionHeader">
              <span className="jp-EnvManager-revisionNumber">
                {trans.__('rev %1', rev.revision)}
              </span>
              <span className="jp-EnvManager-revisionTime">{rev.time}</span>
              <span className="jp-EnvManager-revisionRequest">
                {rev.request || trans.__('(not recorded)')}
              </span>
              {rev.revision !== latest && !readOnly && (
                <button
                  className="jp-mod-styled jp-EnvManager-rollBack"
                  aria-label={trans.__(
                    'Roll back to revision %1',
                    rev.revision
                  )}
                  onClick={() => void this.rollBack(rev)}
                >
                  {trans.__('Roll back to here')}
                </button>
              )}
            </div>
            <ul className="jp-EnvManager-revisionChanges">
              {rev.changes.map(change => (
                <li key={change.name} data-action={change.action}>
                  {change.action} {change.name}{' '}
                  {[change.old_version, change.new_version]
                    .filter(Boolean)
                    .join(' → ')}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ol>
    );
  }

  private _onFinished(_: unknown, task: ITask): void {
    if (task.environment === this.environment.name) {
      void this.refresh();
    }
  }

  private _history: IHistory | null = null;
  private _error: string | null = null;
}
