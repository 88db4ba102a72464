/**
 * The API client against a real Jupyter server with the extension, over real
 * HTTP: what the sidebar shows comes from exactly these calls.
 */
import { ServerConnection } from '@jupyterlab/services';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';

import { EnvManagerApiError, EnvManagerClient, ITask } from '..';
import { englishBundle } from '../../common/translation';
import { outputNotebookPath } from '../../grid/cells';
import {
  buildGridRequest,
  emptyGridForm,
  gridFormErrors,
  typedFields
} from '../../grid/form';
import { GridsModel } from '../../grid/model';
import { bestRuns, sortByRank } from '../../grid/ranking';

const JUPYTER = process.env.JUPYTER_EXECUTABLE ?? 'jupyter';
const TOKEN = 'jest-token-' + Math.random().toString(16).slice(2);

let server: ChildProcess;
let baseUrl: string;
let rootDir: string;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitForServer(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}api/status`, {
        headers: { Authorization: `token ${TOKEN}` }
      });
      if (response.ok) {
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise(resolve => setTimeout(resolve, 200));
  }
  throw new Error(`Jupyter server did not start at ${url}`);
}

function settings(token: string): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl,
    wsUrl: baseUrl.replace(/^http/, 'ws'),
    token,
    appendToken: false
  });
}

beforeAll(async () => {
  const port = await freePort();
  rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'jem-jest-'));
  baseUrl = `http://127.0.0.1:${port}/jem-base/`;
  server = spawn(
    JUPYTER,
    [
      'server',
      '--no-browser',
      `--port=${port}`,
      '--ip=127.0.0.1',
      '--ServerApp.base_url=/jem-base/',
      `--IdentityProvider.token=${TOKEN}`,
      `--ServerApp.root_dir=${rootDir}`,
      '--ServerApp.allow_unauthenticated_access=False',
      // Environments, locks and task records stay in the test's folder.
      `--EnvManager.venvs_dir=${path.join(rootDir, 'venvs')}`,
      `--EnvManager.envs_dirs=${path.join(rootDir, 'envs')}`,
      `--EnvManager.locks_dir=${path.join(rootDir, 'locks')}`,
      `--EnvManagerApp.tasks_db=${path.join(rootDir, 'tasks.sqlite')}`,
      '--EnvManagerApp.warm_search_index=False',
      // CI and dev containers run as root; the server refuses that by default.
      '--allow-root'
    ],
    { stdio: 'ignore', cwd: rootDir }
  );
  await waitForServer(baseUrl, 60000);
}, 70000);

afterAll(() => {
  server?.kill('SIGTERM');
  fs.rmSync(rootDir, { recursive: true, force: true });
});

describe('EnvManagerClient', () => {
  it('reads the package version and engines from the server', async () => {
    const client = new EnvManagerClient(settings(TOKEN));
    const info = await client.info();

    const expected = JSON.parse(
      execFileSync(JUPYTER, ['env-manager', 'info', '--json'], {
        encoding: 'utf-8'
      })
    );
    expect(info.version).toBe(expected.version);
    expect(info.engines.map(engine => engine.name)).toEqual([
      'conda',
      'mamba',
      'micromamba',
      'rattler',
      'uv'
    ]);
    expect(info.engines).toEqual(expected.engines);
    // No kernel spec manager configured: the extension's own serves env kernels.
    expect(info.kernels).toEqual({
      spec_manager: expect.stringMatching(/\.EnvKernelSpecManager$/),
      env_kernels: 'spec-manager',
      message: null
    });
  });

  it('turns a refused request into an error carrying the status', async () => {
    const client = new EnvManagerClient(settings('wrong-token'));
    const failure = client.info();
    await expect(failure).rejects.toBeInstanceOf(EnvManagerApiError);
    await expect(failure).rejects.toMatchObject({ status: 403 });
  });

  it('reports an unreachable server as a network error', async () => {
    const port = await freePort();
    const client = new EnvManagerClient(
      ServerConnection.makeSettings({
        baseUrl: `http://127.0.0.1:${port}/`,
        wsUrl: `ws://127.0.0.1:${port}/`,
        token: TOKEN
      })
    );
    await expect(client.info()).rejects.toMatchObject({
      status: 0,
      kind: 'NetworkError'
    });
  });
});

async function waitForTask(
  client: EnvManagerClient,
  started: ITask,
  timeoutMs = 60000
): Promise<ITask> {
  const deadline = Date.now() + timeoutMs;
  let task = started;
  while (task.status === 'queued' || task.status === 'running') {
    if (Date.now() > deadline) {
      throw new Error(`task ${task.id} still ${task.status}`);
    }
    await new Promise(resolve => setTimeout(resolve, 200));
    task = await client.task(started.id);
  }
  return task;
}

describe('EnvManagerClient environments', () => {
  const name = 'jest-venv-' + Date.now().toString(36);

  it('refuses a bad name with the server message and creates nothing', async () => {
    const client = new EnvManagerClient(settings(TOKEN));
    const failure = client.create({ name: '../escape', engine: 'uv' });
    await expect(failure).rejects.toMatchObject({
      status: 400,
      kind: 'InvalidRequest'
    });
    await expect(failure).rejects.toThrow(/'\.\.'/);
    expect(fs.existsSync(path.join(rootDir, 'escape'))).toBe(false);
    await expect(client.environment('escape')).rejects.toMatchObject({
      status: 404
    });
  });

  it('creates, lists, exports, previews and removes a uv environment', async () => {
    const client = new EnvManagerClient(settings(TOKEN));
    expect((await client.environments()).map(env => env.name)).not.toContain(
      name
    );

    const started = await client.create({ name, engine: 'uv' });
    expect(started.operation).toBe('create');
    const done = await waitForTask(client, started);
    expect(done.status).toBe('succeeded');
    expect(done.log.length).toBeGreaterThan(0);
    expect((await client.tasks()).map(task => task.id)).toContain(started.id);

    const prefix = path.join(rootDir, 'venvs', name);
    const env = await client.environment(name);
    expect(env).toMatchObject({ name, kind: 'venv', engine: 'uv', prefix });
    expect(fs.existsSync(path.join(prefix, 'pyvenv.cfg'))).toBe(true);
    const sized = (await client.environments(true)).find(e => e.name === name);
    expect(sized?.size_bytes).toBeGreaterThan(0);

    const exported = await client.exportFile(name, 'yml');
    expect(exported.filename).toBe('environment.yml');
    expect(exported.content).toContain(`name: ${name}`);
    const requirements = await client.exportFile(name, 'requirements');
    expect(requirements.filename).toBe('requirements.txt');

    // Nothing to remove from an empty venv: the server says so.
    await expect(
      client.previewPackages(name, { action: 'remove', packages: [] })
    ).rejects.toMatchObject({ status: 400 });
    const before = await client.packages(name);

    const removing = await client.remove(name);
    expect((await waitForTask(client, removing)).status).toBe('succeeded');
    expect(fs.existsSync(prefix)).toBe(false);
    expect(before.map(p => p.name)).not.toContain('ipykernel');
    await expect(client.environment(name)).rejects.toMatchObject({
      status: 404,
      kind: 'EnvironmentNotFound'
    });
  });

  it('answers 404 for a task it does not know', async () => {
    const client = new EnvManagerClient(settings(TOKEN));
    await expect(client.cancelTask('0'.repeat(32))).rejects.toMatchObject({
      status: 404
    });
  });
});

/** A notebook whose parameters cell sets x, and whose next cell sets y = x * x. */
function writeSquareNotebook(file: string): void {
  const cell = (source: string, tags: string[] = []) => ({
    cell_type: 'code',
    execution_count: null,
    metadata: { tags },
    outputs: [],
    source
  });
  const notebook = {
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
  };
  fs.writeFileSync(file, JSON.stringify(notebook));
}

describe('EnvManagerClient grid searches', () => {
  it('inspects, runs, lists and downloads a grid over a real kernel', async () => {
    const client = new EnvManagerClient(settings(TOKEN));
    writeSquareNotebook(path.join(rootDir, 'square.ipynb'));

    const inspection = await client.inspectNotebook('square.ipynb');
    expect(inspection.parameters.map(p => [p.name, p.default])).toEqual([
      ['x', 1]
    ]);

    const model = new GridsModel(client, null, 250);
    const started = await client.startGrid({
      notebook: 'square.ipynb',
      grid: { x: [3, 1, 2] },
      kernel: 'python3',
      metrics: ['y'],
      goal: 'min'
    });
    expect(started.total).toBe(3);
    await model.track(started);
    const deadline = Date.now() + 60000;
    while (model.selected?.active || model.selected?.state !== 'finished') {
      if (Date.now() > deadline) {
        throw new Error(`grid still ${model.selected?.state}`);
      }
      await new Promise(resolve => setTimeout(resolve, 200));
    }
    model.dispose();
    const grid = model.selected!;
    expect(grid.counts.ok).toBe(3);
    const rows = sortByRank(grid.results ?? [], 'y');
    expect(rows.map(r => [r.param_x, r.y])).toEqual([
      [1, 1],
      [2, 4],
      [3, 9]
    ]);
    expect([...bestRuns(rows, 'y')]).toEqual([rows[0].run]);
    const output = outputNotebookPath(rows[0].output_notebook);
    expect(output).not.toBeNull();
    expect(fs.existsSync(path.join(rootDir, output!))).toBe(true);

    expect((await client.grids()).map(g => g.grid_id)).toContain(
      started.grid_id
    );
    const csv = await client.gridResultsCsv(started.grid_id);
    expect(csv.filename).toBe('results.csv');
    const [header, ...lines] = csv.content.trim().split('\n');
    expect(header.split(',')).toEqual(
      expect.arrayContaining(['param_x', 'y', 'rank_y', 'status'])
    );
    expect(lines).toHaveLength(3);
  });

  it('parses what the form holds with the CLI grammar and starts from the same text', async () => {
    const client = new EnvManagerClient(settings(TOKEN));
    writeSquareNotebook(path.join(rootDir, 'typed.ipynb'));
    const inspection = await client.inspectNotebook('typed.ipynb');
    const form = { ...emptyGridForm(), values: { x: '1.0, 2, TRUE' } };
    const typed = typedFields(form.values, inspection.parameters);

    // 1.0 stays a float and TRUE a bool: Python's reading, not JavaScript's.
    const preview = await client.gridValues(typed);
    expect(preview.parameters.x).toEqual([
      { text: '1.0', type: 'float' },
      { text: '2', type: 'int' },
      { text: 'True', type: 'bool' }
    ]);
    expect(preview.runs).toBe(3);
    const bad = await client.gridValues({ x: '1,,2' });
    expect(bad.runs).toBeNull();
    expect(
      gridFormErrors(
        { ...form, values: { x: '1,,2' } },
        inspection.parameters,
        englishBundle,
        bad
      ).values.x
    ).toMatch(/empty value/);

    const request = buildGridRequest(
      'typed.ipynb',
      form,
      inspection.parameters
    );
    expect(request.sweeps).toEqual(['x=1.0, 2, TRUE']);
    const started = await client.startGrid(request);
    expect(started.total).toBe(3);
  });

  it('refuses an unknown parameter before running anything', async () => {
    const client = new EnvManagerClient(settings(TOKEN));
    writeSquareNotebook(path.join(rootDir, 'refused.ipynb'));
    const before = (await client.grids()).length;
    await expect(
      client.startGrid({
        notebook: 'refused.ipynb',
        grid: { nope: [1, 2] },
        kernel: 'python3'
      })
    ).rejects.toMatchObject({ status: 400 });
    expect(await client.grids()).toHaveLength(before);
    await expect(client.grid('0'.repeat(12))).rejects.toMatchObject({
      status: 404
    });
  });
});
