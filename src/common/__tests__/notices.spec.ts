/**
 * Shared pieces of the UI: error toasts that do not stack (on JupyterLab's
 * real notification manager) and forms that survive a refusal.
 */
import { Notification } from '@jupyterlab/apputils';

import { ErrorNotices, repeatedMessage } from '../notices';
import { submitUntilAccepted } from '../resubmit';

describe('ErrorNotices', () => {
  afterEach(() => Notification.dismiss());

  it('updates an identical error in place instead of stacking it', () => {
    const notices = new ErrorNotices();
    const first = notices.error('Creating ml failed: no such package');
    const again = notices.error('Creating ml failed: no such package');
    expect(again).toBe(first);
    expect(Notification.manager.count).toBe(1);
    const [shown] = Notification.manager.notifications;
    expect(shown.message).toBe('(2×) Creating ml failed: no such package');
    expect(shown.type).toBe('error');
    // Errors stay until dismissed.
    expect(shown.options.autoClose).toBe(false);

    // A different error is a different toast.
    notices.error('Removing ml failed: busy');
    expect(Notification.manager.count).toBe(2);
  });

  it('shows an error anew once its toast was dismissed', () => {
    const notices = new ErrorNotices();
    const first = notices.error('Cloning into x failed: disk full');
    Notification.dismiss(first);
    const second = notices.error('Cloning into x failed: disk full');
    expect(second).not.toBe(first);
    expect(Notification.manager.notifications.map(n => n.message)).toEqual([
      'Cloning into x failed: disk full'
    ]);
  });

  it('puts the count first, where a cut toast still shows it', () => {
    expect(repeatedMessage('m', 1)).toBe('m');
    expect(repeatedMessage('m', 3)).toBe('(3×) m');
  });
});

describe('submitUntilAccepted', () => {
  it('reopens the form as typed, with the refusal, until accepted', async () => {
    const asked: unknown[] = [];
    const forms = [{ name: 'bad' }, { name: 'good' }];
    const result = await submitUntilAccepted(
      async refused => {
        asked.push(refused);
        const form = forms[asked.length - 1];
        return { form, request: form.name };
      },
      async (request: string) => {
        if (request === 'bad') {
          throw new Error('Environment "bad" already exists.');
        }
        return `started ${request}`;
      }
    );
    expect(result).toBe('started good');
    expect(asked).toEqual([
      null,
      { form: { name: 'bad' }, error: 'Environment "bad" already exists.' }
    ]);
  });

  it('answers null when the user cancels, after a refusal too', async () => {
    let submitted = 0;
    let asks = 0;
    const result = await submitUntilAccepted(
      async () => (++asks === 1 ? { form: 1, request: 1 } : null),
      async () => {
        submitted += 1;
        throw new Error('refused');
      }
    );
    expect(result).toBeNull();
    expect(asks).toBe(2);
    expect(submitted).toBe(1);
  });
});
