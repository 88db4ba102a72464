/**
 * Notebooks that carry their environment, in the browser: pin an environment
 * from the notebook's toolbar; open a pinned notebook whose environment is
 * gone, click "Recreate environment", and the notebook runs in it again.
 * Real uv environments with ipykernel, a real server writing the pin.
 */
import { expect, test } from '@jupyterlab/galata';

import {
  API,
  createOverRest,
  removeQuietly,
  settled,
  uniqueName
} from './helpers';

function notebook(kernel?: { name: string; display_name: string }): string {
  return JSON.stringify({
    cells: [
      {
        cell_type: 'code',
        execution_count: null,
        id: 'probe',
        metadata: {},
        outputs: [],
        source: 'import sys; print(sys.prefix)'
      }
    ],
    metadata: kernel ? { kernelspec: { ...kernel, language: 'python' } } : {},
    nbformat: 4,
    nbformat_minor: 5
  });
}

// Wide enough that the notebook toolbar shows every item instead of folding some.
test.use({ autoGoto: true, viewport: { width: 1600, height: 900 } });

test('pin from the toolbar, lose the environment, recreate it from the notebook', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(240000);
  const name = uniqueName('pinned');
  const env = await createOverRest(request, {
    name,
    engine: 'uv',
    pip: ['ipykernel']
  });
  const kernel = `venv-${name}-py`;
  const path = `${tmpPath}/travels.ipynb`;
  try {
    await page.contents.uploadContent(
      notebook({ name: kernel, display_name: name }),
      'text',
      path
    );
    await page.notebook.openByPath(path);
    const indicator = page.locator(
      '.jp-NotebookPanel:visible .jp-EnvManager-pin'
    );
    await expect(indicator).toHaveAttribute('data-state', 'unpinned');

    // Pin: the dialog offers the environment the notebook's kernel runs in.
    await indicator.getByRole('button').click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog.locator('select')).toHaveValue(name);
    await dialog.getByRole('button', { name: 'OK' }).click();
    // Writing the pin reads the environment's packages: seconds on a busy machine.
    await expect(indicator).toHaveAttribute('data-state', 'match', {
      timeout: 30000
    });
    const saved = await request.get(`/api/contents/${path}?content=1`);
    const pin = (await saved.json()).content.metadata.jupyter_env_manager.pin;
    expect(pin.environment.name).toBe(name);
    expect(pin.kernel).toBe(kernel);
    await page.notebook.close(true);

    // The environment goes; the notebook says so and offers to recreate it.
    const removal = await request.delete(
      `${API}/environments/${encodeURIComponent(name)}`
    );
    expect(removal.status()).toBe(202);
    expect((await settled(request, (await removal.json()).id)).status).toBe(
      'succeeded'
    );
    await page.notebook.openByPath(path);
    const reopened = page.locator(
      '.jp-NotebookPanel:visible .jp-EnvManager-pin'
    );
    await expect(reopened).toHaveAttribute('data-state', 'missing');
    // JupyterLab asks for another kernel when the notebook's is unknown, at a
    // moment of its own (isVisible does not wait): a modal that would swallow the
    // click. Dismiss it whenever it shows, until the click lands.
    const chooser = page.locator('.jp-Dialog');
    const recreate = page.getByRole('button', { name: 'Recreate environment' });
    await expect(async () => {
      if (await chooser.isVisible()) {
        await chooser.getByRole('button', { name: /No Kernel|Cancel/ }).click();
      }
      await recreate.click({ timeout: 2000 });
    }).toPass({ timeout: 60000 });
    await expect(reopened).toHaveAttribute('data-state', 'match', {
      timeout: 180000
    });

    // Its kernel starts, in the rebuilt environment.
    await page.notebook.runCell(0);
    await expect
      .poll(
        async () => (await page.notebook.getCellTextOutput(0))?.join('').trim(),
        { timeout: 60000 }
      )
      .toBe(env.prefix);
    await page.notebook.close(true);
  } finally {
    await removeQuietly(request, name);
  }
});
