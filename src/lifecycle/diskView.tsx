/**
 * The Disk section of the Environments sidebar: each environment's size and the
 * part it shares with others by hard link, the package caches and what a
 * clean-up frees; "Clean up…" previews what goes before anything is removed.
 */
import { Dialog, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { ICleanResult, IDiskReport, ITask } from '../api';
import { formatSize } from '../common/format';
import { IEnvManager } from '../tokens';

/** The task list names a clean-up after what it works on (server side too). */
const CLEAN_SUBJECT = 'package caches';

/** Sizes in the disk report: one the server did not measure counts as none. */
function sizeOrZero(
  bytes: number | null | undefined,
  trans: TranslationBundle
): string {
  return formatSize(bytes ?? 0, trans);
}

class CleanPreview extends ReactWidget {
  constructor(
    private readonly plan: ICleanResult,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-EnvManager-cleanPreview');
  }

  protected render(): JSX.Element {
    const trans = this.trans;
    const caches = this.plan.caches.filter(c => c.items.length || c.estimate);
    return (
      <div>
        <p>
          {trans.__(
            'Frees %1. Packages an environment links to are kept.',
            sizeOrZero(this.plan.reclaimable_bytes, trans)
          )}
        </p>
        {caches.map(cache => (
          <div key={cache.path} data-cache={cache.kind}>
            <strong>{cache.kind}</strong> {cache.path}:{' '}
            {cache.estimate ? trans.__('up to ') : ''}
            {sizeOrZero(cache.reclaimable_bytes, trans)}
            <ul className="jp-EnvManager-cleanItems">
              {cache.items.map(item => (
                <li key={item.path} data-what={item.what}>
                  {item.what} {item.path.split('/').pop()} (
                  {sizeOrZero(item.bytes, trans)})
                </li>
              ))}
            </ul>
          </div>
        ))}
      </div>
    );
  }
}

export class DiskSection extends ReactWidget {
  constructor(private readonly manager: IEnvManager) {
    super();
    this.addClass('jp-EnvManager-disk');
    manager.tasks.finished.connect(this._onFinished, this);
  }

  dispose(): void {
    this.manager.tasks.finished.disconnect(this._onFinished, this);
    super.dispose();
  }

  async refresh(): Promise<void> {
    this._loading = true;
    this.update();
    try {
      this._report = await this.manager.client.disk();
      this._error = null;
    } catch (error) {
      this._error = (error as Error).message;
    }
    this._loading = false;
    this.update();
  }

  async cleanUp(): Promise<void> {
    const { client, tasks, trans } = this.manager;
    let plan: ICleanResult;
    try {
      plan = await client.cleanPlan();
    } catch (error) {
      await showErrorMessage(trans.__('Cannot clean up'), error as Error);
      return;
    }
    if (!plan.reclaimable_bytes) {
      await showDialog({
        title: trans.__('Nothing to clean up'),
        buttons: [Dialog.okButton({ label: trans.__('OK') })]
      });
      return;
    }
    const answer = await showDialog({
      title: trans.__('Clean up the package caches?'),
      body: new CleanPreview(plan, trans),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Clean up') })
      ]
    });
    if (!answer.button.accept) {
      return;
    }
    try {
      tasks.track(await client.clean());
    } catch (error) {
      await showErrorMessage(trans.__('Cannot clean up'), error as Error);
    }
  }

  protected render(): JSX.Element {
    const trans = this.manager.trans;
    const report = this._report;
    return (
      <section aria-label={trans.__('Disk use')}>
        <div className="jp-EnvManager-diskHeader">
          <h3>{trans.__('Disk')}</h3>
          <button
            className="jp-mod-styled"
            disabled={this._loading}
            onClick={() => void this.refresh()}
          >
            {report ? trans.__('Refresh disk use') : trans.__('Show disk use')}
          </button>
          <button className="jp-mod-styled" onClick={() => void this.cleanUp()}>
            {trans.__('Clean up…')}
          </button>
        </div>
        {this._error && (
          <div className="jp-EnvManager-diskError">{this._error}</div>
        )}
        {this._freed !== null && (
          <div className="jp-EnvManager-diskFreed">
            {trans.__('Freed %1', sizeOrZero(this._freed, trans))}
          </div>
        )}
        {report && (
          <>
            <table className="jp-EnvManager-diskTable">
              <thead>
                <tr>
                  <th>{trans.__('Environment')}</th>
                  <th>{trans.__('Size')}</th>
                  <th>{trans.__('Shared')}</th>
                </tr>
              </thead>
              <tbody>
                {report.environments.map(env => (
                  <tr key={env.prefix} data-env-name={env.name}>
                    <td title={env.prefix}>{env.name}</td>
                    <td>{sizeOrZero(env.size_bytes, trans)}</td>
                    <td>{sizeOrZero(env.shared_bytes, trans)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="jp-EnvManager-diskTotal">
              {trans.__(
                'All environments: %1 (each shared file counted once)',
                sizeOrZero(report.total_bytes, trans)
              )}
            </p>
            <ul className="jp-EnvManager-caches">
              {report.caches.map(cache => (
                <li key={cache.path} data-cache={cache.kind} title={cache.path}>
                  {trans.__(
                    '%1 cache: %2, a clean-up frees %3%4',
                    cache.kind,
                    sizeOrZero(cache.size_bytes, trans),
                    cache.estimate ? trans.__('up to ') : '',
                    sizeOrZero(cache.reclaimable_bytes, trans)
                  )}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
    );
  }

  private _onFinished(_: unknown, task: ITask): void {
    if (task.operation === 'clean' && task.environment === CLEAN_SUBJECT) {
      const result = task.result as ICleanResult | undefined;
      this._freed = result?.freed_bytes ?? null;
      void this.refresh();
    }
  }

  private _report: IDiskReport | null = null;
  private _error: string | null = null;
  private _loading = false;
  private _freed: number | null = null;
}
