/**
 * A new user's first environment, in the browser, against the wheel as installed:
 * Launcher → New environment → the environment's notebook card appears in the
 * same Launcher without a reload → a notebook in it prints its prefix.
 */
import { APIRequestContext, expect, Page, test } from '@playwright/test';

import { token } from './server';

const API = '/env-manager/api';
const auth = { Authorization: `token ${token}` };

interface IEnv {
  name: string;
  prefix: string;
}

async function getJson(request: APIRequestContext, url: string) {
  const response = await request.get(url, { headers: auth });
  expect(response.ok(), `GET ${url}: ${response.status()}`).toBeTruthy();
  return response.json();
}

async function findEnv(
  request: APIRequestContext,
  name: string
): Promise<IEnv | undefined> {
  const envs: IEnv[] = await getJson(request, `${API}/environments`);
  return envs.find(env => env.name === name);
}

/** The display name of the kernel that runs in `prefix`, if the server lists one. */
async function kernelDisplayName(
  request: APIRequestContext,
  prefix: string
): Promise<string | undefined> {
  const { kernelspecs } = await getJson(request, '/api/kernelspecs');
  const spec = Object.values(kernelspecs as Record<string, any>).find(
    entry => entry.spec.metadata?.jupyter_env_manager?.env_prefix === prefix
  );
  return spec?.spec.display_name;
}

async function removeEnv(request: APIRequestContext, name: string) {
  const response = await request.delete(
    `${API}/environments/${encodeURIComponent(name)}`,
    { headers: auth }
  );
  if (response.status() !== 202) {
    return;
  }
  const { id } = await response.json();
  await expect
    .poll(async () => (await getJson(request, `${API}/tasks/${id}`)).status, {
      timeout: 60000
    })
    .not.toMatch(/queued|running/);
}

function visibleLauncher(page: Page) {
  return page.locator('.jp-Launcher:visible');
}

test('Launcher → New environment → its notebook prints its prefix', async ({
  page,
  request
}) => {
  const name = `first-env-${Date.now().toString(36)}`;
  try {
    // The link the server prints: the token in the URL, nothing else.
    await page.goto(`/lab?token=${token}`);
    const launcher = visibleLauncher(page);
    await expect(launcher).toBeVisible({ timeout: 60000 });
    // Survives only as long as the page is not reloaded.
    await page.evaluate(() => ((window as any).__notReloaded = true));

    await launcher
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
    let display: string | undefined;
    await expect
      .poll(
        async () => (display = await kernelDisplayName(request, env.prefix))
      )
      .toBeTruthy();

    // The same Launcher, not reloaded, now offers a notebook in the environment.
    const card = visibleLauncher(page).locator('.jp-LauncherCard', {
      hasText: display!
    });
    await expect(card.first()).toBeVisible({ timeout: 10000 });
    expect(await page.evaluate(() => (window as any).__notReloaded)).toBe(true);

    await card.first().click();
    const notebook = page.locator('.jp-NotebookPanel:visible');
    await expect(notebook).toBeVisible();
    await expect(notebook.locator('.jp-KernelName')).toHaveText(display!, {
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
