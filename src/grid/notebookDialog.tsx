/**
 * Asks which notebook to grid-search: a path relative to the server root,
 * prefilled with the file browser's selection. The server checks it (POST
 * grids/inspect); a refusal comes back here with its reason.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import React from 'react';

import { askWithForm, IGatedBody } from '../common/gatedDialog';
import { IFormAnswer, IRefusedForm } from '../common/resubmit';
import { TextField } from '../common/textField';
import { notebookPathError } from './summary';

export class NotebookPathBody
  extends ReactWidget
  implements IGatedBody<IFormAnswer<string, string>>
{
  constructor(
    private path: string,
    private readonly trans: TranslationBundle,
    private serverError: string | null = null
  ) {
    super();
    this.addClass('jp-EnvManager-notebookDialog');
  }

  get formChanged(): ISignal<this, void> {
    return this._formChanged;
  }

  blocker(): string | null {
    return notebookPathError(this.path, this.trans);
  }

  readyToAccept(): boolean {
    return this.blocker() === null;
  }

  getValue(): IFormAnswer<string, string> {
    const path = this.path.trim();
    return { form: path, request: path };
  }

  protected render(): JSX.Element {
    const trans = this.trans;
    const problem = this.serverError ?? (this.path ? this.blocker() : null);
    return (
      <TextField
        id="jem-grid-notebook"
        label={trans.__('Notebook (path from the server root)')}
        value={this.path}
        error={problem}
        placeholder="analysis/sweep.ipynb"
        onChange={value => {
          this.path = value;
          this.serverError = null;
          this._formChanged.emit();
          this.update();
        }}
      />
    );
  }

  private _formChanged = new Signal<this, void>(this);
}

export function askNotebookPath(
  initial: string,
  trans: TranslationBundle,
  refused: IRefusedForm<string> | null
): Promise<IFormAnswer<string, string> | null> {
  return askWithForm(
    new NotebookPathBody(
      refused?.form ?? initial,
      trans,
      refused?.error ?? null
    ),
    {
      title: trans.__('New grid search'),
      acceptLabel: trans.__('Next'),
      focusNodeSelector: '#jem-grid-notebook',
      className: 'jp-EnvManager-notebookPathDialog'
    },
    trans
  );
}
