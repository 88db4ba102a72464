/**
 * Environment name rules, the same as jupyter_env_manager/core/names.py, so
 * the dialog can say what is wrong while the user types. The server checks
 * again; this only saves a round trip.
 */
import { TranslationBundle } from '@jupyterlab/translation';

export const MAX_NAME_LENGTH = 64;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Why `name` is not acceptable, or null when it is. */
export function nameError(
  name: string,
  trans: TranslationBundle,
  existing: readonly string[] = []
): string | null {
  if (!name) {
    return trans.__('Environment name must not be empty.');
  }
  if (name.length > MAX_NAME_LENGTH) {
    return trans.__(
      'Environment name is longer than %1 characters.',
      MAX_NAME_LENGTH
    );
  }
  if (name.includes('..')) {
    return trans.__("Environment name must not contain '..'.");
  }
  if (!NAME_RE.test(name)) {
    return trans.__(
      "Use letters, digits, '.', '_' and '-', starting with a letter or digit."
    );
  }
  if (name === 'base') {
    return trans.__("'base' is reserved for conda's root environment.");
  }
  if (existing.includes(name)) {
    return trans.__('An environment named "%1" already exists.', name);
  }
  return null;
}

/**
 * Split a free-text list ("numpy pandas>=2,<3") into specs on whitespace only:
 * commas belong to version ranges.
 */
export function splitSpecs(text: string): string[] {
  return text
    .split(/\s+/)
    .map(spec => spec.trim())
    .filter(spec => spec.length > 0);
}

/** Files the server can create an environment from. */
export function isEnvironmentFile(path: string): boolean {
  const base = path.split('/').pop() ?? '';
  return (
    /\.ya?ml$/i.test(base) ||
    /^requirements.*\.txt$/i.test(base) ||
    /\.lock(\.txt)?$/i.test(base)
  );
}
