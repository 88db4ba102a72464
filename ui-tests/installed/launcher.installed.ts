/**
 * A new user's first environment, in the browser, against the wheel as installed:
 * Launcher → New environment → the environment's notebook card appears in the
 * same Launcher without a reload → a notebook in it prints its prefix.
 */
import { APIRequestContext, expect, Page, test } from '@playwright/test';
import { execFileSync } from 'child_process';

import { python, script, token } from './server';

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

/**
 * Open JupyterLab from the link the server prints (the token in the URL), with a
 * Launcher in front: a fresh workspace opens one, a restored one may not.
 */
async function openLab(page: Page) {
  await page.goto(`/lab?token=${token}`);
  await expect(page.locator('#jupyterlab-splash')).toHaveCount(0, {
    timeout: 60000
  });
  if ((await visibleLauncher(page).count()) === 0) {
    await page.getByRole('menuitem', { name: 'File' }).click();
    await page.getByRole('menuitem', { name: /^New Launcher/ }).click();
  }
  await expect(visibleLauncher(page)).toBeVisible();
  // Survives only as long as the page is not reloaded.
  await page.evaluate(() => ((window as any).__notReloaded = true));
}

async function notReloaded(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as any).__notReloaded === true);
}

/** `jupyter env-manager ARGS` in another terminal of the same user. */
function cli(...args: string[]): string {
  return execFileSync(python, [script, 'cli', ...args], {
    encoding: 'utf-8',
    stdio: 'pipe', // its stderr goes into the error if it fails
    timeout: 240000
  });
}

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
    expect(await notReloaded(page)).toBe(true);

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

test('an environment made by the CLI in another terminal comes and goes in the open Launcher', async ({
  page,
  request
}) => {
  const name = `cli-env-${Date.now().toString(36)}`;
  try {
    await openLab(page);
    cli('create', '-n', name, '--engine', 'uv', 'ipykernel');
    const env = (await findEnv(request, name))!;
    expect(env).toBeTruthy();
    let display: string | undefined;
    await expect
      .poll(
        async () => (display = await kernelDisplayName(request, env.prefix))
      )
      .toBeTruthy();
    const card = visibleLauncher(page).locator('.jp-LauncherCard', {
      hasText: display!
    });
    await expect(card.first()).toBeVisible();

    cli('remove', '-n', name, '-y');
    await expect(card).toHaveCount(0);
    expect(await notReloaded(page)).toBe(true);
  } finally {
    await removeEnv(request, name);
  }
});
