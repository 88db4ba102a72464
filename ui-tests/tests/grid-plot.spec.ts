/**
 * The grid view's plot, drawn by JupyterLab's own Vega-Lite renderer: a sweep
 * over log-spaced values gets a log x axis by itself, the user can switch it
 * to linear, and every run is a point that names its run.
 */
import { expect, test } from '@jupyterlab/galata';

import { API, screenshot, parametersNotebook } from './helpers';

test('a log-spaced sweep is plotted on a log axis, switchable', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(180000);
  await page.contents.uploadContent(
    parametersNotebook(
      'lr = 0.1',
      'import math\nloss = (math.log10(lr) + 2) ** 2'
    ),
    'text',
    `${tmpPath}/lr.ipynb`
  );
  const response = await request.post(`${API}/grids`, {
    data: {
      notebook: `${tmpPath}/lr.ipynb`,
      grid: { lr: [0.0001, 0.001, 0.01, 0.1, 1] },
      kernel: 'python3',
      metrics: ['loss'],
      goal: 'min'
    }
  });
  expect(response.status()).toBe(202);
  const grid = await response.json();

  await page.evaluate(async id => {
    await window.jupyterapp.commands.execute('env-manager:open-grids', {
      grid: id
    });
  }, grid.grid_id);
  const view = page.locator('#jp-env-manager-grids');
  await expect(view.locator('.jp-EnvManager-gridDetail')).toHaveAttribute(
    'data-grid-id',
    grid.grid_id
  );
  await expect(
    view.locator('tbody .jp-EnvManager-runStatus.jp-mod-ok')
  ).toHaveCount(5, { timeout: 120000 });

  const plot = view.locator('.jp-EnvManager-gridPlot[data-kind="line"]');
  await expect(plot).toHaveAttribute('data-rendered', 'true');
  const logX = view.getByRole('checkbox', { name: 'Log x axis' });
  await expect(logX).toBeChecked();
  await expect(plot).toHaveAttribute('data-log-x', 'true');
  // Vega describes its SVG for screen readers: the axis says its scale.
  const xAxis = plot.locator('svg [aria-roledescription="axis"]').first();
  await expect(xAxis).toHaveAttribute(
    'aria-label',
    "X-axis titled 'lr' for a log scale with values from 0.0001 to 1"
  );
  // One point per run; each names its run, its value and its metric.
  const points = plot.locator('svg [aria-roledescription="point"]');
  await expect(points).toHaveCount(5);
  await expect(points.first()).toHaveAttribute(
    'aria-label',
    /^lr: 0\.0001; loss: 4; run: 0; duration \(s\): [\d.]+$/
  );

  await screenshot(view, 'grid-plot-log-axis.png');

  // Switched off, the same axis is linear.
  await logX.uncheck();
  await expect(plot).toHaveAttribute('data-log-x', 'false');
  await expect(plot).toHaveAttribute('data-rendered', 'true');
  await expect(
    plot.locator('svg [aria-roledescription="axis"]').first()
  ).toHaveAttribute('aria-label', /^X-axis titled 'lr' for a linear scale/);
  await expect(plot.locator('svg [aria-roledescription="point"]')).toHaveCount(
    5
  );

  // The table: best marked, sortable by the metric, filterable by a value.
  const table = view.locator('.jp-EnvManager-gridTable');
  const best = table.locator('tbody tr.jp-mod-best');
  await expect(best).toHaveCount(1);
  await expect(best.locator('td[data-param="lr"]')).toHaveText('0.01');
  await expect(best.locator('.jp-EnvManager-bestMark')).toBeVisible();
  await table.getByRole('button', { name: 'loss' }).click();
  await expect(table.locator('th[aria-sort="ascending"]')).toHaveText(/^loss/);
  await expect(table.locator('tbody td[data-metric="loss"]')).toHaveText([
    '0',
    '1',
    '1',
    '4',
    '4'
  ]);
  await view.getByLabel('Filter runs').fill('lr=0.001');
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await expect(view.locator('.jp-EnvManager-gridShown')).toHaveText(
    '1 of 5 runs'
  );
  await expect(view.locator('.jp-EnvManager-gridElapsed')).toHaveText(
    /^elapsed \d/
  );
});

test('three swept parameters are plotted as parallel coordinates', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(180000);
  await page.contents.uploadContent(
    parametersNotebook(
      'a = 1\nb = 1\nc = "x"',
      'score = a * 10 + b + (c == "y")'
    ),
    'text',
    `${tmpPath}/three.ipynb`
  );
  const response = await request.post(`${API}/grids`, {
    data: {
      notebook: `${tmpPath}/three.ipynb`,
      grid: { a: [1, 2], b: [1, 2], c: ['x', 'y'] },
      kernel: 'python3',
      metrics: ['score'],
      goal: 'max'
    }
  });
  expect(response.status()).toBe(202);
  const grid = await response.json();
  await page.evaluate(async id => {
    await window.jupyterapp.commands.execute('env-manager:open-grids', {
      grid: id
    });
  }, grid.grid_id);
  const view = page.locator('#jp-env-manager-grids');
  await expect(
    view.locator('tbody .jp-EnvManager-runStatus.jp-mod-ok')
  ).toHaveCount(8, { timeout: 120000 });

  const plot = view.locator('.jp-EnvManager-gridPlot[data-kind="parallel"]');
  await expect(plot).toHaveAttribute('data-rendered', 'true');
  // One axis per parameter and one for the metric, in that order.
  const axis = plot.locator('svg [aria-roledescription="axis"]').first();
  await expect(axis).toHaveAttribute('aria-label', /X-axis/);
  await expect(plot.locator('svg .role-axis-label text')).toContainText([
    'a',
    'b',
    'c',
    'score'
  ]);
  // One line per run.
  await expect(plot.locator('svg .mark-line path')).toHaveCount(8);
  // The other kind on offer is lines.
  await view.locator('.jp-EnvManager-plotKind').selectOption('line');
  await expect(
    view.locator('.jp-EnvManager-gridPlot[data-kind="line"]')
  ).toHaveAttribute('data-rendered', 'true');
});
