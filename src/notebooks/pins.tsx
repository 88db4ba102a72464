/**
 * Notebooks that carry their environment, in the notebook's toolbar: a pin
 * indicator next to the kernel name (matches here, differs, missing, not
 * pinned), "Pin environment to notebook", and "Recreate environment" when the
 * pinned one is missing. The pin itself is written by the server into the file;
 * the open notebook is saved first and reloaded after, so nothing is lost.
 */
import {
  Dialog,
  InputDialog,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { DocumentRegistry, IDocumentWidget } from '@jupyterlab/docregistry';
import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { EnvManagerClient, EnvManagerEvents, IPinStatus, ITask } from '../api';
import { KernelSpecsModel } from '../kernels/model';
import { TasksModel } from '../tasks/model';
import { describePin, diffLines } from './pinStatus';

type Context = DocumentRegistry.Context;

export interface IPinServices {
  client: EnvManagerClient;
  events: EnvManagerEvents;
  kernels: KernelSpecsModel;
  tasks: TasksModel;
  trans: TranslationBundle;
}

/** The toolbar item: what the pin says, and a click that acts on it. */
class PinIndicator extends ReactWidget {
  constructor(
    private readonly trans: TranslationBundle,
    private readonly act: (status: IPinStatus) => void
  ) {
    super();
    this.addClass('jp-EnvManager-pin');
  }

  set status(status: IPinStatus | null) {
    this._status = status;
    this.node.dataset.state = status?.state ?? '';
    this.update();
  }

  protected render(): JSX.Element | null {
    const status = this._status;
    if (!status) {
      return null;
    }
    const view = describePin(status, this.trans);
    return (
      <button
        className="jp-ToolbarButtonComponent jp-mod-minimal jp-Button"
        title={view.tooltip}
        disabled={view.action === 'none'}
        onClick={() => this.act(status)}
      >
        <span className="jp-ToolbarButtonComponent-label">{view.label}</span>
      </button>
    );
  }

  private _status: IPinStatus | null = null;
}

/** Pin, check and recreate notebooks' environments. */
export class NotebookPins implements DocumentRegistry.IWidgetExtension<
  IDocumentWidget,
  DocumentRegistry.IModel
> {
  constructor(private readonly services: IPinServices) {}

  createNew(panel: IDocumentWidget, context: Context): void {
    const indicator = new PinIndicator(this.services.trans, status =>
      this._act(context, status)
    );
    panel.toolbar.insertAfter('kernelName', 'envManagerPin', indicator);
    let warned = false;
    const refresh = async () => {
      if (indicator.isDisposed || !context.path) {
        return;
      }
      try {
        const status = await this.services.client.pinStatus(context.path);
        indicator.status = status;
        if (status.state === 'missing' && !warned) {
          warned = true;
          this._offerRecreate(context, status);
        }
      } catch {
        indicator.status = null; // not ours to judge (e.g. outside the root)
      }
    };
    void context.ready.then(refresh);
    context.fileChanged.connect(refresh);
    // Someone made or removed an environment: the answer may have changed.
    this.services.events.environments.connect(refresh);
    panel.disposed.connect(() => {
      context.fileChanged.disconnect(refresh);
      this.services.events.environments.disconnect(refresh);
    });
    this._refreshers.set(context, refresh);
  }

  /** Pin an environment into the notebook; asks which, offering its kernel's. */
  async pin(context: Context): Promise<void> {
    const { client, kernels, trans } = this.services;
    const envs = (await client.environments()).filter(
      env => kernels.state(env) === 'kernel'
    );
    if (!envs.length) {
      throw new Error(trans.__('No environment here has a kernel to pin.'));
    }
    const running = context.sessionContext.session?.kernel?.name;
    const current = envs.findIndex(
      env => kernels.kernelName(env.prefix) === running
    );
    const chosen = await InputDialog.getItem({
      title: trans.__('Pin environment to notebook'),
      label: trans.__('Environment'),
      items: envs.map(env => env.name),
      current: Math.max(current, 0)
    });
    if (!chosen.button.accept || !chosen.value) {
      return;
    }
    if (context.model.dirty) {
      await context.save();
    }
    const { pin } = await client.pinNotebook(context.path, chosen.value);
    await context.revert(); // the server wrote the pin into the file
    await this._useKernel(context, pin.kernel as string | null);
    Notification.success(
      trans.__('Pinned %1 into %2', chosen.value, context.path),
      {
        autoClose: 5000
      }
    );
    await this._refreshers.get(context)?.();
  }

  /** Rebuild (or find) the pinned environment and switch the notebook to it. */
  async reproduce(context: Context): Promise<void> {
    const { client, tasks, kernels, trans } = this.services;
    if (context.model.dirty) {
      await context.save();
    }
    const task = await client.reproduceNotebook(context.path);
    tasks.track(task);
    const done = await new Promise<ITask>(resolve => {
      const onFinished = (_: TasksModel, finished: ITask) => {
        if (finished.id === task.id) {
          tasks.finished.disconnect(onFinished);
          resolve(finished);
        }
      };
      tasks.finished.connect(onFinished);
    });
    if (done.status !== 'succeeded') {
      throw new Error(
        done.error?.message ?? trans.__('Recreating the environment failed.')
      );
    }
    const result = done.result as {
      environment: string;
      kernel: string | null;
    };
    await kernels.refresh();
    await context.revert(); // the server pointed the notebook at the kernel
    await this._useKernel(context, result.kernel);
    await this._refreshers.get(context)?.();
  }

  private async _useKernel(
    context: Context,
    kernel: string | null
  ): Promise<void> {
    const session = context.sessionContext;
    if (kernel && session.session?.kernel?.name !== kernel) {
      await session.changeKernel({ name: kernel });
    }
  }

  private _offerRecreate(context: Context, status: IPinStatus): void {
    const { trans } = this.services;
    Notification.warning(
      trans.__(
        '%1 needs the environment %2, which is not here.',
        context.path,
        status.pinned ?? ''
      ),
      {
        autoClose: false,
        actions: [
          {
            label: trans.__('Recreate environment'),
            callback: () => void this._reporting(this.reproduce(context))
          }
        ]
      }
    );
  }

  private _act(context: Context, status: IPinStatus): void {
    if (status.state === 'unpinned') {
      void this._reporting(this.pin(context));
    } else if (status.state === 'missing') {
      void this._reporting(this.reproduce(context));
    } else if (status.state === 'differs') {
      void showDialog({
        title: this.services.trans.__('The environment differs from the pin'),
        body: [status.message, ...diffLines(status, this.services.trans)].join(
          '\n'
        ),
        // Re-pinning records what is here now: the user's call, from the command.
        buttons: [Dialog.okButton({ label: this.services.trans.__('Close') })]
      });
    }
  }

  private async _reporting(work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (error) {
      Notification.error(String((error as Error).message ?? error), {
        autoClose: false
      });
    }
  }

  private _refreshers = new WeakMap<Context, () => Promise<void>>();
}
