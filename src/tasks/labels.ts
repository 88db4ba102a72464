/**
 * What a task is called and where it stands, in the user's language.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { ITask } from '../api';

/** Translated "Creating foo"-style title of a task. */
export function taskTitle(task: ITask, trans: TranslationBundle): string {
  const env = task.environment;
  switch (task.operation) {
    case 'create':
      return trans.__('Creating %1', env);
    case 'clone':
      return trans.__('Cloning into %1', env);
    case 'remove':
      return trans.__('Removing %1', env);
    case 'install':
      return trans.__('Installing into %1', env);
    case 'update':
      return trans.__('Updating %1', env);
    case 'uninstall':
      return trans.__('Removing packages from %1', env);
    case 'add-kernel':
      return trans.__('Adding a kernel for %1', env);
    default:
      return `${task.operation} ${env}`;
  }
}

/** What a task's card says about where it stands. */
export function statusLabel(task: ITask, trans: TranslationBundle): string {
  switch (task.status) {
    case 'queued':
      return trans.__('Queued');
    case 'running':
      return task.stage ?? trans.__('Running');
    case 'succeeded':
      return trans.__('Done');
    case 'failed':
      return trans.__('Failed');
    case 'cancelled':
      return trans.__('Cancelled');
    case 'interrupted':
      return trans.__('Interrupted');
  }
}
