/**
 * A dialog whose accept button only closes it when its body agrees: forms keep
 * the dialog open (and show why) while their input is invalid. A body that
 * reports its validity as it changes also gets its accept button disabled
 * while invalid, with the reason as the button's tooltip.
 */
import { Dialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

export interface IGatedBody<T> extends Widget {
  /** True when the dialog may close with `getValue()`; otherwise shows why. */
  readyToAccept(): boolean;
  getValue(): T;
  /** Why the form cannot be accepted yet, or null when it can. */
  blocker?(): string | null;
  /** Emitted whenever `blocker()` may answer differently. */
  readonly formChanged?: ISignal<unknown, void>;
}

class GatedDialog<T> extends Dialog<T> {
  constructor(
    private readonly gate: IGatedBody<T>,
    private readonly buttonList: Dialog.IButton[],
    options: { title: string; focusNodeSelector: string; className: string }
  ) {
    super({
      title: options.title,
      body: gate,
      buttons: buttonList,
      focusNodeSelector: options.focusNodeSelector
    });
    this.addClass(options.className);
    gate.formChanged?.connect(this._syncAcceptButton, this);
    this._syncAcceptButton();
  }

  resolve(index?: number): void {
    const button = this.buttonList[index ?? this.buttonList.length - 1];
    if (button?.accept && !this.gate.readyToAccept()) {
      return;
    }
    super.resolve(index);
  }

  handleEvent(event: Event): void {
    super.handleEvent(event);
    // Dialog enables its accept button on every input event unless an input
    // is :invalid; the form's own verdict goes back on top.
    if (event.type === 'input') {
      this._syncAcceptButton();
    }
  }

  dispose(): void {
    this.gate.formChanged?.disconnect(this._syncAcceptButton, this);
    super.dispose();
  }

  private _syncAcceptButton(): void {
    if (!this.gate.blocker) {
      return;
    }
    const blocker = this.gate.blocker();
    const buttons = this.node.querySelectorAll<HTMLButtonElement>(
      '.jp-Dialog-footer .jp-Dialog-button'
    );
    this.buttonList.forEach((button, index) => {
      const node = buttons[index];
      if (button.accept && node) {
        node.disabled = blocker !== null;
        node.title = blocker ?? '';
      }
    });
  }
}

/** Show `body` with Cancel and `acceptLabel`; its value, or null when cancelled. */
export async function askWithForm<T>(
  body: IGatedBody<T>,
  options: {
    title: string;
    acceptLabel: string;
    focusNodeSelector: string;
    className: string;
  },
  trans: TranslationBundle
): Promise<T | null> {
  const dialog = new GatedDialog<T>(
    body,
    [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: options.acceptLabel })
    ],
    options
  );
  const result = await dialog.launch();
  return result.button.accept ? result.value : null;
}
