import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { APIRequestContext, Locator } from '@playwright/test';
import fs from 'fs';

import {
  API,
  createOverRest,
  removeQuietly,
  screenshot,
  uniqueName,
  parametersNotebook
} from './helpers';

/**
 * The results table lists runs by rank on metric `y`: the single highlighted best
 * row (parameter x = `bestX`) comes first, and the y column reads `yByRank`.
 */
async function expectRanked(
  table: Locator,
  bestX: string,
  yByRank: string[]
): Promise<void> {
  const best = table.locator('tbody tr.jp-mod-best');
  await expect(best).toHaveCount(1);
  await expect(best.locator('td[data-param="x"]')).toHaveText(bestX);
  await expect(best.locator('td[data-metric="y"]')).toHaveText(yByRank[0]);
  await expect(table.locator('tbody tr').first()).toHaveClass(/jp-mod-best/);
  await expect(table.locator('tbody td[data-metric="y"]')).toHaveText(yByRank);
}

/** Parameters cell `x = 1` (tagged "parameters"), then `y = x * x`. */
function squareNotebook(): string {
  return parametersNotebook('x = 1', 'y = x * x');
}

interface IGridSummary {
  grid_id: string;
  state: string;
  done: number;
  total: number;
  counts: Record<string, number>;
}

/** Start a grid over REST, as another client of the server would. */
async function startGrid(
  request: APIRequestContext,
  body: Record<string, unknown>
): Promise<IGridSummary> {
  const response = await request.post(`${API}/grids`, { data: body });
  expect(response.status()).toBe(202);
  return response.json();
}

async function gridOnServer(
  request: APIRequestContext,
  id: string
): Promise<IGridSummary> {
  const response = await request.get(`${API}/grids/${id}`);
  expect(response.ok()).toBeTruthy();
  return response.json();
}

async function waitUntilFinished(request: APIRequestContext, id: string) {
  await expect
    .poll(async () => (await gridOnServer(request, id)).state, {
      timeout: 120000
    })
    .toBe('finished');
}

/** Open "Grid searches" with its command and show one grid of the list. */
async function showGrid(page: IJupyterLabPageFixture, id: string) {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('env-manager:open-grids');
  });
  const view = page.locator('#jp-env-manager-grids');
  await expect(view).toBeVisible();
  await view.locator('.jp-EnvManager-gridItem', { hasText: id }).click();
  await expect(view.locator('.jp-EnvManager-gridDetail')).toHaveAttribute(
    'data-grid-id',
    id
  );
  return view;
}

/** The row of the results table whose parameter `name` shows `value`. */
function rowOf(view: Locator, name: string, value: string): Locator {
  return view.locator('.jp-EnvManager-gridTable tbody tr').filter({
    // An inner locator is matched inside each row: start it from the page.
    has: view.page().locator(`td[data-param="${name}"]`, {
      hasText: new RegExp(`^${value}$`)
    })
  });
}

/** A text file of the server's root, through the contents API. */
async function readText(
  request: APIRequestContext,
  file: string
): Promise<string> {
  const response = await request.get(
    `/api/contents/${file}?content=1&type=file&format=text`
  );
  return response.ok() ? (await response.json()).content : '';
}

test('grid search a notebook from the file browser', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(120000);
  await page.contents.uploadContent(
    squareNotebook(),
    'text',
    `${tmpPath}/square.ipynb`
  );
  await page.filebrowser.refresh();
  await page
    .locator('.jp-DirListing-item[data-file-type="notebook"]', {
      hasText: 'square.ipynb'
    })
    .click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Grid search…' }).click();

  const dialog = page.locator('.jp-Dialog');
  const xValues = dialog.locator('#jem-grid-param-x');
  await expect(xValues).toBeVisible();
  await expect(xValues).toHaveAttribute('placeholder', '1');
  // The server reads the values with the CLI's grammar: 1.0 stays a float.
  await xValues.fill('1.0, TRUE');
  const parsed = dialog.locator('.jp-EnvManager-gridParsed code');
  await expect(parsed).toHaveText(['1.0', 'True']);
  await expect(parsed.first()).toHaveAttribute('data-type', 'float');
  await expect(parsed.last()).toHaveAttribute('data-type', 'bool');
  await xValues.fill('1, 2, 3');
  await expect(parsed).toHaveText(['1', '2', '3']);
  await expect(dialog.locator('.jp-EnvManager-gridPoints')).toHaveText(
    '3 runs'
  );
  await dialog.locator('#jem-grid-metric').fill('y');
  await dialog.getByLabel('Minimize').check();
  await dialog.locator('#jem-grid-target').selectOption('kernel:python3');
  await dialog.getByRole('button', { name: 'Start' }).click();
  await expect(dialog).toHaveCount(0);

  const view = page.locator('#jp-env-manager-grids');
  await expect(view).toBeVisible();
  const table = view.locator('.jp-EnvManager-gridTable');
  await expect(
    table.locator('tbody .jp-EnvManager-runStatus.jp-mod-ok')
  ).toHaveCount(3, {
    timeout: 60000
  });
  await expect(view.locator('.jp-EnvManager-gridCounts')).toContainText(
    '3 / 3 done'
  );

  // Best first and highlighted: x=1 gives the smallest y.
  await expectRanked(table, '1', ['1', '4', '9']);

  // JupyterLab's Vega-Lite renderer draws a point per run.
  const plot = view.locator('.jp-EnvManager-gridPlot[data-kind="line"]');
  await expect(plot).toHaveAttribute('data-rendered', 'true');
  await expect(plot.locator('svg [aria-roledescription="point"]')).toHaveCount(
    3
  );

  // The server finishes the grid (results files) just after its last run.
  await expect
    .poll(async () => (await (await request.get(`${API}/grids`)).json())[0], {
      timeout: 30000
    })
    .toMatchObject({ state: 'finished', done: 3, total: 3 });
  await expect(view.locator('.jp-EnvManager-gridState')).toHaveText('finished');

  // Durations read as durations ("53 ms", "1.2 s"), the raw seconds on hover.
  const durations = table.locator('tbody td.jp-EnvManager-duration');
  await expect(durations).toHaveCount(3);
  for (const cell of await durations.all()) {
    await expect(cell).toHaveText(
      /^(\d+ ms|\d+\.\d s|\d+ s|\d+ min( \d+ s)?)$/
    );
    await expect(cell).toHaveAttribute(
      'title',
      /^\d+(\.\d+)?(e-?\d+)? seconds$/
    );
  }

  await screenshot(view, 'grid-search.png');

  const downloading = page.waitForEvent('download');
  await view.getByRole('button', { name: 'Download CSV' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('results.csv');
  const csv = fs.readFileSync(await download.path(), 'utf-8');
  const [header, ...lines] = csv.trim().split('\n');
  const columns = header.split(',');
  expect(columns).toEqual(expect.arrayContaining(['param_x', 'y', 'rank_y']));
  const y = columns.indexOf('y');
  expect(
    lines.map(line => Number(line.split(',')[y])).sort((a, b) => a - b)
  ).toEqual([1, 4, 9]);

  // The output notebook of the best run opens in the document manager.
  await table
    .locator('tbody tr.jp-mod-best')
    .getByRole('button', { name: 'Open' })
    .click();
  await expect(page.locator('.jp-NotebookPanel .jp-Cell')).toHaveCount(3, {
    timeout: 30000
  });
});

/**
 * Reload the page and wait for JupyterLab to restore its layout. Galata's own
 * wait expects the Launcher as the current tab, which a restored view is not.
 */
async function reloadRestored(page: IJupyterLabPageFixture) {
  await page.reload({ waitForIsReady: false });
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  await page.evaluate(() => window.jupyterapp.restored);
}

/** Right-click a notebook of the file browser and choose "Grid search…". */
async function openGridDialog(page: IJupyterLabPageFixture, name: string) {
  await page.filebrowser.refresh();
  await page
    .locator('.jp-DirListing-item[data-file-type="notebook"]', {
      hasText: name
    })
    .click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Grid search…' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(
    dialog.locator('.jp-EnvManager-gridValues').first()
  ).toBeVisible();
  return dialog;
}

test('cancel a running grid, then resume it to the end', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(300000);
  // Every run takes seconds: the grid is still running when Cancel is clicked.
  await page.contents.uploadContent(
    parametersNotebook('x = 1', 'import time\ntime.sleep(4)\ny = x * 10'),
    'text',
    `${tmpPath}/slow.ipynb`
  );
  const dialog = await openGridDialog(page, 'slow.ipynb');
  await dialog.locator('#jem-grid-param-x').fill('1, 2, 3, 4');
  await dialog.locator('#jem-grid-metric').fill('y');
  await dialog.getByLabel('Maximize').check();
  // One worker: runs one after the other, so most are still to do at the cancel.
  await dialog.locator('#jem-grid-workers').fill('1');
  await dialog.locator('#jem-grid-target').selectOption('kernel:python3');
  await dialog.getByRole('button', { name: 'Start' }).click();
  await expect(dialog).toHaveCount(0);

  const view = page.locator('#jp-env-manager-grids');
  const detail = view.locator('.jp-EnvManager-gridDetail');
  await expect(detail).toBeVisible();
  const id = (await detail.getAttribute('data-grid-id'))!;
  const table = view.locator('.jp-EnvManager-gridTable');
  const state = view.locator('.jp-EnvManager-gridState');
  const status = (kind: string) =>
    table.locator(`tbody .jp-EnvManager-runStatus.jp-mod-${kind}`);

  // Cancel while a run executes.
  const running = table.locator(
    'tbody tr:has(.jp-EnvManager-runStatus.jp-mod-running)'
  );
  await expect(running).toHaveCount(1, { timeout: 90000 });
  const interrupted = (await running.first().getAttribute('data-run'))!;
  await view.getByRole('button', { name: 'Cancel', exact: true }).click();

  await expect(state).toHaveText('cancelled', { timeout: 60000 });
  await expect(
    view.getByRole('button', { name: 'Cancel', exact: true })
  ).toHaveCount(0);
  const resume = view.getByRole('button', { name: 'Resume', exact: true });
  await expect(resume).toBeVisible({ timeout: 30000 });
  // The interrupted run is cancelled, later ones were never started.
  await expect(
    table.locator(
      `tbody tr[data-run="${interrupted}"] .jp-EnvManager-runStatus`
    )
  ).toHaveText('cancelled');
  await expect(status('pending').first()).toBeVisible();
  const stopped = await gridOnServer(request, id);
  expect(stopped.state).toBe('cancelled');
  expect(stopped.counts.cancelled).toBe(1);
  expect(stopped.counts.pending).toBeGreaterThanOrEqual(1);
  expect(stopped.done).toBeLessThan(4);
  const okBefore = stopped.counts.ok;
  await expect(view.locator('.jp-EnvManager-gridCounts')).toContainText(
    `${okBefore} / 4 done`
  );

  // Resume runs what is left, and only that.
  await resume.click();
  await expect(status('ok')).toHaveCount(4, { timeout: 120000 });
  await expect(state).toHaveText('finished', { timeout: 60000 });
  await expect(view.locator('.jp-EnvManager-gridCounts')).toContainText(
    '4 / 4 done'
  );
  await expect(resume).toHaveCount(0);
  await expect(
    table.locator(`tbody tr[data-run="${interrupted}"]`)
  ).toHaveAttribute('data-attempts', '2');
  await expect(table.locator('tbody tr[data-attempts="1"]')).toHaveCount(3);

  // Best first and highlighted: x=4 gives the largest y.
  await expectRanked(table, '4', ['40', '30', '20', '10']);
  const finished = await gridOnServer(request, id);
  expect(finished.counts).toMatchObject({ ok: 4, cancelled: 0, pending: 0 });
});

test('re-run the failed run of a grid', async ({ page, request, tmpPath }) => {
  test.setTimeout(300000);
  // Each execution appends its x to a log beside the notebook; x=2 always fails.
  await page.contents.uploadContent(
    parametersNotebook(
      'x = 1',
      [
        'import time',
        "with open('executions.log', 'a') as log:",
        "    log.write(f'{x}\\n')",
        'if x == 2:',
        '    time.sleep(5)',
        "assert x != 2, f'x={x} is refused'",
        'y = x'
      ].join('\n')
    ),
    'text',
    `${tmpPath}/flaky.ipynb`
  );
  const executions = async () =>
    (await readText(request, `${tmpPath}/executions.log`))
      .split('\n')
      .filter(line => line)
      .sort();
  const grid = await startGrid(request, {
    notebook: `${tmpPath}/flaky.ipynb`,
    grid: { x: [1, 2, 3] },
    kernel: 'python3',
    metrics: ['y'],
    goal: 'max'
  });
  const view = await showGrid(page, grid.grid_id);
  const state = view.locator('.jp-EnvManager-gridState');
  const failedRow = rowOf(view, 'x', '2');
  const failedStatus = failedRow.locator('.jp-EnvManager-runStatus');

  await expect(failedStatus).toHaveText('failed', { timeout: 120000 });
  await expect(failedStatus).toHaveClass(/jp-mod-failed/);
  await expect(failedStatus).toHaveAttribute(
    'title',
    'AssertionError: x=2 is refused'
  );
  await expect(state).toHaveText('finished', { timeout: 60000 });
  await expect(view.locator('.jp-EnvManager-gridCounts')).toContainText(
    '3 / 3 done'
  );
  await expect(
    view.locator('.jp-EnvManager-gridCounts .jp-mod-failed')
  ).toHaveText('failed 1');
  for (const x of ['1', '3']) {
    await expect(
      rowOf(view, 'x', x).locator('.jp-EnvManager-runStatus')
    ).toHaveText('ok');
  }
  await expect(failedRow).toHaveAttribute('data-attempts', '1');
  // The failure ranks last; the best is x=3.
  await expect(
    view.locator('tbody tr.jp-mod-best td[data-param="x"]')
  ).toHaveText('3');
  expect(await executions()).toEqual(['1', '2', '3']);

  // Nothing is fixed: the re-run executes x=2 again, and it fails again.
  const rerun = view.getByRole('button', {
    name: 'Re-run failed',
    exact: true
  });
  await rerun.click();
  await expect(failedStatus).toHaveText('running', { timeout: 60000 });
  await expect(rerun).toHaveCount(0);
  await expect(failedStatus).toHaveText('failed', { timeout: 120000 });
  await expect(failedStatus).toHaveAttribute(
    'title',
    'AssertionError: x=2 is refused'
  );
  await expect(failedRow).toHaveAttribute('data-attempts', '2', {
    timeout: 30000
  });
  await expect(state).toHaveText('finished', { timeout: 60000 });
  await expect(rerun).toBeVisible();
  // Only the failed run executed again: the others ran once.
  expect(await executions()).toEqual(['1', '2', '2', '3']);
  await expect(view.locator('tbody tr[data-attempts="1"]')).toHaveCount(2);
  const after = await gridOnServer(request, grid.grid_id);
  expect(after.counts).toMatchObject({ ok: 2, failed: 1 });
});

test('a grid over two parameters plots a heatmap', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(180000);
  await page.contents.uploadContent(
    parametersNotebook('a = 1\nb = 1', 'score = a * 10 + b'),
    'text',
    `${tmpPath}/two.ipynb`
  );
  const grid = await startGrid(request, {
    notebook: `${tmpPath}/two.ipynb`,
    grid: { a: [3, 1, 2], b: [2, 1] },
    kernel: 'python3',
    metrics: ['score'],
    goal: 'max'
  });
  expect(grid.total).toBe(6);
  const view = await showGrid(page, grid.grid_id);
  await expect(
    view.locator('tbody .jp-EnvManager-runStatus.jp-mod-ok')
  ).toHaveCount(6, { timeout: 120000 });

  // A heatmap by default for two parameters, drawn by Vega-Lite: one cell
  // per (a, b) pair, each saying its pair and its score.
  const plot = view.locator('.jp-EnvManager-gridPlot[data-kind="heatmap"]');
  await expect(plot).toHaveAttribute('data-rendered', 'true');
  await expect(plot).toHaveAttribute('aria-label', 'Heatmap of score');
  const cells = plot.locator('svg .mark-rect [aria-label]');
  await expect(cells).toHaveCount(6);
  const labels = await cells.evaluateAll(nodes =>
    nodes.map(node => node.getAttribute('aria-label'))
  );
  const expected: string[] = [];
  for (const a of [1, 2, 3]) {
    for (const b of [1, 2]) {
      expected.push(`a=${a} b=${b} score=${a * 10 + b}`);
    }
  }
  const said = labels.map(label => {
    const parts = Object.fromEntries(
      label!.split('; ').map(part => part.split(': '))
    );
    return `a=${parts.a} b=${parts.b} score=${parts['mean score']}`;
  });
  expect(said.sort()).toEqual(expected);

  // As lines: one line per value of b, a point per run.
  await view.locator('.jp-EnvManager-plotKind').selectOption('line');
  const lines = view.locator('.jp-EnvManager-gridPlot[data-kind="line"]');
  await expect(lines).toHaveAttribute('data-rendered', 'true');
  await expect(lines.locator('svg [aria-roledescription="point"]')).toHaveCount(
    6
  );
  await expect(view.getByLabel('One line per value of')).toHaveValue('b');
  const legend = lines.locator('svg [aria-roledescription="legend"]');
  await expect(legend).toHaveAttribute('aria-label', /b/);
});

test.describe('a restored layout', () => {
  // The server's workspace, not Galata's in-memory one: a save there replaces
  // the whole state, so a closed view is really gone from it.
  test.use({ mockState: false });

  test('the Grid searches view comes back after a reload', async ({
    page,
    request,
    tmpPath
  }) => {
    test.setTimeout(180000);
    await page.contents.uploadContent(
      squareNotebook(),
      'text',
      `${tmpPath}/square.ipynb`
    );
    const older = await startGrid(request, {
      notebook: `${tmpPath}/square.ipynb`,
      grid: { x: [1, 2] },
      kernel: 'python3',
      metrics: ['y'],
      out_dir: `${tmpPath}/older`
    });
    await waitUntilFinished(request, older.grid_id);
    const newer = await startGrid(request, {
      notebook: `${tmpPath}/square.ipynb`,
      grid: { x: [3] },
      kernel: 'python3',
      metrics: ['y'],
      out_dir: `${tmpPath}/newer`
    });
    await waitUntilFinished(request, newer.grid_id);

    // Show the older grid: not the one the view shows by default.
    const view = await showGrid(page, older.grid_id);
    await expect(view.locator('.jp-EnvManager-gridState')).toHaveText(
      'finished'
    );
    // The workspace holds the view and the grid it shows (saved with a delay).
    const workspace = async () =>
      page.evaluate(async () => {
        const response = await fetch('/lab/api/workspaces/default');
        return (await response.json()).data ?? {};
      });
    await expect
      .poll(
        async () => (await workspace())['jupyter-env-manager-grids:grids'],
        {
          timeout: 30000
        }
      )
      .toEqual({ data: { grid: older.grid_id } });

    await reloadRestored(page);
    const restored = page.locator('#jp-env-manager-grids');
    await expect(restored).toBeVisible({ timeout: 30000 });
    await expect(
      page.locator('.lm-DockPanel-tabBar .lm-TabBar-tab', {
        hasText: 'Grid searches'
      })
    ).toHaveCount(1);
    for (const [grid, total] of [
      [older, 2],
      [newer, 1]
    ] as const) {
      await expect(
        restored.locator('.jp-EnvManager-gridItem', { hasText: grid.grid_id })
      ).toContainText(`finished · ${total}/${total} · ${grid.grid_id}`);
    }
    const detail = restored.locator('.jp-EnvManager-gridDetail');
    await expect(detail).toHaveAttribute('data-grid-id', older.grid_id);
    await expect(restored.locator('.jp-EnvManager-gridState')).toHaveText(
      'finished'
    );
    await expect(restored.locator('.jp-EnvManager-gridCounts')).toContainText(
      '2 / 2 done'
    );
    await expect(
      restored.locator('tbody .jp-EnvManager-runStatus.jp-mod-ok')
    ).toHaveCount(2);

    // Closed, it stays closed after the next reload.
    await page
      .locator('.lm-DockPanel-tabBar .lm-TabBar-tab', {
        hasText: 'Grid searches'
      })
      .locator('.lm-TabBar-tabCloseIcon')
      .click();
    await expect(restored).toHaveCount(0);
    await expect
      .poll(
        async () => (await workspace())['jupyter-env-manager-grids:grids'],
        {
          timeout: 30000
        }
      )
      .toBeUndefined();
    await reloadRestored(page);
    await expect(page.locator('#jp-env-manager-grids')).toHaveCount(0);
  });
});

test('a refused start keeps the form; "Run in" offers only launchable environments', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(300000);
  const withKernel = uniqueName('galata-gridk');
  const without = uniqueName('galata-gridn');
  try {
    await createOverRest(request, {
      name: withKernel,
      engine: 'uv',
      pip: ['ipykernel']
    });
    await createOverRest(request, { name: without, engine: 'uv' });
    await page.contents.uploadContent(
      squareNotebook(),
      'text',
      `${tmpPath}/square.ipynb`
    );
    const dialog = await openGridDialog(page, 'square.ipynb');
    const target = dialog.locator('#jem-grid-target');
    await expect(
      target.locator(`option[value="env:${withKernel}"]`)
    ).toBeEnabled();
    await expect(
      target.locator(`option[value="env:${withKernel}"]`)
    ).toHaveText(withKernel);
    const bare = target.locator(`option[value="env:${without}"]`);
    await expect(bare).toBeDisabled();
    await expect(bare).toHaveText(`${without} (no ipykernel)`);

    await dialog.locator('#jem-grid-param-x').fill('2, 3');
    await dialog.locator('#jem-grid-metric').fill('y');
    await dialog.getByLabel('Minimize').check();
    await target.selectOption(`env:${withKernel}`);
    // The notebook changes while the dialog is open: `x` is no parameter any
    // more, which only the server can know.
    await page.contents.uploadContent(
      parametersNotebook('z = 1', 'y = z'),
      'text',
      `${tmpPath}/square.ipynb`
    );
    await dialog.getByRole('button', { name: 'Start' }).click();

    const again = page.locator('.jp-Dialog');
    await expect(again.locator('.jp-EnvManager-serverError')).toContainText(
      'Unknown parameter(s) x'
    );
    // Everything typed is still there.
    await expect(again.locator('#jem-grid-param-x')).toHaveValue('2, 3');
    await expect(again.locator('#jem-grid-metric')).toHaveValue('y');
    await expect(again.getByLabel('Minimize')).toBeChecked();
    await expect(again.locator('#jem-grid-target')).toHaveValue(
      `env:${withKernel}`
    );

    // Put the notebook back and start again: it runs, in the environment.
    await page.contents.uploadContent(
      squareNotebook(),
      'text',
      `${tmpPath}/square.ipynb`
    );
    await again.getByRole('button', { name: 'Start' }).click();
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
    const view = page.locator('#jp-env-manager-grids');
    const table = view.locator('.jp-EnvManager-gridTable');
    await expect(
      table.locator('tbody .jp-EnvManager-runStatus.jp-mod-ok')
    ).toHaveCount(2, { timeout: 120000 });
    await expectRanked(table, '2', ['4', '9']);
    await expect(view.locator('.jp-EnvManager-gridDetail')).toContainText(
      `kernel ${withKernel}`
    );
    const [grid] = await (await request.get(`${API}/grids`)).json();
    expect(grid.target.env_name).toBe(withKernel);
    // Its kernels are gone before the environment is removed.
    await waitUntilFinished(request, grid.grid_id);
  } finally {
    await removeQuietly(request, withKernel);
    await removeQuietly(request, without);
  }
});

test('start a grid search from the Environments sidebar', async ({
  page,
  request,
  tmpPath
}) => {
  test.setTimeout(120000);
  await page.contents.uploadContent(
    squareNotebook(),
    'text',
    `${tmpPath}/square.ipynb`
  );
  await page.evaluate(() => {
    window.jupyterapp.shell.activateById('jp-env-manager-sidebar');
  });
  const section = page.locator('#jp-env-manager-sidebar section', {
    has: page.getByRole('heading', { name: 'Grid searches' })
  });
  await expect(section).toBeVisible();
  await section.getByRole('button', { name: 'New grid search…' }).click();

  const dialog = page.locator('.jp-Dialog');
  const path = dialog.locator('#jem-grid-notebook');
  await expect(path).toBeVisible();
  const next = dialog.getByRole('button', { name: 'Next' });
  const error = dialog.locator('#jem-grid-notebook-error');

  // Not a notebook: said while typing, and Next waits.
  await path.fill(`${tmpPath}/square.txt`);
  await expect(error).toHaveText('A notebook path ends with .ipynb.');
  await expect(next).toBeDisabled();

  // A notebook that is not there: the server says so, the path stays typed.
  await path.fill(`${tmpPath}/missing.ipynb`);
  await expect(next).toBeEnabled();
  await next.click();
  await expect(dialog.locator('#jem-grid-notebook')).toHaveValue(
    `${tmpPath}/missing.ipynb`
  );
  await expect(dialog.locator('#jem-grid-notebook-error')).not.toBeEmpty();

  await dialog.locator('#jem-grid-notebook').fill(`${tmpPath}/square.ipynb`);
  await dialog.getByRole('button', { name: 'Next' }).click();
  const xValues = page.locator('.jp-Dialog #jem-grid-param-x');
  await expect(xValues).toBeVisible();
  await xValues.fill('1, 2');
  await expect(page.locator('.jp-Dialog .jp-EnvManager-gridPoints')).toHaveText(
    '2 runs'
  );
  await page.locator('.jp-Dialog #jem-grid-metric').fill('y');
  await page
    .locator('.jp-Dialog #jem-grid-target')
    .selectOption('kernel:python3');
  await page
    .locator('.jp-Dialog')
    .getByRole('button', { name: 'Start' })
    .click();
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);

  const view = page.locator('#jp-env-manager-grids');
  await expect(view).toBeVisible();
  const started = await view
    .locator('.jp-EnvManager-gridDetail')
    .getAttribute('data-grid-id');
  expect(started).toBeTruthy();
  await waitUntilFinished(request, started!);

  // The sidebar lists it, finished, and opens it on a click.
  const entry = section.locator(`li[data-grid-id="${started}"]`);
  await expect(entry.locator('.jp-EnvManager-recentGridName')).toHaveText(
    'square.ipynb'
  );
  await expect(entry.locator('.jp-EnvManager-recentGridState')).toHaveText(
    'finished 2/2',
    { timeout: 30000 }
  );
  await page.evaluate(() => {
    window.jupyterapp.shell.activateById('jp-env-manager-sidebar');
  });
  await screenshot(section, 'sidebar-grid-searches.png');
  await entry.getByRole('button').click();
  await expect(view.locator('.jp-EnvManager-gridDetail')).toHaveAttribute(
    'data-grid-id',
    started!
  );
});
