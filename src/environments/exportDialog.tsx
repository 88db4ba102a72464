/**
 * The body of the Export dialog: which format, and whether to save a copy
 * into the current folder too.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { EXPORT_FORMATS, ExportFormat } from '../api';

export interface IExportChoice {
  format: ExportFormat;
  saveToFolder: boolean;
}

export class ExportBody extends ReactWidget {
  constructor(
    private format: ExportFormat,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-EnvManager-exportDialog');
  }

  getValue(): IExportChoice {
    return { format: this.format, saveToFolder: this.saveToFolder };
  }

  protected render(): JSX.Element {
    const trans = this.trans;
    const labels: Record<ExportFormat, string> = {
      yml: trans.__('environment.yml (exact builds)'),
      'no-builds': trans.__('environment.yml (versions, no builds)'),
      'from-history': trans.__('environment.yml (only what was asked for)'),
      requirements: trans.__('requirements.txt'),
      lock: trans.__('lock file (URLs and hashes)')
    };
    return (
      <div className="jp-EnvManager-field">
        <label htmlFor="jem-export-format">{trans.__('Format')}</label>
        <select
          id="jem-export-format"
          className="jp-mod-styled"
          defaultValue={this.format}
          onChange={event => {
            this.format = event.target.value as ExportFormat;
          }}
        >
          {EXPORT_FORMATS.map(format => (
            <option key={format} value={format}>
              {labels[format]}
            </option>
          ))}
        </select>
        <label className="jp-EnvManager-check">
          <input
            type="checkbox"
            className="jp-EnvManager-saveToFolder"
            onChange={event => {
              this.saveToFolder = event.target.checked;
            }}
          />
          {trans.__('Also save it into the current folder')}
        </label>
      </div>
    );
  }

  private saveToFolder = false;
}
