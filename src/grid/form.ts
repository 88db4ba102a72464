/**
 * The grid search form: which fields were typed, what is wrong with them and
 * the request they make. Value lists are sent as typed; the server parses them
 * with the CLI's grammar (POST grids/values) and says what is wrong per field.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { IGridParameter, IGridRequest, IGridValuesPreview } from '../api';

/** The fields the user typed something into (empty ones keep their defaults). */
export function typedFields(
  values: Record<string, string>,
  parameters: readonly IGridParameter[]
): Record<string, string> {
  const typed: Record<string, string> = {};
  for (const parameter of parameters) {
    const text = values[parameter.name] ?? '';
    if (text.trim()) {
      typed[parameter.name] = text;
    }
  }
  return typed;
}

/** How a default is shown in the form, e.g. as a placeholder. */
export function formatDefault(parameter: IGridParameter): string {
  return parameter.default_source || JSON.stringify(parameter.default);
}

/** Run with the server's own Python kernel rather than an environment. */
export const SERVER_KERNEL = 'python3';

export interface IGridForm {
  /** Value-list text per parameter name. */
  values: Record<string, string>;
  /** `kernel:<name>` or `env:<environment>`. */
  target: string;
  metric: string;
  goal: 'max' | 'min';
  workers: string;
  seed: string;
}

export function emptyGridForm(): IGridForm {
  return {
    values: {},
    target: `kernel:${SERVER_KERNEL}`,
    metric: '',
    goal: 'max',
    workers: '',
    seed: ''
  };
}

export interface IGridFormErrors {
  values: Record<string, string>;
  grid?: string;
  metric?: string;
  workers?: string;
  seed?: string;
}

function wholeNumber(text: string, minimum: number): number | null {
  const value = text.trim();
  if (!/^\d+$/.test(value) || Number(value) < minimum) {
    return null;
  }
  return Number(value);
}

/**
 * What is wrong with the form. Value lists are judged by the server's `preview`
 * of them (null while it has not answered: nothing to say about them yet).
 */
export function gridFormErrors(
  form: IGridForm,
  parameters: readonly IGridParameter[],
  trans: TranslationBundle,
  preview: IGridValuesPreview | null = null
): IGridFormErrors {
  const errors: IGridFormErrors = { values: {} };
  const typed = typedFields(form.values, parameters);
  for (const name of Object.keys(typed)) {
    const error = preview?.errors[name];
    if (error) {
      errors.values[name] = error;
    }
  }
  if (!parameters.length) {
    errors.grid = trans.__(
      'This notebook has no parameters cell: tag a cell "parameters" to sweep its variables.'
    );
  } else if (!Object.keys(typed).length) {
    errors.grid = trans.__('Give a list of values for at least one parameter.');
  }
  const metric = form.metric.trim();
  if (metric && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(metric)) {
    errors.metric = trans.__(
      'A metric is the name of a variable the notebook sets.'
    );
  }
  if (form.workers.trim() && wholeNumber(form.workers, 1) === null) {
    errors.workers = trans.__('Workers is a whole number of at least 1.');
  }
  if (form.seed.trim()) {
    if (wholeNumber(form.seed, 0) === null) {
      errors.seed = trans.__('The seed is a whole number.');
    } else if (!parameters.some(p => p.name === 'seed')) {
      errors.seed = trans.__(
        'The notebook declares no "seed" parameter; add `seed = 0` to its parameters cell.'
      );
    }
  }
  return errors;
}

export function isGridFormValid(errors: IGridFormErrors): boolean {
  return (
    !Object.keys(errors.values).length &&
    !errors.grid &&
    !errors.metric &&
    !errors.workers &&
    !errors.seed
  );
}

/**
 * The request for POST grids: the typed text of each swept parameter, as the
 * CLI's `--param name=values`, for the server to parse; empty fields keep their
 * defaults.
 */
export function buildGridRequest(
  notebook: string,
  form: IGridForm,
  parameters: readonly IGridParameter[]
): IGridRequest {
  const sweeps = Object.entries(typedFields(form.values, parameters)).map(
    ([name, text]) => `${name}=${text}`
  );
  const request: IGridRequest = { notebook, sweeps, goal: form.goal };
  const [kind, ...rest] = form.target.split(':');
  const name = rest.join(':');
  if (kind === 'env') {
    request.env = name;
  } else {
    request.kernel = name || SERVER_KERNEL;
  }
  if (form.metric.trim()) {
    request.metrics = [form.metric.trim()];
  }
  const workers = wholeNumber(form.workers, 1);
  if (workers !== null) {
    request.workers = workers;
  }
  const seed = wholeNumber(form.seed, 0);
  if (seed !== null) {
    request.seed = seed;
  }
  return request;
}
