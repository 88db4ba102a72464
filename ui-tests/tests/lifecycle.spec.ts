/**
 * Environment lifecycle in the browser: the History tab rolls a real uv
 * environment back with a preview first; the sidebar's Disk section shows the
 * environment's size and cleans the package caches after a preview.
 * Preconditions over REST; the flows under test through the UI only.
 */
import { expect, test } from '@jupyterlab/galata';
import { APIRequestContext } from '@playwright/test';
import fs from 'fs';
import os from 'os';
import path from 'path';

import {
  API,
  createOverRest,
  envItem,
  refreshedSidebar,
  removeQuietly,
  settled,
  uniqueName
} from './helpers';

test.use({ autoGoto: true });
test.setTimeout(300000);

async function sixVersion(
  request: APIRequestContext,
  name: string
): Promise<string | undefined> {
  const response = await request.get(
    `${API}/environments/${encodeURIComponent(name)}/packages`
  );
  expect(response.ok()).toBeTruthy();
  const packages: { name: string; version: string }[] = await response.json();
  return packages.find(p => p.name === 'six')?.version;
}

/** The server's state folder (see jupyter_server_test_config.py). */
function stateFolder(): string {
  if (process.env.JEM_GALATA_STATE) {
    return process.env.JEM_GALATA_STATE;
  }
  const port = process.env.JEM_GALATA_PORT || '8888';
  const suffix = port === '8888' ? '' : `-${port}`;
  return path.join(os.tmpdir(), `jem-galata-${process.getuid!()}${suffix}`);
}

test.describe('environment lifecycle', () => {
  test('roll an environment back from its history, after a preview', async ({
    page,
    request
  }) => {
    const name = uniqueName('hist');
    try {
      await createOverRest(request, {
        name,
        engine: 'uv',
        packages: ['six==1.16.0']
      });
      const install = await request.post(
        `${API}/environments/${encodeURIComponent(name)}/packages`,
        { data: { action: 'install', packages: ['six==1.17.0'] } }
      );
      expect(install.status()).toBe(202);
      expect((await settled(request, (await install.json()).id)).status).toBe(
        'succeeded'
      );
      expect(await sixVersion(request, name)).toBe('1.17.0');

      const panel = await refreshedSidebar(page);
      await envItem(panel, name)
        .getByRole('button', { name: `Show packages of ${name}` })
        .click();
      const view = page.locator(
        `.jp-EnvManager-packagesView:visible[id="jp-env-manager-packages-${encodeURIComponent(name)}"]`
      );
      await view.getByRole('tab', { name: 'History' }).click();
      const history = view.locator('.jp-EnvManager-tab-history');
      await expect(history.locator('[data-revision="1"]')).toContainText(
        'install six==1.17.0'
      );
      await expect(history.locator('[data-revision="0"]')).toContainText(
        'create'
      );

      await history
        .getByRole('button', { name: 'Roll back to revision 0' })
        .click();
      const dialog = page.locator('.jp-Dialog');
      const row = dialog.locator('tr[data-action="downgrade"]');
      await expect(row).toContainText('six');
      await expect(row).toContainText('1.17.0');
      await expect(row).toContainText('1.16.0');
      // The preview changed nothing.
      expect(await sixVersion(request, name)).toBe('1.17.0');
      await dialog.getByRole('button', { name: 'Roll back' }).click();

      await expect
        .poll(() => sixVersion(request, name), { timeout: 120000 })
        .toBe('1.16.0');
      await expect(history.locator('[data-revision="2"]')).toContainText(
        'rollback --revision 0'
      );
    } finally {
      await removeQuietly(request, name);
    }
  });

  test('a protected environment is badged read-only and offers no rollback', async ({
    page,
    request
  }) => {
    const name = 'jem-galata-protected'; // EnvManager.protected_environments
    const prefix = path.join(stateFolder(), 'venvs', name);
    try {
      const env = await createOverRest(request, {
        name,
        engine: 'uv',
        packages: ['six==1.16.0']
      });
      expect(env.prefix).toBe(prefix);
      const refused = await request.post(
        `${API}/environments/${name}/packages`,
        { data: { action: 'install', packages: ['six==1.17.0'] } }
      );
      expect(refused.status()).toBe(403);

      const panel = await refreshedSidebar(page);
      const item = envItem(panel, name);
      const badge = item.locator('.jp-EnvManager-readOnly');
      await expect(badge).toHaveText('read-only');
      await expect(badge).toHaveAttribute('title', /protected_environments/);
      await item
        .getByRole('button', { name: `Show packages of ${name}` })
        .click();
      const view = page.locator(
        `.jp-EnvManager-packagesView:visible[id="jp-env-manager-packages-${name}"]`
      );
      await view.getByRole('tab', { name: 'History' }).click();
      const history = view.locator('.jp-EnvManager-tab-history');
      await expect(history.locator('[data-revision="0"]')).toContainText(
        'create'
      );
      await expect(history.locator('.jp-EnvManager-rollBack')).toHaveCount(0);
    } finally {
      // Removal is refused for a protected env, by design: take its folder away.
      fs.rmSync(prefix, { recursive: true, force: true });
    }
  });

  test('see disk use and clean the caches after a preview', async ({
    page,
    request
  }) => {
    const name = uniqueName('disk');
    // A tarball in rattler's cache: what `conda clean --tarballs` takes.
    const pkgs = path.join(stateFolder(), 'rattler-cache', 'pkgs');
    const tarball = path.join(pkgs, 'unused-1.0-h0000000_0.tar.bz2');
    try {
      await createOverRest(request, { name, engine: 'uv', packages: ['six'] });
      fs.mkdirSync(pkgs, { recursive: true });
      fs.writeFileSync(tarball, Buffer.alloc(64 * 1024, 1));

      const panel = await refreshedSidebar(page);
      const disk = panel.locator('.jp-EnvManager-disk');
      await disk.getByRole('button', { name: 'Show disk use' }).click();
      await expect(disk.locator(`tr[data-env-name="${name}"]`)).toBeVisible({
        timeout: 60000
      });
      await expect(disk.locator('[data-cache="rattler"]')).toContainText(
        'rattler cache'
      );

      await disk.getByRole('button', { name: 'Clean up…' }).click();
      const dialog = page.locator('.jp-Dialog');
      await expect(
        dialog.locator('[data-cache="rattler"] [data-what="tarball"]')
      ).toContainText('unused-1.0-h0000000_0.tar.bz2');
      expect(fs.existsSync(tarball)).toBe(true); // a preview removes nothing
      await dialog.getByRole('button', { name: 'Clean up' }).click();

      await expect(disk.locator('.jp-EnvManager-diskFreed')).toContainText(
        'Freed',
        { timeout: 120000 }
      );
      expect(fs.existsSync(tarball)).toBe(false);
      // The environment is still whole.
      expect(await sixVersion(request, name)).toBeTruthy();
    } finally {
      fs.rmSync(tarball, { force: true });
      await removeQuietly(request, name);
    }
  });
});
