/**
 * The extension's settings, changed where a user changes them (JupyterLab's
 * Settings Editor), take effect at once: the New-environment dialog preselects
 * the default engine and channels, and Remove asks nothing when told not to.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import {
  createOverRest,
  environments,
  envItem,
  openNewEnvironmentDialog,
  refreshedSidebar,
  removeQuietly,
  uniqueName
} from './helpers';

/** The Settings Editor's form for this extension ("Environments"). */
async function openEnvironmentSettings(page: IJupyterLabPageFixture) {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('settingeditor:open', {
      query: 'Environments'
    });
  });
  const editor = page.locator('.jp-SettingsPanel');
  await expect(editor).toBeVisible();
  await page
    .locator('.jp-PluginList-entry', { hasText: /^Environments/ })
    .first()
    .click();
  const form = page.locator('.jp-SettingsForm', {
    hasText: 'Confirm before remove'
  });
  await expect(form).toBeVisible();
  return form;
}

/** The value the settings registry holds for one of this extension's settings. */
async function savedSetting(
  page: IJupyterLabPageFixture,
  key: string
): Promise<unknown> {
  return page.evaluate(async key => {
    const registry = await window.galata.getPlugin(
      '@jupyterlab/apputils-extension:settings'
    );
    const settings = await registry!.load('jupyter-env-manager:plugin');
    return settings.composite[key];
  }, key);
}

test('settings change the dialog defaults and whether Remove asks', async ({
  page,
  request
}) => {
  test.setTimeout(180000);
  const name = uniqueName('galata-set');
  try {
    await createOverRest(request, { name, engine: 'uv' });

    const form = await openEnvironmentSettings(page);
    // The form's select has no label of its own: the one under its heading.
    await form
      .locator('div', {
        has: page.getByRole('heading', { name: 'Default engine' })
      })
      .last()
      .locator('select')
      .selectOption('uv');
    await form
      .getByRole('checkbox', { name: 'Confirm before remove' })
      .uncheck();
    await expect(
      form.getByRole('checkbox', { name: 'Confirm before remove' })
    ).not.toBeChecked();

    // The Settings Editor saves a moment after the change.
    await expect
      .poll(() => savedSetting(page, 'confirmBeforeRemove'), { timeout: 10000 })
      .toBe(false);
    expect(await savedSetting(page, 'defaultEngine')).toBe('uv');

    // The dialog opens on the engine the settings chose.
    const dialog = await openNewEnvironmentDialog(page);
    await expect(dialog.locator('#jem-engine')).toHaveValue('uv');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);

    // Remove starts at once: no confirmation dialog.
    const panel = await refreshedSidebar(page);
    const item = envItem(panel, name);
    await expect(item).toBeVisible({ timeout: 30000 });
    await item.getByRole('button', { name: `Remove ${name}` }).click();
    await expect(item).toHaveCount(0, { timeout: 60000 });
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
    expect((await environments(request)).map(e => e.name)).not.toContain(name);
  } finally {
    await removeQuietly(request, name);
  }
});
