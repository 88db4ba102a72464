/**
 * What the sidebar does to an existing environment, and the New-environment
 * dialog's upload: clone, add and remove a kernel, cancel a creation, create
 * from an uploaded file, export into the current folder. Real uv environments
 * on the real server; preconditions are made over REST, the flows under test
 * through the UI only.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { APIRequestContext } from '@playwright/test';
import { execFile } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { pathToFileURL } from 'url';
import { promisify } from 'util';

import {
  API,
  createOverRest,
  environments,
  envItem,
  openLauncher,
  openNewEnvironmentDialog,
  openSidebar,
  parseYaml,
  pins,
  refreshedSidebar,
  removeQuietly,
  settled,
  task,
  uniqueName
} from './helpers';

/** The CLI of the Python the server runs on (ui-tests run with its venv on PATH). */
const CLI = process.env.JEM_CLI ?? 'jupyter-env-manager';

/**
 * Run the CLI as in another terminal, on the test server's folders (given by
 * the server's state folder, where its venvs are).
 */
async function cli(state: string, ...args: string[]): Promise<string> {
  const config = localTempDir('jem-galata-cli-config');
  try {
    fs.writeFileSync(
      path.join(config, 'jupyter_env_manager_config.json'),
      JSON.stringify({
        EnvManager: {
          venvs_dir: path.join(state, 'venvs'),
          envs_dirs: [path.join(state, 'envs')],
          locks_dir: path.join(state, 'locks'),
          rattler_cache_dir: path.join(state, 'rattler-cache')
        }
      })
    );
    const { stdout } = await promisify(execFile)(CLI, args, {
      env: {
        ...process.env,
        JUPYTER_CONFIG_DIR: config,
        JUPYTER_DATA_DIR: path.join(state, 'jupyter-data')
      },
      timeout: 240000
    });
    return stdout;
  } finally {
    fs.rmSync(config, { recursive: true, force: true });
  }
}

/** Two small pure-Python wheels at fixed versions: what the tests check for. */
const PINNED = ['iniconfig==2.0.0', 'six==1.16.0'];

/** A folder of the local machine, outside the server's root. */
function localTempDir(stem: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${stem}-`));
}

/** Kernel specs the server lists for the environment at `prefix`. */
async function kernelsOf(
  request: APIRequestContext,
  prefix: string
): Promise<{ name: string; displayName: string }[]> {
  const response = await request.get('/api/kernelspecs');
  expect(response.ok()).toBeTruthy();
  const specs = (await response.json()).kernelspecs as Record<string, any>;
  return Object.entries(specs)
    .filter(
      ([, spec]) =>
        spec.spec.metadata?.jupyter_env_manager?.env_prefix === prefix
    )
    .map(([name, spec]) => ({ name, displayName: spec.spec.display_name }));
}

/** Notebook cards of the Launcher in view whose text contains `text`. */
function notebookCards(page: IJupyterLabPageFixture, text: string) {
  return page.locator('.jp-LauncherCard:visible[data-category="Notebook"]', {
    hasText: text
  });
}

/** A new Launcher, once it shows its Notebook cards. */
async function launcherInView(page: IJupyterLabPageFixture) {
  await openLauncher(page);
  await expect(
    page.locator('.jp-LauncherCard:visible[data-category="Notebook"]').first()
  ).toBeVisible();
}

/** A sidebar task, by the title the sidebar gives it. */
function taskItem(
  panel: ReturnType<IJupyterLabPageFixture['locator']>,
  title: string
) {
  return panel.locator(`.jp-EnvManager-task[aria-label="${title}"]`);
}

/** Open the packages view of `name` from its sidebar item. */
async function showPackages(
  page: IJupyterLabPageFixture,
  item: ReturnType<IJupyterLabPageFixture['locator']>,
  name: string
) {
  await item.getByRole('button', { name: `Show packages of ${name}` }).click();
  const view = page.locator(
    `.jp-EnvManager-packagesView:visible[id="jp-env-manager-packages-${encodeURIComponent(name)}"]`
  );
  await expect(view).toBeVisible();
  return view;
}

async function expectPackageRow(
  view: ReturnType<IJupyterLabPageFixture['locator']>,
  pin: string
) {
  const [name, version] = pin.split('==');
  await expect(
    view.locator(`[data-package="${name}"] .jp-EnvManager-pkgVersion`)
  ).toHaveText(version, { timeout: 60000 });
}

test.describe('environment actions', () => {
  test('clone an environment from the sidebar', async ({ page, request }) => {
    test.setTimeout(240000);
    const source = uniqueName('galata-src');
    const copy = `${source}-clone`;
    try {
      const original = await createOverRest(request, {
        name: source,
        engine: 'uv',
        pip: PINNED
      });
      expect(await pins(request, source)).toEqual(PINNED);

      const panel = await refreshedSidebar(page);
      const item = envItem(panel, source);
      await expect(item).toBeVisible({ timeout: 30000 });
      await item.getByRole('button', { name: `Clone ${source}` }).click();

      const dialog = page.locator('.jp-Dialog');
      await expect(dialog).toContainText(`Clone ${source}`);
      const input = dialog.locator('input');
      await expect(input).toHaveValue(`${source}-copy`);

      // A taken name is refused before anything starts, and asked again.
      await input.fill(source);
      await dialog.getByRole('button', { name: 'Clone' }).click();
      const refusal = page.locator('.jp-Dialog', { hasText: 'Invalid name' });
      await expect(refusal).toContainText(
        `An environment named "${source}" already exists.`
      );
      await refusal.getByRole('button', { name: 'Close' }).click();
      await expect(dialog.locator('input')).toHaveValue(source);

      await dialog.locator('input').fill(copy);
      await dialog.getByRole('button', { name: 'Clone' }).click();
      await expect(page.locator('.jp-Dialog')).toHaveCount(0);

      // The toast closes itself: looked for while the task runs, not after.
      const cloning = taskItem(panel, `Cloning into ${copy}`);
      await Promise.all([
        expect(cloning).toHaveAttribute('data-status', 'succeeded', {
          timeout: 180000
        }),
        expect(
          page.locator('.jp-Notification-Toast-success', {
            hasText: `Cloning into ${copy}: done`
          })
        ).toBeVisible({ timeout: 180000 })
      ]);

      // The copy is listed beside its source, same engine and Python.
      const copied = envItem(panel, copy);
      await expect(copied).toBeVisible({ timeout: 30000 });
      await expect(item).toBeVisible();
      await expect(copied.locator('.jp-EnvManager-badge')).toHaveText('uv');
      await expect(copied.locator('.jp-EnvManager-python')).toHaveText(
        `Python ${original.python_version}`
      );

      // Same packages at the same versions, in the packages view and on the server.
      const view = await showPackages(page, copied, copy);
      for (const pin of PINNED) {
        await expectPackageRow(view, pin);
      }
      await expect(view.locator('.jp-EnvManager-pkgCount')).toHaveText(
        `${PINNED.length} of ${PINNED.length} packages`
      );
      expect(await pins(request, copy)).toEqual(await pins(request, source));
      const clone = (await environments(request)).find(e => e.name === copy)!;
      expect(clone.prefix).not.toBe(original.prefix);
      expect(fs.existsSync(clone.prefix)).toBe(true);
    } finally {
      await removeQuietly(request, copy);
      await removeQuietly(request, source);
    }
  });

  test('add a kernel to an environment, then take it away', async ({
    page,
    request
  }) => {
    test.setTimeout(300000);
    const name = uniqueName('galata-kernel');
    try {
      const env = await createOverRest(request, { name, engine: 'uv' });
      expect(env.has_ipykernel).toBe(false);
      expect(await kernelsOf(request, env.prefix)).toEqual([]);

      const panel = await refreshedSidebar(page);
      const item = envItem(panel, name);
      await expect(item).toBeVisible({ timeout: 30000 });
      await expect(item.locator('.jp-EnvManager-kernelStatus')).toHaveText(
        'no kernel'
      );
      await expect(
        item.getByRole('button', { name: `New notebook in ${name}` })
      ).toHaveCount(0);
      await launcherInView(page);
      await expect(notebookCards(page, `[env: ${name}]`)).toHaveCount(0);

      // Add kernel: ipykernel goes in, the Launcher gets the kernel.
      await item.getByRole('button', { name: `Make ${name} a kernel` }).click();
      const adding = taskItem(panel, `Adding a kernel for ${name}`);
      await expect(adding).toHaveAttribute('data-status', 'succeeded', {
        timeout: 180000
      });
      await expect(item.locator('.jp-EnvManager-kernelStatus')).toHaveText(
        'kernel',
        { timeout: 30000 }
      );
      await expect(
        item.getByRole('button', { name: `New notebook in ${name}` })
      ).toBeVisible();
      const [kernel] = await kernelsOf(request, env.prefix);
      expect(kernel).toBeTruthy();
      expect(kernel.displayName).toContain(name);
      await launcherInView(page);
      await expect(notebookCards(page, kernel.displayName)).toHaveCount(1);
      // Besides the environment's own kernel, a kernelspec file for other tools
      // (papermill, nbconvert) in the user's data dir (the server's test config
      // puts that one beside the venvs).
      const written = path.join(
        path.dirname(path.dirname(env.prefix)),
        'jupyter-data',
        'kernels',
        kernel.name,
        'kernel.json'
      );
      expect(fs.existsSync(written)).toBe(true);

      // Remove kernel: the kernelspec file written by "Add kernel" goes...
      const removeKernel = item.getByRole('button', {
        name: `Remove the kernel of ${name}`
      });
      await removeKernel.click();
      await expect(
        page.locator('.jp-Notification-Toast-info', {
          hasText: `Removed the kernel spec ${kernel.name}; the kernel stays listed while ipykernel is in ${name}.`
        })
      ).toBeVisible({ timeout: 30000 });
      expect(fs.existsSync(written)).toBe(false);
      // ...but the environment's own kernel stays while ipykernel is in it,
      // and the UI says so when asked again.
      await removeKernel.click();
      await expect(
        page.locator('.jp-Notification-Toast-info', {
          hasText: `${name} had no kernel spec written by this tool; its own kernels stay listed while ipykernel is installed in it.`
        })
      ).toBeVisible({ timeout: 30000 });
      expect(await kernelsOf(request, env.prefix)).toEqual([kernel]);

      // Taking ipykernel out (packages view) takes the kernel off the Launcher.
      const view = await showPackages(page, item, name);
      await view.locator('.jp-EnvManager-pkgFilter').fill('ipykernel');
      await view.getByRole('button', { name: 'Remove ipykernel' }).click();
      const plan = page.locator('.jp-Dialog');
      await expect(
        plan.locator('tr[data-action="remove"]', { hasText: 'ipykernel' })
      ).toBeVisible({ timeout: 60000 });
      await plan.getByRole('button', { name: 'Apply' }).click();
      await expect(view.locator('[data-package="ipykernel"]')).toHaveCount(0, {
        timeout: 120000
      });
      await expect(item.locator('.jp-EnvManager-kernelStatus')).toHaveText(
        'no kernel',
        { timeout: 30000 }
      );
      await expect(
        item.getByRole('button', { name: `Make ${name} a kernel` })
      ).toBeVisible();
      expect(await kernelsOf(request, env.prefix)).toEqual([]);
      await launcherInView(page);
      await expect(notebookCards(page, kernel.displayName)).toHaveCount(0);
    } finally {
      // A kernelspec left behind would outlive the environment.
      await request.delete(
        `${API}/environments/${encodeURIComponent(name)}/kernel`
      );
      await removeQuietly(request, name);
    }
  });

  test('cancel an environment creation from the task list', async ({
    page,
    request
  }) => {
    test.setTimeout(300000);
    const name = uniqueName('galata-cancel');
    // A local package whose build never ends on its own: the creation is
    // still running whenever Cancel is clicked. Its build backend says when it
    // started, and gives up when the installer that started it is gone.
    const source = localTempDir('jem-galata-slow');
    const started = path.join(source, 'build-started');
    fs.writeFileSync(
      path.join(source, 'pyproject.toml'),
      [
        '[build-system]',
        'requires = []',
        'build-backend = "never_backend"',
        'backend-path = ["."]',
        '',
        '[project]',
        'name = "galata-never"',
        'version = "0.0.1"',
        ''
      ].join('\n')
    );
    fs.writeFileSync(
      path.join(source, 'never_backend.py'),
      [
        'import os, time',
        '',
        'def _never(*args, **kwargs):',
        `    open(${JSON.stringify(started)}, "w").close()`,
        '    parent = os.getppid()',
        '    deadline = time.monotonic() + 600',
        '    while time.monotonic() < deadline and os.getppid() == parent:',
        '        time.sleep(0.2)',
        '    raise RuntimeError("galata-never is never built")',
        '',
        'def get_requires_for_build_wheel(config_settings=None):',
        '    return []',
        '',
        'prepare_metadata_for_build_wheel = _never',
        'build_wheel = _never',
        ''
      ].join('\n')
    );
    const requirement = `galata-never@${pathToFileURL(source).href}`;
    let taskId: string | null = null;
    try {
      const dialog = await openNewEnvironmentDialog(page);
      await dialog.locator('#jem-name').fill(name);
      await dialog.locator('#jem-engine').selectOption('uv');
      await dialog.locator('#jem-packages').fill(requirement);
      await dialog
        .getByRole('button', { name: 'Add to Packages (PyPI)' })
        .click();
      await expect(dialog.locator('.jp-EnvManager-chip')).toHaveCount(1);
      await expect(dialog.locator('.jp-EnvManager-chip')).toContainText(
        requirement
      );
      await dialog.locator('.jp-EnvManager-ipykernel').uncheck();
      await dialog.getByRole('button', { name: 'Create' }).click();
      await expect(dialog).toHaveCount(0);

      const panel = await openSidebar(page);
      const creating = taskItem(panel, `Creating ${name}`);
      await expect(creating).toBeVisible({ timeout: 30000 });
      taskId = await creating.getAttribute('data-task-id');
      expect(taskId).toBeTruthy();

      // Half-built: the venv is on disk, the build hangs, nothing is listed.
      await expect
        .poll(() => fs.existsSync(started), { timeout: 180000 })
        .toBe(true);
      const log = (await task(request, taskId!)).log.join('\n');
      const prefix = /Creating venv (\S+)/.exec(log)?.[1];
      expect(prefix).toBeTruthy();
      expect(fs.existsSync(prefix!)).toBe(true);
      await expect(creating).toHaveAttribute('data-status', 'running');
      await expect(creating.locator('.jp-EnvManager-progress')).toBeVisible();
      await expect(envItem(panel, name)).toHaveCount(0);

      await creating
        .getByRole('button', { name: `Cancel: Creating ${name}` })
        .click();

      await Promise.all([
        expect(creating).toHaveAttribute('data-status', 'cancelled', {
          timeout: 60000
        }),
        expect(
          page.locator('.jp-Notification-Toast-warning', {
            hasText: `Creating ${name}: cancelled`
          })
        ).toBeVisible({ timeout: 60000 })
      ]);
      await expect(creating.locator('.jp-EnvManager-taskStage')).toHaveText(
        'Cancelled'
      );
      await expect(creating.locator('.jp-EnvManager-progress')).toHaveCount(0);
      await expect(
        creating.getByRole('button', { name: `Cancel: Creating ${name}` })
      ).toHaveCount(0);

      // Nothing of it is left: not on the server, not on disk, not listed
      // (the sidebar reloads its list before it notifies).
      const ended = await task(request, taskId!);
      expect(ended.status).toBe('cancelled');
      expect(ended.log.join('\n')).toContain(`Removing ${prefix}`);
      expect(fs.existsSync(prefix!)).toBe(false);
      expect((await environments(request)).map(e => e.name)).not.toContain(
        name
      );
      // The list, or "No environments yet." when the server has none left.
      await expect(
        panel.locator('.jp-EnvManager-envs, .jp-EnvManager-empty').first()
      ).toBeVisible();
      await expect(envItem(panel, name)).toHaveCount(0);

      // The name is free again (no lock, no leftover folder).
      await createOverRest(request, { name, engine: 'uv' });

      await creating
        .getByRole('button', { name: `Dismiss: Creating ${name}` })
        .click();
      await expect(creating).toHaveCount(0);
    } finally {
      if (taskId) {
        await request.delete(`${API}/tasks/${taskId}`);
        await settled(request, taskId, 60000);
      }
      await removeQuietly(request, name);
      fs.rmSync(source, { recursive: true, force: true });
    }
  });

  test('create an environment from a spec file uploaded in the dialog', async ({
    page,
    request
  }) => {
    test.setTimeout(240000);
    const name = uniqueName('galata-upload');
    const local = localTempDir('jem-galata-upload');
    const file = path.join(local, 'requirements.txt');
    fs.writeFileSync(file, ['# pinned for Galata', ...PINNED, ''].join('\n'));
    try {
      const dialog = await openNewEnvironmentDialog(page);
      await dialog.getByRole('radio', { name: 'From a file' }).check();
      const chosen = dialog.locator('.jp-EnvManager-chosenFile');
      await expect(chosen).toHaveText('No file chosen');

      // No file yet: said at once, and Create cannot be pressed.
      const create = dialog.getByRole('button', { name: 'Create' });
      await expect(dialog.locator('#jem-file-error')).toHaveText(
        'Choose an environment.yml or requirements file.'
      );
      await expect(create).toBeDisabled();
      await expect(create).toHaveAttribute(
        'title',
        'Choose an environment.yml or requirements file.'
      );

      await dialog.locator('input[type="file"]').setInputFiles(file);
      await expect(chosen).toHaveText('Using requirements.txt');
      await expect(dialog.locator('#jem-file-error')).toHaveText('');
      await expect(create).toBeEnabled();
      await dialog.locator('#jem-name').fill(name);
      // Left on "Automatic": a requirements file makes a uv venv.
      await expect(dialog.locator('#jem-engine')).toHaveValue('auto');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await expect(dialog).toHaveCount(0);

      const panel = await openSidebar(page);
      await expect(taskItem(panel, `Creating ${name}`)).toHaveAttribute(
        'data-status',
        'succeeded',
        { timeout: 180000 }
      );
      const item = envItem(panel, name);
      await expect(item).toBeVisible({ timeout: 30000 });
      await expect(item.locator('.jp-EnvManager-badge')).toHaveText('uv');
      // Exactly what the file asked for: no ipykernel added behind its back.
      await expect(item.locator('.jp-EnvManager-kernelStatus')).toHaveText(
        'no kernel'
      );

      const view = await showPackages(page, item, name);
      for (const pin of PINNED) {
        await expectPackageRow(view, pin);
      }
      expect(await pins(request, name)).toEqual(PINNED);
    } finally {
      await removeQuietly(request, name);
      fs.rmSync(local, { recursive: true, force: true });
    }
  });

  test('export an environment into the current folder', async ({
    page,
    request,
    tmpPath
  }) => {
    test.setTimeout(180000);
    const name = uniqueName('galata-export');
    try {
      await createOverRest(request, { name, engine: 'uv', pip: PINNED });
      await page.filebrowser.openDirectory(tmpPath);
      const panel = await refreshedSidebar(page);
      const item = envItem(panel, name);
      await expect(item).toBeVisible({ timeout: 30000 });

      const savedText = async (filename: string) => {
        const response = await request.get(
          `/api/contents/${tmpPath}/${filename}?content=1&type=file&format=text`
        );
        expect(response.ok()).toBeTruthy();
        return (await response.json()).content as string;
      };

      /**
       * Export as `format`, saved as `filename`; answer the file's text. When a
       * file of that name is there, the replace question gets `answer`.
       */
      const exportTo = async (
        format: string,
        filename: string,
        answer: 'Replace' | 'Keep it' | null = null
      ) => {
        await openSidebar(page);
        await item.getByRole('button', { name: `Export ${name}` }).click();
        const dialog = page.locator('.jp-Dialog');
        await dialog.locator('#jem-export-format').selectOption(format);
        await dialog.locator('.jp-EnvManager-saveToFolder').check();
        const downloading = page.waitForEvent('download');
        // The toast closes itself: looked for from the click on.
        const saved = expect(
          page.locator('.jp-Notification-Toast-success', {
            hasText: `Saved ${tmpPath}/${filename}`
          })
        ).toBeVisible({ timeout: 30000 });
        await dialog.getByRole('button', { name: 'Export' }).click();
        const downloaded = await downloading;
        expect(downloaded.suggestedFilename()).toBe(filename);
        const text = fs.readFileSync(await downloaded.path(), 'utf-8');
        if (answer) {
          const ask = page.locator('.jp-Dialog', {
            hasText: `Replace ${tmpPath}/${filename}?`
          });
          await expect(ask).toBeVisible();
          await ask.getByRole('button', { name: answer }).click();
          await expect(ask).toHaveCount(0);
          if (answer === 'Keep it') {
            await expect(
              page.locator('.jp-Notification-Toast-info', {
                hasText: `Kept the existing ${tmpPath}/${filename}`
              })
            ).toBeVisible({ timeout: 30000 });
            return text;
          }
        }
        await saved;
        // The file browser shows it without a refresh...
        await page.evaluate(() => {
          window.jupyterapp.shell.activateById('filebrowser');
        });
        await expect(
          page.locator('.jp-DirListing-item[data-isdir="false"]', {
            hasText: filename
          })
        ).toBeVisible({ timeout: 30000 });
        // ...and the saved file is the download.
        expect(await savedText(filename)).toBe(text);
        return text;
      };

      // A requirements.txt of the user's own is in the folder: never replaced
      // without asking, kept when the user says so.
      const mine = '# my own pins\nrequests\n';
      await page.contents.uploadContent(
        mine,
        'text',
        `${tmpPath}/requirements.txt`
      );
      const offered = await exportTo(
        'requirements',
        'requirements.txt',
        'Keep it'
      );
      expect(await savedText('requirements.txt')).toBe(mine);

      const requirements = await exportTo(
        'requirements',
        'requirements.txt',
        'Replace'
      );
      expect(requirements).toBe(offered);
      expect(requirements).toBe(PINNED.map(pin => `${pin}\n`).join(''));

      const parsed = parseYaml(await exportTo('yml', 'environment.yml'));
      expect(parsed.name).toBe(name);
      expect(
        parsed.dependencies.find((d: unknown) => typeof d === 'object').pip
      ).toEqual(PINNED);

      // Both files are in the folder, nothing else was written there.
      const listing = await request.get(`/api/contents/${tmpPath}?content=1`);
      expect(
        (await listing.json()).content
          .map((f: { name: string }) => f.name)
          .sort()
      ).toEqual(['environment.yml', 'requirements.txt']);
    } finally {
      await removeQuietly(request, name);
    }
  });

  test('environments made and removed elsewhere come and go without a reload', async ({
    page,
    request
  }) => {
    test.setTimeout(420000);
    const viaRest = uniqueName('galata-rest');
    const viaCli = uniqueName('galata-cli');
    try {
      // The panel and a Launcher as loaded, never refreshed by hand below.
      const panel = await openSidebar(page);
      await launcherInView(page);

      // Another client of the server makes an environment with ipykernel.
      const env = await createOverRest(request, {
        name: viaRest,
        engine: 'uv',
        pip: ['ipykernel']
      });
      const [kernel] = await kernelsOf(request, env.prefix);
      expect(kernel).toBeTruthy();
      const item = envItem(panel, viaRest);
      await expect(item).toBeVisible({ timeout: 30000 });
      await expect(item.locator('.jp-EnvManager-kernelStatus')).toHaveText(
        'kernel'
      );
      await expect(notebookCards(page, kernel.displayName)).toHaveCount(1, {
        timeout: 30000
      });

      // Its packages are open in a tab when it is removed, elsewhere again.
      const view = await showPackages(page, item, viaRest);
      await expect(view.locator('[data-package="ipykernel"]')).toBeVisible({
        timeout: 30000
      });
      await removeQuietly(request, viaRest);
      await expect(item).toHaveCount(0, { timeout: 30000 });
      await expect(view.locator('.jp-EnvManager-gone')).toHaveText(
        `${viaRest} was removed: this list shows what it held, nothing here can change it.`,
        { timeout: 30000 }
      );
      await expect(
        view.getByRole('button', { name: 'Install…' })
      ).toBeDisabled();
      await expect(
        view.getByRole('button', { name: 'Update all…' })
      ).toBeDisabled();
      await expect(
        view.getByRole('button', { name: 'Remove ipykernel' })
      ).toBeDisabled();
      await expect(
        page.locator('.lm-TabBar-tab', {
          hasText: `Packages: ${viaRest} (removed)`
        })
      ).toBeVisible();
      await launcherInView(page);
      await expect(notebookCards(page, kernel.displayName)).toHaveCount(0, {
        timeout: 30000
      });

      // The CLI in another terminal: the server only sees it on disk.
      const state = path.dirname(path.dirname(env.prefix));
      await cli(
        state,
        'create',
        '-y',
        '-n',
        viaCli,
        '--engine',
        'uv',
        '--pip',
        'ipykernel'
      );
      const made = (await environments(request)).find(e => e.name === viaCli);
      expect(made).toBeTruthy();
      const [cliKernel] = await kernelsOf(request, made!.prefix);
      expect(cliKernel).toBeTruthy();
      const cliItem = envItem(panel, viaCli);
      await expect(cliItem).toBeVisible({ timeout: 30000 });
      await expect(cliItem.locator('.jp-EnvManager-kernelStatus')).toHaveText(
        'kernel'
      );
      await expect(notebookCards(page, cliKernel.displayName)).toHaveCount(1, {
        timeout: 30000
      });

      await cli(state, 'remove', '-y', '-n', viaCli);
      await expect(cliItem).toHaveCount(0, { timeout: 30000 });
      await expect(notebookCards(page, cliKernel.displayName)).toHaveCount(0, {
        timeout: 30000
      });
    } finally {
      await removeQuietly(request, viaRest);
      await removeQuietly(request, viaCli);
    }
  });
});
