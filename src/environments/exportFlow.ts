/**
 * Export an environment: ask the format (and whether to keep a copy in the
 * current folder), download the file, and save the copy without silently
 * replacing a file already there.
 */
import {
  Dialog,
  Notification,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { Contents } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';

import { EnvManagerClient, ExportFormat, IEnvironment } from '../api';
import { download } from '../common/download';
import { ExportBody } from './exportDialog';

export interface IExportContext {
  client: EnvManagerClient;
  contents: Contents.IManager;
  trans: TranslationBundle;
  /** The format preselected (the user's setting). */
  format: ExportFormat;
  /** Where the copy goes ('' for the root): the file browser's folder. */
  folder: string;
}

export async function exportEnvironment(
  env: IEnvironment,
  context: IExportContext
): Promise<void> {
  const { client, contents, trans } = context;
  const result = await showDialog({
    title: trans.__('Export %1', env.name),
    body: new ExportBody(context.format, trans),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: trans.__('Export') })
    ]
  });
  if (!result.button.accept || !result.value) {
    return;
  }
  const { format, saveToFolder } = result.value;
  try {
    const file = await client.exportFile(env.name, format);
    download(file.filename, file.content);
    if (!saveToFolder) {
      return;
    }
    const path = PathExt.join(context.folder, file.filename);
    if (
      (await exists(contents, path)) &&
      !(await confirmReplace(path, trans))
    ) {
      Notification.info(trans.__('Kept the existing %1', path), {
        autoClose: 4000
      });
      return;
    }
    await contents.save(path, {
      type: 'file',
      format: 'text',
      content: file.content
    });
    Notification.success(trans.__('Saved %1', path), { autoClose: 4000 });
  } catch (error) {
    await showErrorMessage(
      trans.__('Cannot export %1', env.name),
      error as Error
    );
  }
}

/** Is there a file or folder at `path` in the workspace? */
async function exists(
  contents: Contents.IManager,
  path: string
): Promise<boolean> {
  try {
    await contents.get(path, { content: false });
    return true;
  } catch (error) {
    const status = (error as { response?: Response }).response?.status;
    if (status === 404) {
      return false;
    }
    throw error;
  }
}

async function confirmReplace(
  path: string,
  trans: TranslationBundle
): Promise<boolean> {
  const result = await showDialog({
    title: trans.__('Replace %1?', path),
    body: trans.__(
      'A file named %1 is already in this folder. Replacing it loses what it holds.',
      PathExt.basename(path)
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Keep it') }),
      Dialog.warnButton({ label: trans.__('Replace') })
    ]
  });
  return result.button.accept;
}
