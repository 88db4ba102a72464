/**
 * What the sidebar, the packages view and the commands do: dialogs,
 * notifications, downloads, opening notebooks. Talks to the server only
 * through the client and the models.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  Dialog,
  InputDialog,
  Notification,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { TranslationBundle } from '@jupyterlab/translation';

import {
  EnvManagerClient,
  ICreateRequest,
  IChangePlan,
  IEnvironment,
  IPackagesRequest,
  ITask
} from '../api';
import { ErrorNotices } from '../common/notices';
import { submitUntilAccepted } from '../common/resubmit';
import { KernelSpecsModel } from '../kernels/model';
import { IEnvManagerSettings } from '../settings/settings';
import { taskTitle } from '../tasks/labels';
import { TasksModel } from '../tasks/model';
import { emptyForm, ICreateForm, ISpecFile } from './createForm';
import { exportEnvironment } from './exportFlow';
import { EnvironmentsModel } from './model';
import { nameError } from './names';
import { askNewEnvironment, IDialogServices } from './newEnvironmentDialog';
import { PackagesModel } from './packagesModel';
import { PlanBody } from './planDialog';
import { IEnvironmentActions } from './environmentItem';

export interface IActionsOptions {
  app: JupyterFrontEnd;
  client: EnvManagerClient;
  environments: EnvironmentsModel;
  tasks: TasksModel;
  kernels: KernelSpecsModel;
  /** Error toasts, one per distinct message. */
  errors: ErrorNotices;
  trans: TranslationBundle;
  settings: () => IEnvManagerSettings;
  /** The folder the file browser shows ('' for the root). */
  currentFolder: () => string;
  /** Let the user pick files in the workspace; null when not available. */
  pickFiles: ((filter: (path: string) => boolean) => Promise<string[]>) | null;
  /** Show the packages view of an environment. */
  openPackages: (env: IEnvironment) => void;
}

export class EnvironmentActions implements IEnvironmentActions {
  constructor(private readonly options: IActionsOptions) {
    options.tasks.finished.connect((_, task) => this._onFinished(task));
  }

  async newEnvironment(initial?: Partial<ICreateForm>): Promise<void> {
    const { trans, client, tasks } = this.options;
    const settings = this.options.settings();
    const form = {
      ...emptyForm({
        engine: settings.defaultEngine,
        channels: settings.defaultChannels
      }),
      ...initial
    };
    const services = this._dialogServices();
    // A refused request comes back in the dialog as typed, with the reason.
    const task = await submitUntilAccepted<ICreateForm, ICreateRequest, ITask>(
      refused =>
        askNewEnvironment(
          refused?.form ?? form,
          services,
          trans,
          refused?.error ?? null
        ),
      request => client.create(request)
    );
    if (task) {
      tasks.track(task);
      this.options.app.shell.activateById('jp-env-manager-sidebar');
    }
  }

  /** Open the New-environment dialog with a workspace file already chosen. */
  async createFromWorkspaceFile(path: string): Promise<void> {
    const file = await this._readWorkspaceFile(path);
    if (file) {
      await this.newEnvironment({ mode: 'file', file });
    }
  }

  refresh(): void {
    void this.options.environments.refresh();
  }

  openPackages(env: IEnvironment): void {
    this.options.openPackages(env);
  }

  async newNotebook(env: IEnvironment): Promise<void> {
    const { app, trans, kernels, environments } = this.options;
    const kernelName = await kernels.findKernel(env.prefix);
    if (!kernelName) {
      await showErrorMessage(
        trans.__('No kernel'),
        environments.info?.kernels?.message ??
          trans.__('The server lists no kernel for %1.', env.name)
      );
      return;
    }
    await app.commands.execute('notebook:create-new', {
      cwd: this.options.currentFolder(),
      kernelName
    });
  }

  async clone(env: IEnvironment): Promise<void> {
    const { trans, client, tasks, environments } = this.options;
    let name = `${env.name}-copy`;
    for (;;) {
      const answer = await InputDialog.getText({
        title: trans.__('Clone %1', env.name),
        label: trans.__('Name of the copy'),
        text: name,
        okLabel: trans.__('Clone'),
        cancelLabel: trans.__('Cancel')
      });
      if (!answer.button.accept || answer.value === null) {
        return;
      }
      name = answer.value.trim();
      const problem = nameError(name, trans, environments.names);
      if (!problem) {
        break;
      }
      await showErrorMessage(trans.__('Invalid name'), problem);
    }
    try {
      tasks.track(await client.clone(env.name, name));
    } catch (error) {
      await showErrorMessage(
        trans.__('Cannot clone %1', env.name),
        error as Error
      );
    }
  }

  exportEnvironment(env: IEnvironment): Promise<void> {
    const { app, client, trans } = this.options;
    return exportEnvironment(env, {
      client,
      contents: app.serviceManager.contents,
      trans,
      format: this.options.settings().defaultExportFormat,
      folder: this.options.currentFolder()
    });
  }

  async remove(env: IEnvironment): Promise<void> {
    const { trans, client, tasks } = this.options;
    if (this.options.settings().confirmBeforeRemove) {
      if (!(await this._confirmRemove(env))) {
        return;
      }
    }
    try {
      tasks.track(await client.remove(env.name));
    } catch (error) {
      await showErrorMessage(
        trans.__('Cannot remove %1', env.name),
        error as Error
      );
    }
  }

  private async _confirmRemove(env: IEnvironment): Promise<boolean> {
    const { trans } = this.options;
    const result = await showDialog({
      title: trans.__('Remove %1?', env.name),
      body: trans.__(
        'This deletes the folder %1 and everything in it, and the kernels that use it. It cannot be undone.',
        env.prefix
      ),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.warnButton({ label: trans.__('Remove') })
      ]
    });
    return result.button.accept;
  }

  async addKernel(env: IEnvironment): Promise<void> {
    const { trans, client, tasks } = this.options;
    try {
      tasks.track(await client.addKernel(env.name));
    } catch (error) {
      await showErrorMessage(trans.__('Cannot add a kernel'), error as Error);
    }
  }

  async removeKernel(env: IEnvironment): Promise<void> {
    const { trans, client, kernels } = this.options;
    try {
      const { removed } = await client.removeKernel(env.name);
      await kernels.refresh();
      // Said from what the server lists now, not from what is installed.
      const stillListed = kernels.kernelName(env.prefix) !== null;
      Notification.info(
        removed.length
          ? stillListed
            ? trans.__(
                'Removed the kernel spec %1; the kernel stays listed while ipykernel is in %2.',
                removed.join(', '),
                env.name
              )
            : trans.__('Removed kernel specs: %1', removed.join(', '))
          : trans.__(
              '%1 had no kernel spec written by this tool; its own kernels stay listed while ipykernel is installed in it.',
              env.name
            ),
        { autoClose: 6000 }
      );
    } catch (error) {
      await showErrorMessage(
        trans.__('Cannot remove the kernel'),
        error as Error
      );
    }
  }

  cancelTask(task: ITask): void {
    this.options.tasks.cancel(task.id).catch((error: Error) => {
      void showErrorMessage(this.options.trans.__('Cannot cancel'), error);
    });
  }

  dismissTask(task: ITask): void {
    this.options.tasks.dismiss(task.id);
  }

  /** Preview a package change, ask, then run it. */
  async changePackages(
    model: PackagesModel,
    request: IPackagesRequest
  ): Promise<void> {
    const { trans } = this.options;
    let plan: IChangePlan;
    try {
      plan = await model.preview(request);
    } catch (error) {
      await showErrorMessage(
        trans.__('Cannot change packages'),
        error as Error
      );
      return;
    }
    if (plan.changes.length === 0) {
      await showDialog({
        title: trans.__('Nothing to do'),
        body: trans.__('%1 is already as asked.', model.environment),
        buttons: [Dialog.okButton({ label: trans.__('OK') })]
      });
      return;
    }
    const result = await showDialog({
      title: trans.__('Apply these changes to %1?', model.environment),
      body: new PlanBody(plan, trans),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Apply') })
      ]
    });
    if (!result.button.accept) {
      return;
    }
    try {
      await model.apply(request);
    } catch (error) {
      await showErrorMessage(
        trans.__('Cannot change packages'),
        error as Error
      );
    }
  }

  private async _onFinished(task: ITask): Promise<void> {
    const { trans, environments, kernels, errors } = this.options;
    const title = taskTitle(task, trans);
    await environments.refresh();
    if (
      [
        'create',
        'clone',
        'remove',
        'add-kernel',
        'install',
        'uninstall'
      ].includes(task.operation)
    ) {
      // New or removed environments show in the Launcher without a reload
      // (the server's events say so too; this covers a missed event).
      await kernels.refresh();
    }
    if (task.status === 'succeeded') {
      const env = task.result as IEnvironment | null;
      const openable =
        (task.operation === 'create' || task.operation === 'clone') &&
        !!env?.prefix &&
        kernels.kernelName(env.prefix) !== null;
      Notification.success(trans.__('%1: done', title), {
        autoClose: openable ? 10000 : 5000,
        actions: openable
          ? [
              {
                label: trans.__('Open notebook'),
                callback: () => void this.newNotebook(env!)
              }
            ]
          : []
      });
    } else if (task.status === 'failed') {
      errors.error(
        trans.__(
          '%1 failed: %2',
          title,
          task.error?.message ?? trans.__('unknown error')
        )
      );
    } else {
      Notification.warning(trans.__('%1: %2', title, task.status), {
        autoClose: 5000
      });
    }
  }

  private _dialogServices(): IDialogServices {
    const { client, environments, pickFiles } = this.options;
    return {
      search: async (query, kind) =>
        (await client.searchPackages(query, kind)).map(pkg => pkg.name),
      existingNames: () => environments.names,
      pickWorkspaceFile: async () => {
        if (!pickFiles) {
          return null;
        }
        const [path] = await pickFiles(isSpecPath);
        return path ? this._readWorkspaceFile(path) : null;
      }
    };
  }

  private async _readWorkspaceFile(path: string): Promise<ISpecFile | null> {
    const { app, trans } = this.options;
    try {
      const model = await app.serviceManager.contents.get(path, {
        type: 'file',
        format: 'text',
        content: true
      });
      return {
        filename: PathExt.basename(path),
        content: String(model.content),
        path
      };
    } catch (error) {
      await showErrorMessage(trans.__('Cannot read %1', path), error as Error);
      return null;
    }
  }
}

function isSpecPath(path: string): boolean {
  return /\.(ya?ml|txt|lock)$/i.test(path);
}
