/**
 * What the as-installed tests do besides clicking: REST calls with the token
 * (the preconditions and the facts to compare with), and the CLI of the venv.
 */
import { APIRequestContext, expect, Locator, Page } from '@playwright/test';
import { execFileSync } from 'child_process';

import { python, script, token } from './server';

export const API = '/env-manager/api';
export const auth = { Authorization: `token ${token}` };

export interface IEnv {
  name: string;
  prefix: string;
}

export async function getJson(request: APIRequestContext, url: string) {
  const response = await request.get(url, { headers: auth });
  expect(response.ok(), `GET ${url}: ${response.status()}`).toBeTruthy();
  return response.json();
}

export async function findEnv(
  request: APIRequestContext,
  name: string
): Promise<IEnv | undefined> {
  const envs: IEnv[] = await getJson(request, `${API}/environments`);
  return envs.find(env => env.name === name);
}

/** The display name of the kernel that runs in `prefix`, if the server lists one. */
export async function kernelDisplayName(
  request: APIRequestContext,
  prefix: string
): Promise<string | undefined> {
  const { kernelspecs } = await getJson(request, '/api/kernelspecs');
  const spec = Object.values(kernelspecs as Record<string, any>).find(
    entry => entry.spec.metadata?.jupyter_env_manager?.env_prefix === prefix
  );
  return spec?.spec.display_name;
}

/** Wait until a task ends; answer its last state. */
export async function settled(
  request: APIRequestContext,
  id: string,
  timeout = 180000
) {
  await expect
    .poll(async () => (await getJson(request, `${API}/tasks/${id}`)).status, {
      timeout
    })
    .not.toMatch(/queued|running/);
  return getJson(request, `${API}/tasks/${id}`);
}

export async function removeEnv(request: APIRequestContext, name: string) {
  const response = await request.delete(
    `${API}/environments/${encodeURIComponent(name)}`,
    { headers: auth }
  );
  if (response.status() === 202) {
    await settled(request, (await response.json()).id, 60000);
  }
}

export function visibleLauncher(page: Page) {
  return page.locator('.jp-Launcher:visible');
}

/**
 * Once the server lists the kernel in `prefix`: its display name, and the open
 * Launcher's Notebook card of it (found by that name).
 */
export async function notebookCard(
  page: Page,
  request: APIRequestContext,
  prefix: string
): Promise<{ card: Locator; display: string }> {
  let display: string | undefined;
  await expect
    .poll(async () => (display = await kernelDisplayName(request, prefix)))
    .toBeTruthy();
  const card = visibleLauncher(page).locator(
    '.jp-LauncherCard[data-category="Notebook"]',
    { hasText: display! }
  );
  return { card, display: display! };
}

/**
 * Open JupyterLab from the link the server prints (the token in the URL), with a
 * Launcher in front: a fresh workspace opens one, a restored one may not. A
 * named `workspace` starts empty, without what earlier tests left open (such
 * as a notebook whose environment is gone, which greets with a dialog).
 */
export async function openLab(page: Page, workspace?: string) {
  await page.goto(
    workspace
      ? `/lab/workspaces/${workspace}?reset&token=${token}`
      : `/lab?token=${token}`
  );
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

export async function notReloaded(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as any).__notReloaded === true);
}

/** `jupyter env-manager ARGS` in another terminal of the same user. */
export function cli(...args: string[]): string {
  return execFileSync(python, [script, 'cli', ...args], {
    encoding: 'utf-8',
    stdio: 'pipe', // its stderr goes into the error if it fails
    timeout: 240000
  });
}

/** The Environments sidebar, opened by its tab unless it is open already. */
export async function openSidebar(page: Page) {
  const panel = page.locator('#jp-env-manager-sidebar');
  if (!(await panel.isVisible())) {
    // Clicking the tab of an open sidebar would close it.
    await page
      .locator('.jp-SideBar [data-id="jp-env-manager-sidebar"]')
      .click();
  }
  await expect(panel).toBeVisible();
  return panel;
}

export async function postJson(
  request: APIRequestContext,
  url: string,
  data: unknown,
  status = 202
) {
  const response = await request.post(url, { headers: auth, data });
  expect(response.status(), `POST ${url}: ${await response.text()}`).toBe(
    status
  );
  return response.json();
}

/** Write a file into the server's root, as the file browser's upload does. */
export async function putFile(
  request: APIRequestContext,
  path: string,
  text: string
) {
  const response = await request.put(`/api/contents/${path}`, {
    headers: auth,
    data: { type: 'file', format: 'text', content: text }
  });
  expect(response.ok(), `PUT ${path}: ${response.status()}`).toBeTruthy();
}

export { parametersNotebook } from '../tests/notebooks';

export const SETTINGS = '/lab/api/settings/jupyter-env-manager:plugin';

/** The extension's settings as the user saved them (none saved: {}). */
export async function savedSettings(
  request: APIRequestContext
): Promise<Record<string, unknown>> {
  return (await getJson(request, SETTINGS)).settings ?? {};
}

/** Back to the defaults, for the tests after this one. */
export async function resetSettings(request: APIRequestContext) {
  const response = await request.put(SETTINGS, {
    headers: auth,
    data: { raw: '{}' }
  });
  expect(response.status(), `PUT ${SETTINGS}`).toBe(204);
}
