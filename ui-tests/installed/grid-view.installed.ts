/**
 * A grid search, as installed: started over REST on the server's own kernel,
 * listed in the sidebar's "Grid searches" section, opened from there; its view
 * shows the results table (best run marked) and the plot, which JupyterLab's
 * own Vega-Lite renderer draws on a log axis for a log-spaced sweep.
 */
import { expect, test } from '@playwright/test';

import {
  API,
  getJson,
  openLab,
  openSidebar,
  parametersNotebook,
  postJson,
  putFile
} from './helpers';

test('a grid opened from the sidebar shows its table and plot', async ({
  page,
  request
}) => {
  const notebook = `sweep-${Date.now().toString(36)}.ipynb`;
  await putFile(
    request,
    notebook,
    parametersNotebook(
      'lr = 0.1',
      'import math\nloss = (math.log10(lr) + 2) ** 2'
    )
  );
  const grid = await postJson(request, `${API}/grids`, {
    notebook,
    grid: { lr: [0.001, 0.01, 0.1] },
    kernel: 'python3',
    metrics: ['loss'],
    goal: 'min'
  });

  await openLab(page, 'grid-view');
  const sidebar = await openSidebar(page);
  const entry = sidebar.locator(`li[data-grid-id="${grid.grid_id}"]`);
  await expect(entry.locator('.jp-EnvManager-recentGridName')).toHaveText(
    notebook
  );
  await entry.getByRole('button').click();

  const view = page.locator('#jp-env-manager-grids');
  await expect(view.locator('.jp-EnvManager-gridDetail')).toHaveAttribute(
    'data-grid-id',
    grid.grid_id
  );
  const table = view.locator('.jp-EnvManager-gridTable');
  await expect(
    table.locator('tbody .jp-EnvManager-runStatus.jp-mod-ok')
  ).toHaveCount(3, { timeout: 180000 });
  const best = table.locator('tbody tr.jp-mod-best');
  await expect(best).toHaveCount(1);
  await expect(best.locator('td[data-param="lr"]')).toHaveText('0.01');
  await expect(view.locator('.jp-EnvManager-gridState')).toHaveText('finished');

  const plot = view.locator('.jp-EnvManager-gridPlot[data-kind="line"]');
  await expect(plot).toHaveAttribute('data-rendered', 'true');
  await expect(plot).toHaveAttribute('data-log-x', 'true');
  await expect(
    plot.locator('svg [aria-roledescription="axis"]').first()
  ).toHaveAttribute('aria-label', /^X-axis titled 'lr' for a log scale/);
  await expect(plot.locator('svg [aria-roledescription="point"]')).toHaveCount(
    3
  );

  // What the view shows is what the server recorded.
  const recorded = await getJson(request, `${API}/grids/${grid.grid_id}`);
  expect(recorded.state).toBe('finished');
  expect(recorded.counts.ok).toBe(3);
});
