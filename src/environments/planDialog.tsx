/**
 * The body of the dialog that asks before a package change: what the solver
 * plans to install, update, downgrade or remove.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { IChangePlan } from '../api';

export class PlanBody extends ReactWidget {
  constructor(
    private readonly plan: IChangePlan,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-EnvManager-plan');
  }

  protected render(): JSX.Element {
    const trans = this.trans;
    return (
      <table className="jp-EnvManager-planTable">
        <thead>
          <tr>
            <th>{trans.__('Package')}</th>
            <th>{trans.__('Change')}</th>
            <th>{trans.__('From')}</th>
            <th>{trans.__('To')}</th>
          </tr>
        </thead>
        <tbody>
          {this.plan.changes.map(change => (
            <tr key={change.source + change.name} data-action={change.action}>
              <td>{change.name}</td>
              <td>{change.action}</td>
              <td>{change.old_version ?? ''}</td>
              <td>{change.new_version ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
}
