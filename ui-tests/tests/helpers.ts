/**
 * Helpers shared by the environment specs: REST calls to the server under
 * test, and the ways into the sidebar and the New-environment dialog.
 */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, Locator } from '@playwright/test';
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';

const PYTHON = process.env.JEM_PYTHON ?? 'python';
export const API = '/env-manager/api';

export interface IEnv {
  name: string;
  prefix: string;
  engine: string;
  python_version: string | null;
  has_ipykernel: boolean;
}

export interface IPackage {
  name: string;
  version: string;
}

export interface ITask {
  id: string;
  operation: string;
  environment: string;
  status: string;
  log: string[];
}

const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');

/**
 * Write the README's screenshot `name` from `locator`, only when asked
 * (UPDATE_SCREENSHOTS=1): a test run leaves the work tree as it found it.
 */
export async function screenshot(locator: Locator, name: string) {
  if (process.env.UPDATE_SCREENSHOTS !== '1') {
    return;
  }
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await locator.screenshot({ path: path.join(SCREENSHOTS, name) });
}

export function uniqueName(stem: string): string {
  return `${stem}-${Date.now().toString(36)}`;
}

export async function environments(
  request: APIRequestContext
): Promise<IEnv[]> {
  const response = await request.get(`${API}/environments`);
  expect(response.ok()).toBeTruthy();
  return response.json();
}

/** The environment's packages as `name==version`, sorted. */
export async function pins(
  request: APIRequestContext,
  name: string
): Promise<string[]> {
  const response = await request.get(
    `${API}/environments/${encodeURIComponent(name)}/packages`
  );
  expect(response.ok()).toBeTruthy();
  return ((await response.json()) as IPackage[])
    .map(p => `${p.name}==${p.version}`)
    .sort();
}

export async function task(
  request: APIRequestContext,
  id: string
): Promise<ITask> {
  const response = await request.get(`${API}/tasks/${id}`);
  expect(response.ok()).toBeTruthy();
  return response.json();
}

/** Wait until a task ends; answer its last state. */
export async function settled(
  request: APIRequestContext,
  id: string,
  timeout = 180000
): Promise<ITask> {
  await expect
    .poll(async () => (await task(request, id)).status, { timeout })
    .not.toMatch(/queued|running/);
  return task(request, id);
}

/**
 * Create an environment over REST, as another client of the server would:
 * the precondition of a test, not what it tests.
 */
export async function createOverRest(
  request: APIRequestContext,
  body: Record<string, unknown>
): Promise<IEnv> {
  const response = await request.post(`${API}/environments`, { data: body });
  expect(response.status()).toBe(202);
  const done = await settled(request, (await response.json()).id);
  expect(done.status).toBe('succeeded');
  const env = (await environments(request)).find(e => e.name === body.name);
  expect(env).toBeTruthy();
  return env!;
}

/** Parse YAML with PyYAML: a real parser, not a regular expression. */
export function parseYaml(text: string): any {
  return JSON.parse(
    execFileSync(
      PYTHON,
      [
        '-c',
        'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'
      ],
      { input: text, encoding: 'utf-8' }
    )
  );
}

export async function openSidebar(page: IJupyterLabPageFixture) {
  // Activating is idempotent; clicking the tab of an open panel would close it.
  await page.evaluate(() => {
    window.jupyterapp.shell.activateById('jp-env-manager-sidebar');
  });
  const panel = page.locator('#jp-env-manager-sidebar');
  await expect(panel).toBeVisible();
  return panel;
}

/** The sidebar, reloaded: shows environments made since the page loaded. */
export async function refreshedSidebar(page: IJupyterLabPageFixture) {
  const panel = await openSidebar(page);
  await panel.getByRole('button', { name: 'Refresh environments' }).click();
  return panel;
}

export function envItem(
  panel: ReturnType<IJupyterLabPageFixture['locator']>,
  name: string
) {
  return panel.locator(`.jp-EnvManager-env[data-env-name="${name}"]`);
}

export async function openLauncher(page: IJupyterLabPageFixture) {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('launcher:create');
  });
}

export async function openNewEnvironmentDialog(page: IJupyterLabPageFixture) {
  await openLauncher(page);
  await page
    .locator(
      '.jp-LauncherCard:visible[title="Create a conda environment or virtualenv"]'
    )
    .click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('#jem-name')).toBeVisible();
  return dialog;
}

export async function removeQuietly(request: APIRequestContext, name: string) {
  const response = await request.delete(
    `${API}/environments/${encodeURIComponent(name)}`
  );
  if (response.status() !== 202) {
    return;
  }
  await settled(request, (await response.json()).id, 60000);
}

export { parametersNotebook } from './notebooks';
