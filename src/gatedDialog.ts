/**
 * A dialog whose accept button only closes it when its body agrees: forms keep
 * the dialog open (and show why) while their input is invalid.
 */
import { Dialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

export interface IGatedBody<T> extends Widget {
  /** True when the dialog may close with `getValue()`; otherwise shows why. */
  readyToAccept(): boolean;
  getValue(): T;
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
  }

  resolve(index?: number): void {
    const button = this.buttonList[index ?? this.buttonList.length - 1];
    if (button?.accept && !this.gate.readyToAccept()) {
      return;
    }
    super.resolve(index);
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
