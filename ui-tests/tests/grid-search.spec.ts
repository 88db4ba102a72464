import { expect, test } from '@jupyterlab/galata';
import fs from 'fs';
import path from 'path';

const SCREENSHOTS = path.resolve(__dirname, '..', '..', 'docs', 'screenshots');
const API = '/env-manager/api';

/** Parameters cell `x = 1` (tagged "parameters"), then `y = x * x`. */
function squareNotebook(): string {
  const cell = (source: string, tags: string[] = []) => ({
    cell_type: 'code',
    execution_count: null,
    metadata: { tags },
    outputs: [],
    source
  });
  return JSON.stringify({
    cells: [cell('x = 1', ['parameters']), cell('y = x * x')],
    metadata: {
      kernelspec: {
        name: 'python3',
        display_name: 'Python 3',
        language: 'python'
      }
    },
    nbformat: 4,
    nbformat_minor: 5
  });
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
  await xValues.fill('1, 2, 3');
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
  const best = table.locator('tbody tr.jp-mod-best');
  await expect(best).toHaveCount(1);
  await expect(best.locator('td[data-param="x"]')).toHaveText('1');
  await expect(best.locator('td[data-metric="y"]')).toHaveText('1');
  await expect(table.locator('tbody tr').first()).toHaveClass(/jp-mod-best/);
  await expect(table.locator('tbody td[data-metric="y"]')).toHaveText([
    '1',
    '4',
    '9'
  ]);

  const plot = view.locator('svg.jp-EnvManager-gridPlot[data-kind="line"]');
  await expect(plot).toBeVisible();
  await expect(plot.locator('circle')).toHaveCount(3);

  // The server finishes the grid (results files) just after its last run.
  await expect
    .poll(async () => (await (await request.get(`${API}/grids`)).json())[0], {
      timeout: 30000
    })
    .toMatchObject({ state: 'finished', done: 3, total: 3 });
  await expect(view.locator('.jp-EnvManager-gridState')).toHaveText('finished');

  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await view.screenshot({ path: path.join(SCREENSHOTS, 'grid-search.png') });

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
  await best.getByRole('button', { name: 'Open' }).click();
  await expect(page.locator('.jp-NotebookPanel .jp-Cell')).toHaveCount(3, {
    timeout: 30000
  });
});
