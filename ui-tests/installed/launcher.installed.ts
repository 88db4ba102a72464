/**
 * A new user's first environment, in the browser, against the wheel as installed:
 * Launcher → New environment → the environment's notebook card appears in the
 * same Launcher without a reload → a notebook in it prints its prefix.
 */
import { expect, test } from '@playwright/test';

import {
  cli,
  findEnv,
  notebookCard,
  notReloaded,
  openLab,
  openSidebar,
  removeEnv,
  visibleLauncher
} from './helpers';

test('Launcher → New environment → its notebook prints its prefix', async ({
  page,
  request
}) => {
  const name = `first-env-${Date.now().toString(36)}`;
  try {
    await openLab(page);
    await visibleLauncher(page)
      .locator(
        '.jp-LauncherCard[title="Create a conda environment or virtualenv"]'
      )
      .click();
    const dialog = page.locator('.jp-Dialog');
    await dialog.locator('#jem-name').fill(name);
    await dialog.locator('#jem-engine').selectOption('uv');
    await dialog.locator('#jem-packages').fill('ipykernel');
    await dialog
      .getByRole('button', { name: /^Add to/ })
      .first()
      .click();
    await expect(
      dialog.locator('.jp-EnvManager-chip', { hasText: 'ipykernel' })
    ).toBeVisible();
    await dialog.getByRole('button', { name: 'Create' }).click();
    await expect(dialog).toHaveCount(0);

    await expect
      .poll(async () => (await findEnv(request, name))?.prefix, {
        timeout: 180000
      })
      .toBeTruthy();
    const env = (await findEnv(request, name))!;

    // The same Launcher, not reloaded, now offers a notebook in the environment.
    const { card, display } = await notebookCard(page, request, env.prefix);
    await expect(card.first()).toBeVisible({ timeout: 10000 });
    expect(await notReloaded(page)).toBe(true);

    await card.first().click();
    const notebook = page.locator('.jp-NotebookPanel:visible');
    await expect(notebook).toBeVisible();
    await expect(notebook.locator('.jp-KernelName')).toHaveText(display, {
      timeout: 60000
    });
    // Typing before the notebook settles lands in command mode (keys become
    // shortcuts): wait for its kernel, as a user waits for "Idle".
    await expect(
      page.locator('.jp-StatusBar-Item', { hasText: `${display} | Idle` })
    ).toBeVisible({ timeout: 120000 });
    const cell = notebook.locator('.jp-Cell').first();
    await cell.locator('.cm-content').click();
    await expect(cell.locator('.cm-editor')).toHaveClass(/cm-focused/);
    await page.keyboard.type('import sys; print(sys.prefix)');
    await expect(cell.locator('.cm-content')).toHaveText(
      'import sys; print(sys.prefix)'
    );
    await page.keyboard.press('Shift+Enter');
    await expect(cell.locator('.jp-OutputArea-output')).toHaveText(env.prefix, {
      timeout: 120000
    });
  } finally {
    await removeEnv(request, name);
  }
});

test('an environment made by the CLI in another terminal comes and goes in the open Launcher and panel', async ({
  page,
  request
}) => {
  const name = `cli-env-${Date.now().toString(36)}`;
  try {
    await openLab(page);
    cli('create', '-n', name, '--engine', 'uv', 'ipykernel');
    const env = (await findEnv(request, name))!;
    expect(env).toBeTruthy();
    const { card, display } = await notebookCard(page, request, env.prefix);
    await expect(card.first()).toBeVisible();

    // The panel offers it as a kernel, and its Notebook button opens one in it.
    const item = (await openSidebar(page)).locator(
      `.jp-EnvManager-env[data-env-name="${name}"]`
    );
    await expect(item.locator('.jp-EnvManager-kernelStatus')).toHaveText(
      'kernel'
    );
    await item.getByRole('button', { name: `New notebook in ${name}` }).click();
    await expect(
      page.locator('.jp-NotebookPanel:visible .jp-KernelName')
    ).toHaveText(display, { timeout: 60000 });

    cli('remove', '-n', name, '-y');
    await expect(item).toHaveCount(0);
    await page.getByRole('menuitem', { name: 'File' }).click();
    await page.getByRole('menuitem', { name: /^New Launcher/ }).click();
    await expect(visibleLauncher(page)).toBeVisible();
    await expect(card).toHaveCount(0);
    expect(await notReloaded(page)).toBe(true);
  } finally {
    await removeEnv(request, name);
  }
});
