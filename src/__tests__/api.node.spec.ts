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

import { EnvManagerApiError, EnvManagerClient } from '../api';

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
      // CI and dev containers run as root; the server refuses that by default.
      '--allow-root'
    ],
    { stdio: 'ignore' }
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
