import { expect, test } from '@jupyterlab/galata';

test.describe('jupyter-env-manager', () => {
  test('loads without errors', async ({ page }) => {
    const errors: string[] = [];
    page.on('console', message => {
      if (message.type() === 'error' && /env-manager/i.test(message.text())) {
        errors.push(message.text());
      }
    });
    await page.reload();
    await page.waitForSelector('#jp-env-manager-sidebar', {
      state: 'attached'
    });
    expect(errors).toEqual([]);
  });

  test('the Environments sidebar shows the server version and engines', async ({
    page,
    request
  }) => {
    const tab = page.getByRole('tab', { name: 'Environments' });
    await tab.click();

    const panel = page.locator('#jp-env-manager-sidebar');
    await expect(panel).toBeVisible();
    await expect(
      panel.getByRole('heading', { name: 'Environments' })
    ).toBeVisible();

    // The page itself is authenticated; ask the server what it reports.
    const token = await page.evaluate(
      () =>
        document.body.dataset.jupyterToken ??
        JSON.parse(
          document.getElementById('jupyter-config-data')?.textContent ?? '{}'
        ).token
    );
    const response = await request.get('/env-manager/api/info', {
      headers: token ? { Authorization: `token ${token}` } : {}
    });
    expect(response.ok()).toBeTruthy();
    const info = await response.json();

    await expect(panel.locator('.jp-EnvManager-version')).toHaveText(
      `jupyter-env-manager ${info.version}`
    );
    const rattler = panel.locator(
      '.jp-EnvManager-engine[data-engine="rattler"]'
    );
    await expect(rattler).toContainText(
      info.engines.find((e: { name: string }) => e.name === 'rattler').version
    );
    await expect(panel.locator('.jp-EnvManager-engine')).toHaveCount(
      info.engines.length
    );
  });

  test('the Launcher shows a "New environment" card', async ({ page }) => {
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('launcher:create');
    });
    // Only the launcher in the active tab is visible; others may exist.
    const card = page.locator(
      '.jp-LauncherCard:visible[title="Create a conda environment or virtualenv"]'
    );
    await expect(card).toBeVisible();
    await expect(card).toContainText('New environment');
    await expect(
      page.locator('.jp-Launcher-sectionTitle:visible', {
        hasText: 'Environments'
      })
    ).toBeVisible();

    await card.click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText('New environment');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toHaveCount(0);
  });
});
