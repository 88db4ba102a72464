/**
 * A user whose own config names another kernel spec manager (as JupyterHub images,
 * Enterprise Gateway or nb_conda_kernels setups do): the panel says who serves
 * kernels, and an environment still becomes a notebook card in the open Launcher,
 * through the kernelspec files the extension keeps for that manager.
 */
import { expect, test } from '@playwright/test';
import { ChildProcess, spawn } from 'child_process';
import path from 'path';

import {
  API,
  auth,
  findEnv,
  getJson,
  notebookCard,
  notReloaded,
  openLab,
  openSidebar,
  removeEnv,
  settled
} from './helpers';
import { folder, otherPort, python, script, token } from './server';

const OTHER_MANAGER = 'jupyter_client.kernelspec.KernelSpecManager';
const origin = `http://127.0.0.1:${otherPort}`;
let server: ChildProcess | undefined;

test.use({ baseURL: origin });

test.beforeAll(async ({ request }) => {
  // The venv the main server was installed into; a HOME of this user's own.
  server = spawn(
    python,
    [
      script,
      '--folder',
      `${folder}-other`,
      'serve',
      '--venv',
      path.join(folder, 'venv'),
      '--port',
      String(otherPort),
      '--token',
      token,
      '--kernel-spec-manager',
      OTHER_MANAGER
    ],
    { detached: true, stdio: 'ignore' }
  );
  await expect
    .poll(
      async () =>
        (
          await request
            .get(`${origin}/api/status`, { headers: auth })
            .catch(() => null)
        )?.status(),
      { timeout: 60000 }
    )
    .toBe(200);
});

test.afterAll(() => {
  if (server?.pid) {
    // Its own process group: the server and the kernels it started.
    process.kill(-server.pid, 'SIGTERM');
  }
});

test('the panel names the manager in charge; environments still become kernels', async ({
  page,
  request
}) => {
  const name = `other-ksm-${Date.now().toString(36)}`;
  try {
    const info = await getJson(request, `${API}/info`);
    expect(info.kernels).toMatchObject({
      spec_manager: OTHER_MANAGER,
      env_kernels: 'kernelspec-files'
    });

    await openLab(page);
    const notice = (await openSidebar(page)).locator('.jp-EnvManager-notice');
    await expect(notice).toBeVisible();
    await expect(notice).toHaveAttribute(
      'data-env-kernels',
      'kernelspec-files'
    );
    await expect(notice).toContainText(info.kernels.message);

    // Made by another client of the server: the open page learns of it by itself.
    const made = await request.post(`${API}/environments`, {
      headers: auth,
      data: { name, engine: 'uv', pip: ['ipykernel'] }
    });
    expect(made.status()).toBe(202);
    expect((await settled(request, (await made.json()).id)).status).toBe(
      'succeeded'
    );
    const env = (await findEnv(request, name))!;
    const { card } = await notebookCard(page, request, env.prefix);
    await expect(card).toBeVisible();
    const item = page.locator(
      `#jp-env-manager-sidebar .jp-EnvManager-env[data-env-name="${name}"]`
    );
    await expect(item.locator('.jp-EnvManager-kernelStatus')).toHaveText(
      'kernel'
    );
    expect(await notReloaded(page)).toBe(true);
  } finally {
    await removeEnv(request, name);
  }
});
