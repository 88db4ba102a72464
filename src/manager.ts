/**
 * The shared client and models, made once for every plugin.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { EnvManagerClient, EnvManagerEvents } from './api';
import { ErrorNotices } from './common/notices';
import { TRANSLATION_DOMAIN } from './common/translation';
import { EnvironmentChangeFollower } from './environments/follow';
import { EnvironmentsModel } from './environments/model';
import { KernelSpecsModel } from './kernels/model';
import { SettingsModel } from './settings/model';
import { TasksModel } from './tasks/model';
import { IEnvManager } from './tokens';

export function createEnvManager(
  app: JupyterFrontEnd,
  translator: ITranslator | null,
  settingRegistry: ISettingRegistry | null,
  settingsPluginId: string
): IEnvManager {
  const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
  const client = new EnvManagerClient(app.serviceManager.serverSettings, trans);
  const events = new EnvManagerEvents(app.serviceManager.events.stream);
  const environments = new EnvironmentsModel(client);
  const kernels = new KernelSpecsModel(app.serviceManager.kernelspecs);
  const tasks = new TasksModel(client, events);
  const settings = new SettingsModel();
  settings.changed.connect((_, current) => {
    tasks.autoDismiss = current.autoDismissFinishedTasks;
  });
  if (settingRegistry) {
    settings
      .follow(settingRegistry, settingsPluginId)
      .catch(error =>
        console.warn('jupyter-env-manager: cannot load settings', error)
      );
  }
  // Whoever adds or removes an environment (this UI, the CLI, conda), the
  // list, the Launcher and the kernel picker follow the server's events.
  new EnvironmentChangeFollower(events, {
    environments: () => environments.refresh(),
    kernels: () => kernels.refresh()
  });
  tasks
    .followRunning()
    .catch(error => console.warn('Cannot list running tasks:', error));
  return {
    client,
    events,
    environments,
    kernels,
    tasks,
    settings,
    errors: new ErrorNotices(),
    trans
  };
}
