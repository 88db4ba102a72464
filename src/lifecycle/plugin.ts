/**
 * Environment lifecycle in the UI: a History tab in every environment view and
 * a Disk section in the Environments sidebar.
 */
import { IEnvironmentViews, IEnvManager } from '../tokens';
import { DiskSection } from './diskView';
import { HistoryWidget } from './historyView';

export const HISTORY_TAB = 'history';

export function activateLifecycle(
  manager: IEnvManager,
  views: IEnvironmentViews
): void {
  views.addTab({
    id: HISTORY_TAB,
    label: manager.trans.__('History'),
    rank: 10,
    create: env => new HistoryWidget(manager, env)
  });
  views.addSidebarSection({ widget: new DiskSection(manager), rank: 20 });
}
