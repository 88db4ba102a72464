/**
 * What one plugin of this extension hands the others (and other extensions):
 * the shared client and models, and the places a feature adds its views to.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Token } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { EnvManagerClient, EnvManagerEvents, IEnvironment } from './api';
import { ErrorNotices } from './common/notices';
import { EnvironmentsModel } from './environments/model';
import { KernelSpecsModel } from './kernels/model';
import { SettingsModel } from './settings/model';
import { TasksModel } from './tasks/model';

/** The server's client and the models every feature shares. */
export interface IEnvManager {
  readonly client: EnvManagerClient;
  readonly events: EnvManagerEvents;
  readonly environments: EnvironmentsModel;
  readonly kernels: KernelSpecsModel;
  readonly tasks: TasksModel;
  readonly settings: SettingsModel;
  /** Error toasts, one per distinct message. */
  readonly errors: ErrorNotices;
  readonly trans: TranslationBundle;
}

export const IEnvManager = new Token<IEnvManager>(
  'jupyter-env-manager:IEnvManager',
  'The env-manager client and its shared models.'
);

/** A tab of the environment view (beside "Packages"), one per environment. */
export interface IEnvironmentTab {
  /** Unique among tabs; also the tab widget's class suffix. */
  id: string;
  label: string;
  /** Tabs are ordered by rank; "Packages" has rank 0. */
  rank: number;
  /** A new widget for this environment; disposed when its view closes. */
  create(environment: IEnvironment): Widget;
}

/** A section of the Environments sidebar, below the environments list. */
export interface ISidebarSection {
  widget: Widget;
  /** Sections are ordered by rank; the environments list has rank 0. */
  rank: number;
}

/** Where features add to the environment UI. */
export interface IEnvironmentViews {
  addTab(tab: IEnvironmentTab): void;
  addSidebarSection(section: ISidebarSection): void;
  /** Open (or bring forward) the view of an environment, on a tab if given. */
  open(environment: IEnvironment, tabId?: string): void;
}

export const IEnvironmentViews = new Token<IEnvironmentViews>(
  'jupyter-env-manager:IEnvironmentViews',
  'Add tabs to the environment view and sections to the Environments sidebar.'
);
