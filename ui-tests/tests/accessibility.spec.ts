/**
 * axe-core over the extension's views: the Environments sidebar (with its
 * Disk section), the New-environment, export, clone, package-change plan,
 * clean-up and grid dialogs, an environment's view (packages and history)
 * and the grid view (with its Vega-Lite plot). No serious or critical violation is allowed.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import {
  API,
  createOverRest,
  envItem,
  openNewEnvironmentDialog,
  refreshedSidebar,
  removeQuietly,
  uniqueName,
  parametersNotebook
} from './helpers';

/** The serious and critical violations axe finds inside `selector`. */
async function seriousViolations(
  page: IJupyterLabPageFixture,
  selector: string
): Promise<string[]> {
  const results = await new AxeBuilder({ page }).include(selector).analyze();
  return results.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(
      v =>
        `${v.id} (${v.impact}): ${v.help} at ${v.nodes
          .map(node => node.target.join(' '))
          .join(', ')}`
    );
}

test('the panel, the dialogs and the views have no serious axe violations', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(240000);
  const name = uniqueName('galata-a11y');
  try {
    await createOverRest(request, { name, engine: 'uv', packages: ['six'] });
    const panel = await refreshedSidebar(page);
    await expect(envItem(panel, name)).toBeVisible({ timeout: 30000 });
    expect(await seriousViolations(page, '#jp-env-manager-sidebar')).toEqual(
      []
    );

    const dialog = await openNewEnvironmentDialog(page);
    expect(await seriousViolations(page, '.jp-Dialog')).toEqual([]);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);

    // The environment's view (packages tab).
    await envItem(panel, name)
      .getByRole('button', { name: `Show packages of ${name}` })
      .click();
    const view = page.locator(
      `.jp-EnvManager-packagesView:visible[id="jp-env-manager-packages-${encodeURIComponent(name)}"]`
    );
    await expect(view.locator('.jp-EnvManager-pkgCount')).toBeVisible({
      timeout: 30000
    });
    expect(
      await seriousViolations(
        page,
        `[id="jp-env-manager-packages-${encodeURIComponent(name)}"]`
      )
    ).toEqual([]);

    // A package change's preview (the plan dialog), cancelled.
    await view.locator('.jp-EnvManager-pkgFilter').fill('six');
    await view.getByRole('button', { name: 'Remove six' }).click();
    await expect(
      page.locator('.jp-Dialog tr[data-action="remove"]', {
        hasText: 'six'
      })
    ).toBeVisible({ timeout: 60000 });
    expect(await seriousViolations(page, '.jp-Dialog')).toEqual([]);
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Cancel' })
      .click();
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
    await view.locator('.jp-EnvManager-pkgFilter').fill('');

    // The same view's History tab.
    await view.getByRole('tab', { name: 'History' }).click();
    await expect(
      view.locator('.jp-EnvManager-tab-history [data-revision="0"]')
    ).toBeVisible({ timeout: 30000 });
    expect(
      await seriousViolations(
        page,
        `[id="jp-env-manager-packages-${encodeURIComponent(name)}"]`
      )
    ).toEqual([]);

    // The export and clone dialogs of the environment's row.
    await page.evaluate(() => {
      window.jupyterapp.shell.activateById('jp-env-manager-sidebar');
    });
    await envItem(panel, name)
      .getByRole('button', { name: `Export ${name}` })
      .click();
    await expect(page.locator('.jp-Dialog #jem-export-format')).toBeVisible();
    expect(await seriousViolations(page, '.jp-Dialog')).toEqual([]);
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Cancel' })
      .click();
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
    await envItem(panel, name)
      .getByRole('button', { name: `Clone ${name}` })
      .click();
    await expect(page.locator('.jp-Dialog input')).toBeVisible();
    expect(await seriousViolations(page, '.jp-Dialog')).toEqual([]);
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Cancel' })
      .click();
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);

    // The Disk section and its clean-up preview.
    const disk = panel.locator('.jp-EnvManager-disk');
    await disk.getByRole('button', { name: 'Show disk use' }).click();
    await expect(disk.locator(`tr[data-env-name="${name}"]`)).toBeVisible({
      timeout: 60000
    });
    expect(await seriousViolations(page, '.jp-EnvManager-disk')).toEqual([]);
    await disk.getByRole('button', { name: 'Clean up…' }).click();
    await expect(page.locator('.jp-Dialog')).toBeVisible({ timeout: 60000 });
    expect(await seriousViolations(page, '.jp-Dialog')).toEqual([]);
    // A preview with items asks (Cancel); an empty one only says so (OK).
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: /^(Cancel|OK)$/ })
      .click();
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);

    // The grid dialogs, from the sidebar.
    await page.contents.uploadContent(
      parametersNotebook('lr = 0.1', 'loss = lr * lr'),
      'text',
      `${tmpPath}/lr.ipynb`
    );
    await page.evaluate(() => {
      window.jupyterapp.shell.activateById('jp-env-manager-sidebar');
    });
    await panel.getByRole('button', { name: 'New grid search…' }).click();
    await expect(page.locator('#jem-grid-notebook')).toBeVisible();
    await page.locator('#jem-grid-notebook').fill(`${tmpPath}/lr.ipynb`);
    expect(await seriousViolations(page, '.jp-Dialog')).toEqual([]);
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Next' })
      .click();
    const values = page.locator('.jp-Dialog #jem-grid-param-lr');
    await expect(values).toBeVisible();
    await values.fill('0.001, 0.01, 0.1, 1');
    await page.locator('.jp-Dialog #jem-grid-metric').fill('loss');
    await page
      .locator('.jp-Dialog #jem-grid-target')
      .selectOption('kernel:python3');
    await expect(
      page.locator('.jp-Dialog .jp-EnvManager-gridPoints')
    ).toHaveText('4 runs');
    expect(await seriousViolations(page, '.jp-Dialog')).toEqual([]);
    await page
      .locator('.jp-Dialog')
      .getByRole('button', { name: 'Start' })
      .click();

    // The grid view once its runs are done, plot drawn.
    const grids = page.locator('#jp-env-manager-grids');
    await expect(
      grids.locator('tbody .jp-EnvManager-runStatus.jp-mod-ok')
    ).toHaveCount(4, { timeout: 120000 });
    await expect(grids.locator('.jp-EnvManager-gridPlot')).toHaveAttribute(
      'data-rendered',
      'true'
    );
    expect(await seriousViolations(page, '#jp-env-manager-grids')).toEqual([]);
    const listed = await (await request.get(`${API}/grids`)).json();
    expect(listed.length).toBeGreaterThan(0);
  } finally {
    await removeQuietly(request, name);
  }
});
