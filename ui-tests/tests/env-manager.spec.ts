import { expect, test } from '@jupyterlab/galata';
import fs from 'fs';

import {
  API,
  environments,
  openNewEnvironmentDialog,
  openSidebar,
  parseYaml,
  removeQuietly,
  screenshot,
  uniqueName
} from './helpers';

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
    const panel = await openSidebar(page);
    await expect(
      panel.getByRole('heading', { name: 'Environments' })
    ).toBeVisible();

    const response = await request.get(`${API}/info`);
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

    // With no kernel spec manager configured, the extension chose its own:
    // environment kernels come from it, and the panel has nothing to warn of.
    expect(info.kernels).toMatchObject({
      spec_manager: expect.stringContaining('EnvKernelSpecManager'),
      env_kernels: 'spec-manager'
    });
    await expect(panel.locator('.jp-EnvManager-notice')).toHaveCount(0);
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
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
  });

  test('an invalid name is said as it is typed, and Create stays disabled', async ({
    page,
    request
  }) => {
    const before = await environments(request);
    const dialog = await openNewEnvironmentDialog(page);
    const name = dialog.locator('#jem-name');
    const error = dialog.locator('#jem-name-error');
    const create = dialog.getByRole('button', { name: 'Create' });

    // A fresh dialog blames nothing yet, but cannot create without a name.
    await expect(error).toHaveText('');
    await expect(create).toBeDisabled();

    await name.fill('bad name!');
    await expect(error).toContainText('letters, digits');
    await expect(name).toHaveAttribute('aria-invalid', 'true');
    await expect(create).toBeDisabled();

    await name.fill('base');
    await expect(error).toContainText('reserved');
    await expect(create).toHaveAttribute('title', /reserved/);

    // Typed, then cleared: the empty name is said at once, not on Create.
    await name.fill('');
    await expect(error).toHaveText('Environment name must not be empty.');
    await expect(create).toBeDisabled();
    // Enter does not get around the disabled button either.
    await name.press('Enter');
    await expect(dialog).toBeVisible();

    await name.fill('fine-name');
    await expect(error).toHaveText('');
    await expect(name).toHaveAttribute('aria-invalid', 'false');
    await expect(create).toBeEnabled();

    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    expect(await environments(request)).toEqual(before);
  });

  test('a create the server refuses comes back as typed, with its reason', async ({
    page,
    request
  }) => {
    const before = await environments(request);
    const dialog = await openNewEnvironmentDialog(page);
    const name = uniqueName('galata-refused');
    await dialog.locator('#jem-name').fill(name);
    await dialog.locator('#jem-engine').selectOption('uv');
    await dialog.locator('#jem-python').fill('3.11');
    // A conda-only spec a PyPI venv cannot take: refused by the server only.
    await dialog.locator('#jem-packages').fill('conda-forge::numpy');
    await dialog
      .getByRole('button', { name: 'Add to Packages (PyPI)' })
      .click();
    await dialog.getByRole('button', { name: 'Create' }).click();

    const again = page.locator('.jp-Dialog');
    await expect(again.locator('.jp-EnvManager-serverError')).toContainText(
      'The server refused:'
    );
    await expect(again.locator('#jem-name')).toHaveValue(name);
    await expect(again.locator('#jem-engine')).toHaveValue('uv');
    await expect(again.locator('#jem-python')).toHaveValue('3.11');
    await expect(again.locator('.jp-EnvManager-chip')).toHaveText([
      'conda-forge::numpy×'
    ]);
    await again.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
    expect(await environments(request)).toEqual(before);
  });

  test('the same failure twice is one error toast, which stays', async ({
    page,
    request
  }) => {
    test.setTimeout(180000);
    const name = uniqueName('galata-fails');
    // A direct reference to a folder that is not there: uv gives up at once.
    const missing = 'galata-missing@file:///nonexistent/galata-missing';
    const failOnce = async () => {
      const dialog = await openNewEnvironmentDialog(page);
      await dialog.locator('#jem-name').fill(name);
      await dialog.locator('#jem-engine').selectOption('uv');
      await dialog.locator('#jem-packages').fill(missing);
      await dialog
        .getByRole('button', { name: 'Add to Packages (PyPI)' })
        .click();
      await dialog.locator('.jp-EnvManager-ipykernel').uncheck();
      await dialog.getByRole('button', { name: 'Create' }).click();
      await expect(dialog).toHaveCount(0);
    };
    try {
      const panel = await openSidebar(page);
      const cards = panel.locator('.jp-EnvManager-task', {
        hasText: `Creating ${name}`
      });
      const toasts = page.locator('.jp-Notification-Toast-error', {
        hasText: `Creating ${name} failed`
      });

      await failOnce();
      await expect(cards.first()).toHaveAttribute('data-status', 'failed', {
        timeout: 120000
      });
      await expect(toasts).toHaveCount(1, { timeout: 30000 });
      await expect(toasts).not.toContainText('(2×)');

      await failOnce();
      await expect(cards).toHaveCount(2);
      await expect(cards.nth(0)).toHaveAttribute('data-status', 'failed', {
        timeout: 120000
      });
      // Updated in place: still one toast, now counting.
      await expect(toasts).toContainText(`(2×) Creating ${name} failed`, {
        timeout: 30000
      });
      await expect(toasts).toHaveCount(1);
      // Failures wait for the user: cards and toast outlive a success's card.
      await page.waitForTimeout(10000);
      await expect(cards).toHaveCount(2);
      await expect(toasts).toHaveCount(1);
      expect((await environments(request)).map(e => e.name)).not.toContain(
        name
      );
    } finally {
      await removeQuietly(request, name);
    }
  });

  test('create a uv environment, use it as a kernel, export it, remove it', async ({
    page,
    request
  }) => {
    test.setTimeout(360000);
    const envName = uniqueName('galata-uv');
    try {
      // Create from the Launcher.
      const dialog = await openNewEnvironmentDialog(page);
      await dialog.locator('#jem-name').fill(envName);
      await dialog.locator('#jem-engine').selectOption('uv');
      await dialog.locator('#jem-python').fill('3.11');
      await expect(dialog.locator('.jp-EnvManager-ipykernel')).toBeChecked();
      await screenshot(
        dialog.locator('.jp-Dialog-content'),
        'new-environment-dialog.png'
      );
      await dialog.getByRole('button', { name: 'Create' }).click();
      await expect(dialog).toHaveCount(0);

      // Progress, then the environment in the sidebar. The task's card and
      // toast close themselves: looked for while the task runs, not after.
      const panel = await openSidebar(page);
      const item = panel.locator(
        `.jp-EnvManager-env[data-env-name="${envName}"]`
      );
      const card = panel.locator('.jp-EnvManager-task', { hasText: envName });
      await Promise.all([
        expect(card).toHaveAttribute('data-status', 'succeeded', {
          timeout: 180000
        }),
        expect(
          page.locator('.jp-Notification-Toast-success', { hasText: envName })
        ).toBeVisible({ timeout: 180000 })
      ]);
      await expect(item).toBeVisible({ timeout: 30000 });
      await expect(item.locator('.jp-EnvManager-badge')).toHaveText('uv');
      await expect(item.locator('.jp-EnvManager-python')).toContainText(
        'Python 3.11'
      );
      await expect(item.locator('.jp-EnvManager-kernelStatus')).toHaveText(
        'kernel'
      );
      // A card of a task that succeeded goes by itself after a few seconds.
      await expect(card).toHaveCount(0, { timeout: 30000 });

      const env = (await environments(request)).find(e => e.name === envName)!;
      expect(env).toBeTruthy();

      // Its kernel in the Launcher, without a reload.
      const specs = (await (await request.get('/api/kernelspecs')).json())
        .kernelspecs;
      const spec = Object.values(specs).find(
        (s: any) =>
          s.spec.metadata?.jupyter_env_manager?.env_prefix === env.prefix
      ) as any;
      expect(spec).toBeTruthy();
      await page.evaluate(async () => {
        await window.jupyterapp.commands.execute('launcher:create');
      });
      await expect(
        page
          .locator('.jp-LauncherCard:visible', {
            hasText: spec.spec.display_name
          })
          .first()
      ).toBeVisible();

      await panel.locator('.jp-EnvManager-filter').fill(envName);
      await expect(panel.locator('.jp-EnvManager-env')).toHaveCount(1);
      await screenshot(panel, 'environments-panel.png');
      await panel.locator('.jp-EnvManager-filter').fill('');

      // A notebook in the environment runs in its prefix.
      await item
        .getByRole('button', { name: `New notebook in ${envName}` })
        .click();
      await page.waitForSelector('.jp-NotebookPanel:visible');
      // Its session runs the environment's kernel. Asked of the server: after a
      // fresh `browser_check`, the toolbar's kernel name stayed "No Kernel"
      // although the kernel had started and its websocket was connected (the
      // cell below then printed the prefix); the output is what users rely on.
      await expect
        .poll(
          async () => {
            const sessions = await (await request.get('/api/sessions')).json();
            return sessions
              .filter((s: any) => s.path.endsWith('.ipynb'))
              .map((s: any) => s.kernel?.name);
          },
          { timeout: 180000 }
        )
        .toContain(spec.name);
      await page.notebook.setCell(0, 'code', 'import sys; print(sys.prefix)');
      await page.notebook.runCell(0);
      await expect
        .poll(
          async () =>
            (await page.notebook.getCellTextOutput(0))?.join('').trim(),
          {
            timeout: 60000
          }
        )
        .toBe(env.prefix);
      await page.notebook.close(true);

      // Export environment.yml: a download that parses and names the packages.
      await item.getByRole('button', { name: `Export ${envName}` }).click();
      const exportDialog = page.locator('.jp-Dialog');
      await exportDialog.locator('#jem-export-format').selectOption('yml');
      const downloading = page.waitForEvent('download');
      await exportDialog.getByRole('button', { name: 'Export' }).click();
      const downloaded = await downloading;
      expect(downloaded.suggestedFilename()).toBe('environment.yml');
      const text = fs.readFileSync(await downloaded.path(), 'utf-8');
      const yml = parseYaml(text);
      expect(yml.name).toBe(envName);
      const pip = yml.dependencies.find(
        (d: unknown) => typeof d === 'object'
      ).pip;
      expect(pip.some((p: string) => p.startsWith('ipykernel=='))).toBeTruthy();

      // The packages view lists what is installed, and previews an install.
      await item
        .getByRole('button', { name: `Show packages of ${envName}` })
        .click();
      const view = page.locator('.jp-EnvManager-packagesView:visible');
      await expect(view.locator('[data-package="ipykernel"]')).toBeVisible();
      await view.locator('.jp-EnvManager-installInput').fill('iniconfig');
      await view.getByRole('button', { name: 'Install…' }).click();
      const plan = page.locator('.jp-Dialog');
      await expect(
        plan.locator('tr[data-action="install"]', { hasText: 'iniconfig' })
      ).toBeVisible({
        timeout: 60000
      });
      await plan.getByRole('button', { name: 'Apply' }).click();
      await expect(view.locator('[data-package="iniconfig"]')).toBeVisible({
        timeout: 60000
      });
      await view.locator('.jp-EnvManager-pkgFilter').fill('ipy');
      await screenshot(view, 'packages-view.png');
      await view.locator('.jp-EnvManager-pkgFilter').fill('');

      // Remove, after a confirmation naming the folder.
      await item.getByRole('button', { name: `Remove ${envName}` }).click();
      const confirm = page.locator('.jp-Dialog');
      await expect(confirm).toContainText(env.prefix);
      await confirm.getByRole('button', { name: 'Remove' }).click();
      await expect(item).toHaveCount(0, { timeout: 60000 });
      expect(fs.existsSync(env.prefix)).toBe(false);
      expect((await environments(request)).map(e => e.name)).not.toContain(
        envName
      );
    } finally {
      await removeQuietly(request, envName);
    }
  });

  test('create an environment from a workspace environment.yml', async ({
    page,
    request,
    tmpPath
  }) => {
    test.setTimeout(180000);
    const envName = uniqueName('galata-yml');
    const yml = [
      `name: ${envName}`,
      'dependencies:',
      '  - python=3.11',
      '  - pip',
      '  - pip:',
      '    - six',
      ''
    ].join('\n');
    await page.contents.uploadContent(
      yml,
      'text',
      `${tmpPath}/environment.yml`
    );
    try {
      await page.filebrowser.refresh();
      await page
        .locator('.jp-DirListing-item[data-isdir="false"]', {
          hasText: 'environment.yml'
        })
        .click({ button: 'right' });
      await page
        .getByRole('menuitem', { name: 'Create environment from this file' })
        .click();

      const dialog = page.locator('.jp-Dialog');
      await expect(dialog.locator('.jp-EnvManager-chosenFile')).toContainText(
        'environment.yml'
      );
      await dialog.locator('#jem-engine').selectOption('uv');
      await dialog.getByRole('button', { name: 'Create' }).click();

      const panel = await openSidebar(page);
      const item = panel.locator(
        `.jp-EnvManager-env[data-env-name="${envName}"]`
      );
      await expect(item).toBeVisible({ timeout: 120000 });
      const packages = await (
        await request.get(`${API}/environments/${envName}/packages`)
      ).json();
      expect(packages.map((p: { name: string }) => p.name)).toContain('six');
    } finally {
      await removeQuietly(request, envName);
    }
  });
});
