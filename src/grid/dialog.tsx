/**
 * The "Grid search…" dialog: one value list per parameter the notebook
 * declares, where to run it, the metric to rank by, workers and seed.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import {
  IEnvironment,
  IGridRequest,
  IGridValuesPreview,
  INotebookInspection
} from '../api';
import { FieldError } from '../common/fieldError';
import { askWithForm, IGatedBody } from '../common/gatedDialog';
import { IFormAnswer, IRefusedForm } from '../common/resubmit';
import { TextField } from '../common/textField';
import { KernelState } from '../kernels/specs';
import {
  buildGridRequest,
  emptyGridForm,
  formatDefault,
  gridFormErrors,
  IGridForm,
  IGridFormErrors,
  isGridFormValid,
  SERVER_KERNEL,
  typedFields
} from './form';

/** Asks the server to parse the typed value fields (POST grids/values). */
export type PreviewValues = (
  values: Record<string, string>
) => Promise<IGridValuesPreview>;

/** Let typing settle before asking the server again. */
const PREVIEW_DELAY_MS = 150;

/** The values a field makes, as the runs will see them (e.g. `1.0` float). */
function ParsedValues(props: {
  values?: { text: string; type: string }[];
}): JSX.Element | null {
  if (!props.values?.length) {
    return null;
  }
  return (
    <div className="jp-EnvManager-gridParsed">
      {props.values.map((value, index) => (
        <code key={index} title={value.type} data-type={value.type}>
          {value.text}
        </code>
      ))}
    </div>
  );
}

/** How the "Run in" list names an environment the server cannot launch. */
function unlaunchableLabel(
  env: IEnvironment,
  state: KernelState,
  trans: TranslationBundle
): string {
  return state === 'unlisted'
    ? trans.__('%1 (ipykernel, no kernel here)', env.name)
    : trans.__('%1 (no ipykernel)', env.name);
}

function GridForm(props: {
  inspection: INotebookInspection;
  environments: readonly IEnvironment[];
  kernelState: (env: IEnvironment) => KernelState;
  serverError: string | null;
  form: IGridForm;
  preview: IGridValuesPreview | null;
  errors: IGridFormErrors;
  touched: boolean;
  update: (change: Partial<IGridForm>) => void;
  trans: TranslationBundle;
}): JSX.Element {
  const { form, errors, trans, inspection } = props;
  const shown = (text?: string) => (props.touched ? text : undefined);
  const runs = props.preview?.runs;
  return (
    <div className="jp-EnvManager-gridForm">
      {props.serverError && (
        <div className="jp-EnvManager-serverError" role="alert">
          {trans.__('The server refused: %1', props.serverError)}
        </div>
      )}
      <div className="jp-EnvManager-gridNotebook">
        {trans.__('Notebook: %1', inspection.path)}
      </div>
      <fieldset className="jp-EnvManager-gridParams">
        <legend>{trans.__('Parameters (comma-separated values)')}</legend>
        {inspection.parameters.map(parameter => {
          const id = `jem-grid-param-${parameter.name}`;
          const typed = form.values[parameter.name] ?? '';
          // Errors of a list show as soon as it is typed: they are about syntax.
          const error = typed ? errors.values[parameter.name] : undefined;
          return (
            <TextField
              key={parameter.name}
              id={id}
              label={
                <>
                  {parameter.name}
                  <span className="jp-EnvManager-gridType">
                    {parameter.type}
                    {' · '}
                    {trans.__('default %1', formatDefault(parameter))}
                  </span>
                </>
              }
              value={typed}
              error={error}
              placeholder={formatDefault(parameter)}
              inputClassName="jp-EnvManager-gridValues"
              inputProps={{
                title: parameter.help || undefined,
                'data-parameter': parameter.name
              }}
              onChange={value =>
                props.update({
                  values: { ...form.values, [parameter.name]: value }
                })
              }
            >
              <ParsedValues
                values={
                  typed ? props.preview?.parameters[parameter.name] : undefined
                }
              />
            </TextField>
          );
        })}
        <FieldError message={shown(errors.grid)} id="jem-grid-error" />
        <div className="jp-EnvManager-gridPoints">
          {runs === null || runs === undefined
            ? trans.__('… runs')
            : trans._n('%1 run', '%1 runs', Math.max(runs, 1))}
        </div>
      </fieldset>
      <div className="jp-EnvManager-field">
        <label className="jp-EnvManager-label" htmlFor="jem-grid-target">
          {trans.__('Run in')}
        </label>
        <select
          id="jem-grid-target"
          className="jp-mod-styled"
          value={form.target}
          onChange={event => props.update({ target: event.target.value })}
        >
          <option value={`kernel:${SERVER_KERNEL}`}>
            {trans.__("This server's kernel (%1)", SERVER_KERNEL)}
          </option>
          {props.environments.map(env => {
            // Only what the server can launch is offered; the rest says why not.
            const state = props.kernelState(env);
            return (
              <option
                key={env.name}
                value={`env:${env.name}`}
                disabled={state !== 'kernel'}
              >
                {state === 'kernel'
                  ? env.name
                  : unlaunchableLabel(env, state, trans)}
              </option>
            );
          })}
        </select>
      </div>
      <div className="jp-EnvManager-gridRow">
        <TextField
          id="jem-grid-metric"
          label={trans.__('Metric (a variable the notebook sets)')}
          value={form.metric}
          error={shown(errors.metric)}
          placeholder="accuracy"
          onChange={metric => props.update({ metric })}
        />
        <div
          className="jp-EnvManager-field"
          role="radiogroup"
          aria-label={trans.__('Goal')}
        >
          <label className="jp-EnvManager-check">
            <input
              type="radio"
              name="jem-grid-goal"
              value="max"
              checked={form.goal === 'max'}
              onChange={() => props.update({ goal: 'max' })}
            />
            {trans.__('Maximize')}
          </label>
          <label className="jp-EnvManager-check">
            <input
              type="radio"
              name="jem-grid-goal"
              value="min"
              checked={form.goal === 'min'}
              onChange={() => props.update({ goal: 'min' })}
            />
            {trans.__('Minimize')}
          </label>
        </div>
      </div>
      <div className="jp-EnvManager-gridRow">
        <TextField
          id="jem-grid-workers"
          label={trans.__('Parallel workers')}
          numeric
          value={form.workers}
          error={shown(errors.workers)}
          placeholder={trans.__('auto')}
          onChange={workers => props.update({ workers })}
        />
        <TextField
          id="jem-grid-seed"
          label={trans.__('Seed')}
          numeric
          value={form.seed}
          error={shown(errors.seed)}
          placeholder={trans.__('none')}
          onChange={seed => props.update({ seed })}
        />
      </div>
    </div>
  );
}

/** The dialog's body: owns the form being typed and answers the request. */
export class GridSearchBody
  extends ReactWidget
  implements IGatedBody<IFormAnswer<IGridForm, IGridRequest>>
{
  constructor(
    readonly inspection: INotebookInspection,
    private readonly environments: readonly IEnvironment[],
    private readonly kernelState: (env: IEnvironment) => KernelState,
    private readonly previewValues: PreviewValues,
    private readonly trans: TranslationBundle,
    refused: IRefusedForm<IGridForm> | null = null
  ) {
    super();
    this.addClass('jp-EnvManager-gridDialog');
    this._form = refused?.form ?? emptyGridForm();
    this._serverError = refused?.error ?? null;
    this._touched = refused !== null;
    this._askPreview();
  }

  get errors(): IGridFormErrors {
    return gridFormErrors(
      this._form,
      this.inspection.parameters,
      this.trans,
      this._preview
    );
  }

  dispose(): void {
    window.clearTimeout(this._previewTimer);
    super.dispose();
  }

  /** Ask the server to parse the typed fields; only the latest answer counts. */
  private _askPreview(): void {
    const typed = typedFields(this._form.values, this.inspection.parameters);
    const key = JSON.stringify(typed);
    // Typing elsewhere in the form leaves the pending preview alone.
    if (key === this._previewKey) {
      return;
    }
    window.clearTimeout(this._previewTimer);
    this._previewKey = key;
    this._preview = null;
    this._previewTimer = window.setTimeout(() => {
      this.previewValues(typed)
        .then(preview => {
          if (key === this._previewKey && !this.isDisposed) {
            this._preview = preview;
            this.update();
          }
        })
        .catch(() => {
          // No preview: the server checks the same text again when the grid starts.
        });
    }, PREVIEW_DELAY_MS);
  }

  touch(): void {
    this._touched = true;
    this.update();
  }

  readyToAccept(): boolean {
    if (!isGridFormValid(this.errors)) {
      this.touch();
      return false;
    }
    return true;
  }

  getValue(): IFormAnswer<IGridForm, IGridRequest> {
    return {
      form: this._form,
      request: buildGridRequest(
        this.inspection.path,
        this._form,
        this.inspection.parameters
      )
    };
  }

  protected render(): JSX.Element {
    return (
      <GridForm
        inspection={this.inspection}
        environments={this.environments}
        kernelState={this.kernelState}
        serverError={this._serverError}
        form={this._form}
        preview={this._preview}
        errors={this.errors}
        touched={this._touched}
        update={change => {
          this._form = { ...this._form, ...change };
          this._askPreview();
          this.update();
        }}
        trans={this.trans}
      />
    );
  }

  private _form: IGridForm;
  private _serverError: string | null;
  private _touched = false;
  private _preview: IGridValuesPreview | null = null;
  private _previewKey: string | null = null;
  private _previewTimer = 0;
}

/**
 * Ask how to sweep a notebook; null when the user cancelled. With `refused`,
 * the form comes back as the server refused it, with its reason.
 */
export function askGridSearch(
  inspection: INotebookInspection,
  environments: readonly IEnvironment[],
  kernelState: (env: IEnvironment) => KernelState,
  previewValues: PreviewValues,
  trans: TranslationBundle,
  refused: IRefusedForm<IGridForm> | null = null
): Promise<IFormAnswer<IGridForm, IGridRequest> | null> {
  return askWithForm(
    new GridSearchBody(
      inspection,
      environments,
      kernelState,
      previewValues,
      trans,
      refused
    ),
    {
      title: trans.__('Grid search'),
      acceptLabel: trans.__('Start'),
      focusNodeSelector: '.jp-EnvManager-gridValues',
      className: 'jp-EnvManager-gridSearchDialog'
    },
    trans
  );
}
