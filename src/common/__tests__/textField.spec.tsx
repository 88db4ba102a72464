/**
 * The shared text field as rendered (jsdom): its label names the input and
 * its error describes it, as screen readers need.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import React from 'react';
import { act } from 'react';

import { TextField } from '../textField';

async function render(element: JSX.Element): Promise<Widget> {
  const widget = ReactWidget.create(element);
  await act(async () => {
    Widget.attach(widget, document.body);
    MessageLoop.flush();
  });
  return widget;
}

describe('TextField', () => {
  it('links label, input and error, and marks the input invalid', async () => {
    const widget = await render(
      <TextField
        id="jem-seed"
        label="Seed"
        numeric
        value="x"
        error="A whole number"
        onChange={() => undefined}
      />
    );
    const input = widget.node.querySelector('input')!;
    const label = widget.node.querySelector('label')!;
    expect(label.htmlFor).toBe('jem-seed');
    expect(label.textContent).toBe('Seed');
    expect(input.inputMode).toBe('numeric');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    const error = document.getElementById(
      input.getAttribute('aria-describedby')!
    )!;
    expect(error.textContent).toBe('A whole number');
    widget.dispose();
  });

  it('keeps an empty error node while the value is fine', async () => {
    const widget = await render(
      <TextField id="jem-name" label="Name" value="ok" onChange={() => 0} />
    );
    const input = widget.node.querySelector('input')!;
    expect(input.getAttribute('aria-invalid')).toBe('false');
    expect(document.getElementById('jem-name-error')?.textContent).toBe('');
    widget.dispose();
  });
});
