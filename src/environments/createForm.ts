/**
 * The New-environment form as data: what the dialog edits, how it is checked,
 * and the request it becomes. Kept apart from the dialog so it can be tested
 * without a browser.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { CreateEngine, ICreateRequest } from '../api';
import { nameError, splitSpecs } from './names';

export interface ISpecFile {
  filename: string;
  content: string;
  /** Workspace path when picked from the file browser. */
  path?: string;
}

export interface ICreateForm {
  mode: 'specs' | 'file';
  name: string;
  engine: CreateEngine;
  python: string;
  /** conda match specs (conda engines only). */
  packages: string[];
  /** PyPI requirements. */
  pip: string[];
  /** Free text, split on spaces/commas/newlines. */
  channels: string;
  /** Add ipykernel so the environment is a kernel right away. */
  ipykernel: boolean;
  file: ISpecFile | null;
}

export function emptyForm(
  defaults: { engine?: CreateEngine; channels?: string[] } = {}
): ICreateForm {
  return {
    mode: 'specs',
    name: '',
    engine: defaults.engine ?? 'auto',
    python: '',
    packages: [],
    pip: [],
    channels: (defaults.channels ?? []).join(' '),
    ipykernel: true,
    file: null
  };
}

export interface IFormErrors {
  name?: string;
  file?: string;
}

export function formErrors(
  form: ICreateForm,
  trans: TranslationBundle,
  existing: readonly string[] = []
): IFormErrors {
  const errors: IFormErrors = {};
  if (form.mode === 'file') {
    if (!form.file) {
      errors.file = trans.__('Choose an environment.yml or requirements file.');
    }
    // A file may name the environment itself; the server says if it does not.
    if (form.name) {
      const problem = nameError(form.name, trans, existing);
      if (problem) {
        errors.name = problem;
      }
    }
    return errors;
  }
  const problem = nameError(form.name, trans, existing);
  if (problem) {
    errors.name = problem;
  }
  return errors;
}

export function isValid(errors: IFormErrors): boolean {
  return firstError(errors) === null;
}

/** The error to name first (e.g. on a disabled Create button), or null. */
export function firstError(errors: IFormErrors): string | null {
  return errors.name ?? errors.file ?? null;
}

/**
 * The engine field the server expects. "conda" means whichever conda engine
 * the server has (its "auto"); "auto" leaves the choice to the server, which
 * picks uv for PyPI-only requests.
 */
export function serverEngine(engine: CreateEngine): string | undefined {
  switch (engine) {
    case 'auto':
      return undefined;
    case 'conda':
      return 'auto';
    case 'uv':
      return 'uv';
  }
}

export function buildCreateRequest(form: ICreateForm): ICreateRequest {
  const request: ICreateRequest = {};
  const engine = serverEngine(form.engine);
  if (engine) {
    request.engine = engine;
  }
  if (form.name) {
    request.name = form.name;
  }
  if (form.mode === 'file' && form.file) {
    request.file = { filename: form.file.filename, content: form.file.content };
    return request;
  }
  const venv = form.engine === 'uv';
  const conda = venv ? [] : [...form.packages];
  const pip = venv ? [...form.packages, ...form.pip] : [...form.pip];
  if (
    form.ipykernel &&
    !hasPackage(conda, 'ipykernel') &&
    !hasPackage(pip, 'ipykernel')
  ) {
    // A venv (or a PyPI-only request) gets it from PyPI, a conda env from its channels.
    if (venv || (form.engine === 'auto' && conda.length === 0)) {
      pip.push('ipykernel');
    } else {
      conda.push('ipykernel');
    }
  }
  if (form.python.trim()) {
    request.python = form.python.trim();
  }
  if (conda.length) {
    request.packages = conda;
  }
  if (pip.length) {
    request.pip = pip;
  }
  const channels = splitSpecs(form.channels.replace(/,/g, ' '));
  if (channels.length && !venv) {
    request.channels = channels;
  }
  return request;
}

/** "numpy>=2" names "numpy"; compared the way PyPI and conda normalize names. */
export function packageName(spec: string): string {
  const match = /^[A-Za-z0-9._-]+/.exec(spec.trim());
  return (match ? match[0] : spec).toLowerCase().replace(/[._]/g, '-');
}

function hasPackage(specs: readonly string[], name: string): boolean {
  return specs.some(spec => packageName(spec) === name);
}
