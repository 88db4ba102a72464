/**
 * Error toasts that do not stack: an error identical to one still listed in
 * JupyterLab's notifications updates that one in place (with a repeat count)
 * instead of adding another. Errors stay until dismissed; once dismissed, the
 * next identical error is new again.
 */
import { Notification } from '@jupyterlab/apputils';

/** The part of JupyterLab's Notification namespace used here. */
export interface INotifier {
  error(message: string, options: { autoClose: false }): string;
  update(args: {
    id: string;
    message: string;
    type: 'error';
    autoClose: false;
  }): boolean;
}

/** "(3×) message": the count goes first, as toasts cut long messages short. */
export function repeatedMessage(message: string, count: number): string {
  return count > 1 ? `(${count}×) ${message}` : message;
}

export class ErrorNotices {
  constructor(private readonly notifier: INotifier = Notification) {}

  /** Show `message` as an error; answers the id of the notification showing it. */
  error(message: string): string {
    const known = this._shown.get(message);
    if (known) {
      const count = known.count + 1;
      const updated = this.notifier.update({
        id: known.id,
        message: repeatedMessage(message, count),
        type: 'error',
        autoClose: false
      });
      if (updated) {
        known.count = count;
        return known.id;
      }
      // Dismissed meanwhile: this one is news again.
    }
    const id = this.notifier.error(message, { autoClose: false });
    this._shown.set(message, { id, count: 1 });
    return id;
  }

  private _shown = new Map<string, { id: string; count: number }>();
}
