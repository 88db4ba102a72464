/**
 * The one client for the server extension's REST API. Widgets and models call
 * this and never build URLs or parse responses themselves.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';

import { englishBundle } from '../common/translation';
import {
  ExportFormat,
  IChangePlan,
  ICleanResult,
  ICreateRequest,
  IDiskReport,
  IEnvironment,
  IExportedFile,
  IGrid,
  IGridRequest,
  IGridValuesPreview,
  IHistory,
  INotebookInspection,
  IPackage,
  IPackagesRequest,
  IPinStatus,
  IServerInfo,
  ITask
} from './types';

/** Path of the API, relative to the server's base URL. */
export const API_PATH = 'env-manager/api';

/**
 * An error answered by the server, with the message it gave for users.
 */
export class EnvManagerApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly kind: string
  ) {
    super(message);
    this.name = 'EnvManagerApiError';
  }
}

export class EnvManagerClient {
  constructor(
    readonly serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings(),
    /** For the errors the client words itself (the server's come worded). */
    private readonly trans: TranslationBundle = englishBundle
  ) {}

  /** Package version and the engines the server found. */
  info(): Promise<IServerInfo> {
    return this.json<IServerInfo>('info');
  }

  /** Every environment, base first; `sizes` adds the size on disk (slower). */
  environments(sizes = false): Promise<IEnvironment[]> {
    return this.json<IEnvironment[]>(
      'environments' + (sizes ? '?sizes=true' : '')
    );
  }

  environment(name: string): Promise<IEnvironment> {
    return this.json<IEnvironment>(envPath(name));
  }

  /** Start creating an environment; the answer is the task doing it. */
  create(request: ICreateRequest): Promise<ITask> {
    return this.json<ITask>('environments', post(request));
  }

  remove(name: string): Promise<ITask> {
    return this.json<ITask>(envPath(name), { method: 'DELETE' });
  }

  clone(name: string, newName: string): Promise<ITask> {
    return this.json<ITask>(envPath(name, 'clone'), post({ name: newName }));
  }

  async exportFile(
    name: string,
    format: ExportFormat = 'yml'
  ): Promise<IExportedFile> {
    const response = await this.fetch(
      envPath(name, 'export') + '?format=' + encodeURIComponent(format)
    );
    const content = await response.text();
    return {
      filename: filenameFrom(response) ?? `${name}-${format}.txt`,
      content
    };
  }

  packages(name: string): Promise<IPackage[]> {
    return this.json<IPackage[]>(envPath(name, 'packages'));
  }

  /** What a change would do, without doing it. */
  previewPackages(
    name: string,
    request: IPackagesRequest
  ): Promise<IChangePlan> {
    return this.json<IChangePlan>(
      envPath(name, 'packages'),
      post({ ...request, dry_run: true })
    );
  }

  changePackages(name: string, request: IPackagesRequest): Promise<ITask> {
    return this.json<ITask>(envPath(name, 'packages'), post(request));
  }

  addKernel(name: string): Promise<ITask> {
    return this.json<ITask>(envPath(name, 'kernel'), { method: 'POST' });
  }

  removeKernel(name: string): Promise<{ removed: string[] }> {
    return this.json<{ removed: string[] }>(envPath(name, 'kernel'), {
      method: 'DELETE'
    });
  }

  searchPackages(query: string, kind: 'conda' | 'venv'): Promise<IPackage[]> {
    const params = URLExt.objectToQueryString({ q: query, kind });
    return this.json<IPackage[]>('packages/search' + params);
  }

  tasks(): Promise<ITask[]> {
    return this.json<ITask[]>('tasks');
  }

  task(id: string): Promise<ITask> {
    return this.json<ITask>(`tasks/${encodeURIComponent(id)}`);
  }

  cancelTask(id: string): Promise<ITask> {
    return this.json<ITask>(`tasks/${encodeURIComponent(id)}`, {
      method: 'DELETE'
    });
  }

  /** The parameters a notebook declares, for the grid search form. */
  inspectNotebook(notebook: string): Promise<INotebookInspection> {
    return this.json<INotebookInspection>('grids/inspect', post({ notebook }));
  }

  /** Record an environment in a notebook (written to the file on the server). */
  pinNotebook(
    path: string,
    env: string
  ): Promise<{ pin: Record<string, unknown>; changed: boolean }> {
    return this.json('notebooks/pin', post({ path, env }));
  }

  pinStatus(path: string): Promise<IPinStatus> {
    return this.json<IPinStatus>(
      `notebooks/status?path=${encodeURIComponent(path)}`
    );
  }

  /** Rebuild (or find) a notebook's pinned environment; a task. */
  reproduceNotebook(path: string, name?: string): Promise<ITask> {
    return this.json<ITask>(
      'notebooks/reproduce',
      post(name ? { path, name } : { path })
    );
  }

  /** Parse the grid form's value fields as the CLI's `--param` does. */
  gridValues(values: Record<string, string>): Promise<IGridValuesPreview> {
    return this.json<IGridValuesPreview>('grids/values', post({ values }));
  }

  /** Grid searches this server started, newest first (without results). */
  grids(): Promise<IGrid[]> {
    return this.json<IGrid[]>('grids');
  }

  /** One grid with its results table and best parameters. */
  grid(id: string): Promise<IGrid> {
    return this.json<IGrid>(gridPath(id));
  }

  /** Start a grid search; the server checks it before any run starts. */
  startGrid(request: IGridRequest): Promise<IGrid> {
    return this.json<IGrid>('grids', post(request));
  }

  cancelGrid(id: string): Promise<IGrid> {
    return this.json<IGrid>(gridPath(id), { method: 'DELETE' });
  }

  /** Run what did not finish; with `rerunFailed`, the failed runs too. */
  resumeGrid(id: string, rerunFailed = false): Promise<IGrid> {
    return this.json<IGrid>(
      gridPath(id, 'resume'),
      post({ rerun_failed: rerunFailed })
    );
  }

  /** The revisions of an environment, oldest first. */
  history(name: string): Promise<IHistory> {
    return this.json<IHistory>(envPath(name, 'history'));
  }

  /** What rolling back to `revision` changes (nothing is changed). */
  rollbackPlan(name: string, revision: number): Promise<IChangePlan> {
    return this.json<IChangePlan>(
      envPath(name, 'rollback'),
      post({ revision, dry_run: true })
    );
  }

  /** Start rolling back to `revision`; the answer is the task doing it. */
  rollback(name: string, revision: number): Promise<ITask> {
    return this.json<ITask>(envPath(name, 'rollback'), post({ revision }));
  }

  /** Disk use of environments (shared files once) and package caches. */
  disk(): Promise<IDiskReport> {
    return this.json<IDiskReport>('disk');
  }

  /** What a cache clean-up would remove (nothing is removed). */
  cleanPlan(): Promise<ICleanResult> {
    return this.json<ICleanResult>('disk/clean', post({ dry_run: true }));
  }

  /** Start the clean-up; the answer is the task doing it. */
  clean(): Promise<ITask> {
    return this.json<ITask>('disk/clean', post({}));
  }

  /** The results table as the server writes it (results.csv). */
  async gridResultsCsv(id: string): Promise<IExportedFile> {
    const response = await this.fetch(gridPath(id, 'results'));
    const content = await response.text();
    return { filename: filenameFrom(response) ?? 'results.csv', content };
  }

  private async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    const response = await this.fetch(path, init);
    return parseJson(await response.text()) as T;
  }

  private async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const url = URLExt.join(this.serverSettings.baseUrl, API_PATH, path);
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        url,
        init,
        this.serverSettings
      );
    } catch (error) {
      throw new EnvManagerApiError(
        this.trans.__('Cannot reach the server: %1', (error as Error).message),
        0,
        'NetworkError'
      );
    }
    if (!response.ok) {
      throw errorFromResponse(response, parseJson(await response.text()));
    }
    return response;
  }
}

/** Names may be prefix paths, so they are always one encoded path segment. */
function envPath(name: string, ...rest: string[]): string {
  return ['environments', encodeURIComponent(name), ...rest].join('/');
}

function gridPath(id: string, ...rest: string[]): string {
  return ['grids', encodeURIComponent(id), ...rest].join('/');
}

function post(body: unknown): RequestInit {
  return {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' }
  };
}

function filenameFrom(response: Response): string | null {
  const header = response.headers.get('Content-Disposition') ?? '';
  const match = /filename="([^"]+)"/.exec(header);
  return match ? match[1] : null;
}

function parseJson(text: string): unknown {
  if (!text) {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorFromResponse(
  response: Response,
  body: unknown
): EnvManagerApiError {
  if (body && typeof body === 'object') {
    const { message, error } = body as { message?: unknown; error?: unknown };
    if (typeof message === 'string' && message) {
      return new EnvManagerApiError(
        message,
        response.status,
        typeof error === 'string' ? error : response.statusText
      );
    }
  }
  return new EnvManagerApiError(
    `${response.status} ${response.statusText}`.trim(),
    response.status,
    response.statusText
  );
}
