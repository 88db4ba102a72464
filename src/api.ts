/**
 * The one client for the server extension's REST API. Widgets and models call
 * this and never build URLs or parse responses themselves.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

/** Path of the API, relative to the server's base URL. */
export const API_PATH = 'env-manager/api';

/** Schema id of the Jupyter events the server emits for task progress. */
export const TASK_EVENT_SCHEMA =
  'https://events.jupyter.org/jupyter_env_manager/task/v1';

export const EXPORT_FORMATS = [
  'yml',
  'no-builds',
  'from-history',
  'requirements',
  'lock'
] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CREATE_ENGINES = ['auto', 'conda', 'uv'] as const;
export type CreateEngine = (typeof CREATE_ENGINES)[number];

export interface IEngineInfo {
  name: string;
  available: boolean;
  version: string | null;
  path: string | null;
}

/** How this server serves environment kernels (GET info's `kernels`). */
export interface IKernelsInfo {
  /** Dotted class name of the server's kernel spec manager. */
  spec_manager: string;
  /**
   * "spec-manager": the extension's own kernel spec manager lists them;
   * "kernelspec-files": another manager is in charge and reads kernelspec
   * files the extension keeps in sync; "none": environment kernels are off.
   */
  env_kernels: 'spec-manager' | 'kernelspec-files' | 'none';
  /** A sentence for the user when env_kernels is not "spec-manager". */
  message: string | null;
}

/** The conda the conda engine runs, as it describes itself (`conda info`). */
export interface ICondaInfo {
  path: string;
  version: string | null;
  solver: string | null;
  root_prefix: string | null;
  envs_dirs: string[];
}

export interface IServerInfo {
  version: string;
  engines: IEngineInfo[];
  /** Null when no conda is installed. */
  conda?: ICondaInfo | null;
  /** Absent on servers older than the kernels report. */
  kernels?: IKernelsInfo;
}

export interface IEnvironment {
  name: string;
  prefix: string;
  kind: 'conda' | 'venv';
  engine: string;
  python_version: string | null;
  has_ipykernel: boolean;
  size_bytes: number | null;
  is_base: boolean;
}

export interface IPackage {
  name: string;
  version: string;
  source: 'conda' | 'pypi';
  build?: string | null;
  channel?: string | null;
  url?: string | null;
  sha256?: string | null;
  requested?: boolean;
}

export interface IPackageChange {
  name: string;
  action: 'install' | 'update' | 'downgrade' | 'remove' | 'reinstall';
  source: 'conda' | 'pypi';
  old_version: string | null;
  new_version: string | null;
}

export interface IChangePlan {
  dry_run: boolean;
  changes: IPackageChange[];
}

export type TaskStatus =
  'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface ITask {
  id: string;
  operation: string;
  environment: string;
  status: TaskStatus;
  stage: string | null;
  message: string | null;
  fraction: number | null;
  log: string[];
  error?: { error: string; message: string } | null;
  result?: unknown;
  created: number;
  finished: number | null;
}

/** The data of one task progress event. */
export interface ITaskEvent {
  task_id: string;
  operation: string;
  environment: string;
  status: TaskStatus;
  stage?: string | null;
  message?: string | null;
  fraction?: number | null;
  log_line?: string | null;
}

export interface ICreateRequest {
  name?: string;
  engine?: string;
  python?: string;
  packages?: string[];
  pip?: string[];
  channels?: string[];
  file?: { filename: string; content: string };
}

export interface IPackagesRequest {
  action: 'install' | 'update' | 'remove';
  packages?: string[];
  pip?: string[];
  channels?: string[];
  all?: boolean;
}

/** An exported environment file, as the server names it. */
export interface IExportedFile {
  filename: string;
  content: string;
}

/** Schema id of the Jupyter events the server emits for grid searches. */
export const GRID_EVENT_SCHEMA =
  'https://events.jupyter.org/jupyter_env_manager/grid/v1';

/** A parameter a notebook declares in its `parameters` cell. */
export interface IGridParameter {
  name: string;
  default: unknown;
  default_source: string;
  type: string;
  literal: boolean;
  help: string;
}

/** What POST grids/inspect answers about a notebook. */
export interface INotebookInspection {
  path: string;
  language: string;
  hash: string;
  parameters: IGridParameter[];
}

export type GridValue = number | boolean | string | null;

/** How the environment here compares with a notebook's pin (GET notebooks/status). */
export interface IPinStatus {
  state: 'match' | 'differs' | 'missing' | 'unpinned';
  /** The pinned environment's name. */
  pinned: string | null;
  /** The environment here that matches (maybe under another name) or differs. */
  environment: string | null;
  /** Packages here that the pin does not have, and pinned ones missing here. */
  added: string[];
  removed: string[];
  message: string;
}

/** One value of a grid field as a run will see it (Python's repr and type name). */
export interface IShownValue {
  text: string;
  type: string;
}

/** What POST grids/values answers: the typed fields parsed by the server's grammar. */
export interface IGridValuesPreview {
  parameters: Record<string, IShownValue[]>;
  /** How many runs the fields make; null while a field has an error. */
  runs: number | null;
  errors: Record<string, string>;
}

export interface IGridRequest {
  notebook: string;
  /** A dict of value lists (or a list of such dicts, ParameterGrid-style). */
  grid?: Record<string, GridValue[]> | Record<string, GridValue[]>[];
  sweeps?: string[];
  env?: string;
  kernel?: string;
  metrics?: string[];
  goal?: 'max' | 'min';
  workers?: number;
  seed?: number;
  repeats?: number;
  timeout?: number;
  out_dir?: string;
}

export interface IGridMetric {
  name: string;
  goal: 'max' | 'min';
}

export type GridState = 'created' | 'running' | 'finished' | 'cancelled';

/** Statuses of one run, as the server counts them. */
export type RunStatus =
  'pending' | 'running' | 'ok' | 'failed' | 'timeout' | 'refused' | 'cancelled';

/** One row of the results table (cv_results_-like: param_<name>, metrics, rank_<metric>). */
export type GridRow = Record<string, unknown> & {
  run: number;
  status: RunStatus;
  duration?: number | null;
  error?: string | null;
  output_notebook?: string | null;
  /** How many times the run started, re-runs included. */
  attempts?: number | null;
};

export interface IGrid {
  grid_id: string;
  state: GridState;
  active: boolean;
  total: number;
  done: number;
  counts: Partial<Record<RunStatus, number>>;
  notebook: string;
  out_dir: string;
  metrics: IGridMetric[];
  swept: string[];
  target?: {
    kernel_name: string;
    display_name?: string;
    env_name?: string | null;
  };
  /** Only in GET grids/{id}. */
  results?: GridRow[];
  best?: Record<string, unknown> | null;
}

/** The data of one grid event. */
export interface IGridEvent {
  grid_id: string;
  kind:
    | 'grid_started'
    | 'run_started'
    | 'run_finished'
    | 'run_retry'
    | 'grid_finished';
  index?: number | null;
  status?: string | null;
  message?: string;
  done?: number;
  total?: number;
  details?: Record<string, unknown>;
}

/** Schema id of the events saying the set of environments or their kernels changed. */
export const ENVIRONMENTS_EVENT_SCHEMA =
  'https://events.jupyter.org/jupyter_env_manager/environments/v1';

/** The data of one environments event. */
export interface IEnvironmentsEvent {
  change: 'environments' | 'kernels';
}

/** What a Jupyter event stream delivers: the schema id beside the event's data. */
export interface IEmission {
  schema_id: string;
}

/** Anything that delivers Jupyter event emissions (the service manager's stream). */
export interface IEventSource {
  connect(
    slot: (sender: unknown, emission: IEmission) => void,
    thisArg?: unknown
  ): boolean;
  disconnect(
    slot: (sender: unknown, emission: IEmission) => void,
    thisArg?: unknown
  ): boolean;
}

/**
 * The one subscriber to the server's event stream: sorts this extension's
 * events by schema into typed signals, so models never read raw emissions.
 */
export class EnvManagerEvents {
  constructor(source: IEventSource | null) {
    this._source = source;
    source?.connect(this._onEmission, this);
  }

  /** Progress of a task (create, install, remove, ...). */
  get task(): ISignal<this, ITaskEvent> {
    return this._task;
  }
  /** Progress of a grid search. */
  get grid(): ISignal<this, IGridEvent> {
    return this._grid;
  }
  /** The set of environments or of environment kernels changed, whoever changed it. */
  get environments(): ISignal<this, IEnvironmentsEvent> {
    return this._environments;
  }

  dispose(): void {
    this._source?.disconnect(this._onEmission, this);
    this._source = null;
    Signal.clearData(this);
  }

  private _onEmission(_: unknown, emission: IEmission): void {
    switch (emission.schema_id) {
      case TASK_EVENT_SCHEMA:
        this._task.emit(emission as unknown as ITaskEvent);
        break;
      case GRID_EVENT_SCHEMA:
        this._grid.emit(emission as unknown as IGridEvent);
        break;
      case ENVIRONMENTS_EVENT_SCHEMA:
        this._environments.emit(emission as unknown as IEnvironmentsEvent);
        break;
    }
  }

  private _source: IEventSource | null;
  private _task = new Signal<this, ITaskEvent>(this);
  private _grid = new Signal<this, IGridEvent>(this);
  private _environments = new Signal<this, IEnvironmentsEvent>(this);
}

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
    readonly serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()
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
        `Cannot reach the server: ${(error as Error).message}`,
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
