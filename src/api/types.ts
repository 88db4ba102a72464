/**
 * What the server extension's REST API and events carry, as TypeScript types.
 * The server's JSON shapes are the contract; these mirror them.
 */

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
  /** Usable (as a kernel too) but not changed from here; absent on older servers. */
  read_only?: boolean;
  read_only_reason?: string | null;
  /** A change was cut short (a killed server or CLI) and is not undone yet. */
  needs_repair?: boolean;
  /** When its packages last changed (seconds since the epoch); absent on older servers. */
  modified?: number | null;
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

/** One change of an environment's history (conda's `rev N`). */
export interface IRevision {
  revision: number;
  time: string;
  request: string;
  specs: string[];
  changes: IPackageChange[];
  packages: string[];
}

export interface IHistory {
  environment: string;
  kind: 'conda' | 'venv';
  read_only: boolean;
  revisions: IRevision[];
}

export interface IEnvironmentUsage {
  name: string;
  prefix: string;
  size_bytes: number;
  shared_bytes: number;
  own_bytes: number;
}

export interface ICleanItem {
  path: string;
  what: string;
  bytes: number;
}

export interface ICacheUsage {
  kind: 'rattler' | 'conda' | 'uv';
  path: string;
  size_bytes: number;
  reclaimable_bytes: number;
  /** uv: an upper bound of what `uv cache prune` frees. */
  estimate: boolean;
  items: ICleanItem[];
  kept_in_use: number;
  writable: boolean;
  note: string | null;
  freed_bytes?: number;
}

export interface IDiskReport {
  environments: IEnvironmentUsage[];
  total_bytes: number;
  sum_of_sizes_bytes: number;
  shared_bytes: number;
  caches: ICacheUsage[];
  reclaimable_bytes: number;
}

export interface ICleanResult {
  dry_run: boolean;
  caches: ICacheUsage[];
  reclaimable_bytes: number;
  freed_bytes: number;
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

/** The data of one environments event. */
export interface IEnvironmentsEvent {
  change: 'environments' | 'kernels';
}
