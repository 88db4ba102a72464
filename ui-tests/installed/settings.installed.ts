/**
 * The extension's settings, as installed: its schema ships in the wheel, so
 * JupyterLab's Settings Editor offers "Environments"; turning "Confirm before
 * remove" off there makes the sidebar's Remove delete at once, no dialog.
 */
import { expect, test } from '@playwright/test';

import {
  API,
  findEnv,
  openLab,
  openSidebar,
  postJson,
  removeEnv,
  resetSettings,
  savedSettings,
  settled
} from './helpers';

test('Settings Editor: Remove stops asking when told to', async ({
  page,
  request
}) => {
  const name = `settings-${Date.now().toString(36)}`;
  try {
    const task = await postJson(request, `${API}/environments`, {
      name,
      engine: 'uv'
    });
    expect((await settled(request, task.id)).status).toBe('succeeded');

    await openLab(page, 'settings');
    await page.getByRole('menuitem', { name: 'Settings' }).click();
    await page.getByRole('menuitem', { name: /^Settings Editor/ }).click();
    await page
      .locator('.jp-PluginList-entry', { hasText: /^Environments/ })
      .first()
      .click();
    const confirm = page
      .locator('.jp-SettingsForm')
      .getByRole('checkbox', { name: 'Confirm before remove' });
    await expect(confirm).toBeChecked();
    await confirm.uncheck();
    // The Settings Editor saves a moment after the change.
    await expect
      .poll(async () => (await savedSettings(request)).confirmBeforeRemove, {
        timeout: 10000
      })
      .toBe(false);

    const sidebar = await openSidebar(page);
    const item = sidebar.locator(`.jp-EnvManager-env[data-env-name="${name}"]`);
    await expect(item).toBeVisible({ timeout: 30000 });
    await item.getByRole('button', { name: `Remove ${name}` }).click();
    await expect(item).toHaveCount(0, { timeout: 60000 });
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
    expect(await findEnv(request, name)).toBeUndefined();
  } finally {
    await resetSettings(request);
    await removeEnv(request, name);
  }
});
