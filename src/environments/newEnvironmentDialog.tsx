/**
 * The New-environment dialog: a name checked while typing, engine, Python,
 * packages with server-side autocompletion, channels; or a spec file uploaded
 * or picked from the workspace.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { ISignal, Signal } from '@lumino/signaling';
import React, { useRef } from 'react';

import { CREATE_ENGINES, CreateEngine, ICreateRequest } from '../api';
import { FieldError } from '../common/fieldError';
import { askWithForm, IGatedBody } from '../common/gatedDialog';
import { IFormAnswer } from '../common/resubmit';
import { TextField } from '../common/textField';
import {
  buildCreateRequest,
  firstError,
  formErrors,
  ICreateForm,
  IFormErrors,
  ISpecFile,
  isValid
} from './createForm';
import { PackagesInput } from './packagesInput';

const PYTHON_VERSIONS = ['3.13', '3.12', '3.11', '3.10', '3.9'];

export interface IDialogServices {
  /** Names of packages matching `query`; may reject (offline index). */
  search(query: string, kind: 'conda' | 'venv'): Promise<string[]>;
  /** Let the user pick a spec file in the workspace. */
  pickWorkspaceFile(): Promise<ISpecFile | null>;
  /** Names already taken. */
  existingNames(): string[];
}

function engineLabel(engine: CreateEngine, trans: TranslationBundle): string {
  switch (engine) {
    case 'auto':
      return trans.__('Automatic');
    case 'conda':
      return trans.__('conda environment');
    case 'uv':
      return trans.__('virtualenv (uv, PyPI)');
  }
}

function NewEnvironmentForm(props: {
  form: ICreateForm;
  errors: IFormErrors;
  touched: boolean;
  nameEdited: boolean;
  serverError: string | null;
  update: (change: Partial<ICreateForm>) => void;
  leaveName: () => void;
  services: IDialogServices;
  trans: TranslationBundle;
  packageInputs: React.MutableRefObject<HTMLInputElement | null>[];
}): JSX.Element {
  const { form, errors, update, trans, services } = props;
  const uploadRef = useRef<HTMLInputElement | null>(null);
  const venv = form.engine === 'uv';
  // Said as soon as the name was typed in (even when cleared again), not
  // before: an empty field in a fresh dialog is no mistake yet.
  const showNameError = props.touched || props.nameEdited;

  const readUpload = (files: FileList | null) => {
    const file = files?.[0];
    if (!file) {
      return;
    }
    void file
      .text()
      .then(content => update({ file: { filename: file.name, content } }));
  };

  return (
    <div className="jp-EnvManager-dialog">
      {props.serverError && (
        <div className="jp-EnvManager-serverError" role="alert">
          {trans.__('The server refused: %1', props.serverError)}
        </div>
      )}
      <div
        className="jp-EnvManager-modes"
        role="radiogroup"
        aria-label={trans.__('Source')}
      >
        <label>
          <input
            type="radio"
            name="jem-mode"
            checked={form.mode === 'specs'}
            onChange={() => update({ mode: 'specs' })}
          />
          {trans.__('Choose packages')}
        </label>
        <label>
          <input
            type="radio"
            name="jem-mode"
            checked={form.mode === 'file'}
            onChange={() => update({ mode: 'file' })}
          />
          {trans.__('From a file')}
        </label>
      </div>

      <TextField
        id="jem-name"
        label={
          form.mode === 'file'
            ? trans.__('Name (optional if the file names one)')
            : trans.__('Name')
        }
        value={form.name}
        error={showNameError ? errors.name : undefined}
        inputClassName="jp-EnvManager-name"
        inputProps={{ autoFocus: true, onBlur: props.leaveName }}
        onChange={name => update({ name })}
      />

      <div className="jp-EnvManager-field">
        <label htmlFor="jem-engine">{trans.__('Engine')}</label>
        <select
          id="jem-engine"
          className="jp-mod-styled jp-EnvManager-engineSelect"
          value={form.engine}
          onChange={event =>
            update({ engine: event.target.value as CreateEngine })
          }
        >
          {CREATE_ENGINES.map(engine => (
            <option key={engine} value={engine}>
              {engineLabel(engine, trans)}
            </option>
          ))}
        </select>
      </div>

      {form.mode === 'specs' ? (
        <>
          <TextField
            id="jem-python"
            label={trans.__('Python version')}
            value={form.python}
            placeholder={trans.__('default')}
            inputClassName="jp-EnvManager-pythonInput"
            inputProps={{ list: 'jem-python-versions' }}
            onChange={python => update({ python })}
          >
            <datalist id="jem-python-versions">
              {PYTHON_VERSIONS.map(v => (
                <option key={v} value={v} />
              ))}
            </datalist>
          </TextField>
          <PackagesInput
            id="jem-packages"
            label={venv ? trans.__('Packages (PyPI)') : trans.__('Packages')}
            kind={venv ? 'venv' : 'conda'}
            specs={form.packages}
            onChange={packages => update({ packages })}
            inputRef={props.packageInputs[0]}
            search={services.search}
            trans={trans}
          />
          {!venv && (
            <PackagesInput
              id="jem-pip"
              label={trans.__('PyPI packages (pip)')}
              kind="venv"
              specs={form.pip}
              onChange={pip => update({ pip })}
              inputRef={props.packageInputs[1]}
              search={services.search}
              trans={trans}
            />
          )}
          {!venv && (
            <TextField
              id="jem-channels"
              label={trans.__('Channels')}
              value={form.channels}
              placeholder="conda-forge"
              onChange={channels => update({ channels })}
            />
          )}
          <label className="jp-EnvManager-check">
            <input
              type="checkbox"
              className="jp-EnvManager-ipykernel"
              checked={form.ipykernel}
              onChange={event => update({ ipykernel: event.target.checked })}
            />
            {trans.__('Use as a notebook kernel (adds ipykernel)')}
          </label>
        </>
      ) : (
        <div className="jp-EnvManager-field">
          <span className="jp-EnvManager-label">
            {trans.__('environment.yml, requirements.txt or lock file')}
          </span>
          <div className="jp-EnvManager-fileButtons">
            <button
              className="jp-mod-styled"
              onClick={() => uploadRef.current?.click()}
            >
              {trans.__('Upload…')}
            </button>
            <button
              className="jp-mod-styled jp-EnvManager-pickFile"
              onClick={() => {
                void services.pickWorkspaceFile().then(file => {
                  if (file) {
                    update({ file });
                  }
                });
              }}
            >
              {trans.__('From the workspace…')}
            </button>
            <input
              ref={uploadRef}
              type="file"
              hidden
              aria-label={trans.__('Upload a spec file')}
              accept=".yml,.yaml,.txt,.lock"
              onChange={event => readUpload(event.target.files)}
            />
          </div>
          <div className="jp-EnvManager-chosenFile" aria-live="polite">
            {form.file
              ? trans.__('Using %1', form.file.path ?? form.file.filename)
              : trans.__('No file chosen')}
          </div>
          <FieldError id="jem-file-error" message={errors.file} />
        </div>
      )}
    </div>
  );
}

/** The dialog's body: owns the form being typed, answers the request. */
export class NewEnvironmentBody
  extends ReactWidget
  implements IGatedBody<IFormAnswer<ICreateForm, ICreateRequest>>
{
  constructor(
    initial: ICreateForm,
    private readonly services: IDialogServices,
    private readonly trans: TranslationBundle,
    private readonly serverError: string | null = null
  ) {
    super();
    this.addClass('jp-EnvManager-newDialog');
    this._form = initial;
    // A form the server refused was typed in already: show all it says.
    this._touched = serverError !== null;
  }

  get form(): ICreateForm {
    return this._form;
  }

  get formChanged(): ISignal<this, void> {
    return this._formChanged;
  }

  blocker(): string | null {
    return firstError(this.errors);
  }

  get errors(): IFormErrors {
    return formErrors(this._form, this.trans, this.services.existingNames());
  }

  /** Show every error, even in fields not typed in yet. */
  touch(): void {
    this._touched = true;
    this.update();
  }

  /**
   * Enter in a package field adds the package instead of submitting the
   * dialog; answers true when it did.
   */
  takeEnter(): boolean {
    const active = document.activeElement;
    const input = this._packageInputs.find(ref => ref.current === active);
    if (input?.current && input.current.value.trim()) {
      input.current.blur();
      input.current.focus();
      return true;
    }
    return false;
  }

  readyToAccept(): boolean {
    if (this.takeEnter()) {
      return false;
    }
    if (!isValid(this.errors)) {
      this.touch();
      return false;
    }
    return true;
  }

  getValue(): IFormAnswer<ICreateForm, ICreateRequest> {
    return { form: this._form, request: buildCreateRequest(this._form) };
  }

  protected render(): JSX.Element {
    return (
      <NewEnvironmentForm
        form={this._form}
        errors={this.errors}
        touched={this._touched}
        nameEdited={this._nameEdited}
        serverError={this.serverError}
        update={change => {
          this._form = { ...this._form, ...change };
          if ('name' in change) {
            this._nameEdited = true;
          }
          this.update();
          this._formChanged.emit();
        }}
        leaveName={() => {
          if (!this._nameEdited) {
            this._nameEdited = true;
            this.update();
          }
        }}
        services={this.services}
        trans={this.trans}
        packageInputs={this._packageInputs}
      />
    );
  }

  private _form: ICreateForm;
  private _touched = false;
  private _nameEdited = false;
  private _formChanged = new Signal<this, void>(this);
  private _packageInputs: React.MutableRefObject<HTMLInputElement | null>[] = [
    { current: null },
    { current: null }
  ];
}

/**
 * Ask for a new environment; null when the user cancelled. `serverError` is
 * the reason the server refused this form last time, shown above it.
 */
export function askNewEnvironment(
  initial: ICreateForm,
  services: IDialogServices,
  trans: TranslationBundle,
  serverError: string | null = null
): Promise<IFormAnswer<ICreateForm, ICreateRequest> | null> {
  return askWithForm(
    new NewEnvironmentBody(initial, services, trans, serverError),
    {
      title: trans.__('New environment'),
      acceptLabel: trans.__('Create'),
      focusNodeSelector: '#jem-name',
      className: 'jp-EnvManager-newEnvironmentDialog'
    },
    trans
  );
}
