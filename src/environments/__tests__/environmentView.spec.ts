/**
 * The environment view's tabs (jsdom): a tab a plugin registers after the
 * view opened shows in it, in rank order, and the tab bar appears once there
 * are two tabs.
 */
import { nullTranslator } from '@jupyterlab/translation';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { EnvManagerClient, IEnvironment } from '../../api';
import { TasksModel } from '../../tasks/model';
import { IEnvironmentTab } from '../../tokens';
import { EnvironmentView, PACKAGES_TAB } from '../environmentView';
import { PackagesModel } from '../packagesModel';
import { EnvironmentTabs } from '../tabs';

const trans = nullTranslator.load('jupyter_env_manager');

const ENV: IEnvironment = {
  name: 'ml',
  prefix: '/envs/ml',
  kind: 'venv',
  engine: 'uv',
  python_version: '3.12.1',
  has_ipykernel: true,
  size_bytes: null,
  is_base: false
};

const noop = () => undefined;

function tab(id: string, rank: number): IEnvironmentTab {
  return {
    id,
    label: id.toUpperCase(),
    rank,
    create: env => {
      const widget = new Widget();
      widget.node.textContent = `${id} of ${env.name}`;
      return widget;
    }
  };
}

function openView(tabs: EnvironmentTabs): EnvironmentView {
  const client = new EnvManagerClient();
  const tasks = new TasksModel(client, null, 60000);
  const view = new EnvironmentView({
    environment: ENV,
    packages: new PackagesModel(client, tasks, ENV.name, ENV.kind),
    tasks,
    actions: { change: noop, cancelTask: noop, dismissTask: noop },
    tabs,
    trans
  });
  Widget.attach(view, document.body);
  return view;
}

function tabLabels(view: EnvironmentView): string[] {
  // The tab bar renders on its next update.
  MessageLoop.flush();
  return [...view.node.querySelectorAll('.lm-TabBar-tabLabel')].map(
    node => node.textContent ?? ''
  );
}

function tabBarShown(view: EnvironmentView): boolean {
  return !view.content.tabBar.isHidden;
}

describe('EnvironmentView tabs', () => {
  it('shows a tab registered after the view opened, in rank order', () => {
    const tabs = new EnvironmentTabs();
    const view = openView(tabs);
    expect(view.tabIds).toEqual([PACKAGES_TAB]);
    expect(tabBarShown(view)).toBe(false);

    tabs.add(tab('history', 10));
    tabs.add(tab('notes', 5));
    expect(view.tabIds).toEqual([PACKAGES_TAB, 'notes', 'history']);
    expect(tabLabels(view)).toEqual(['Packages', 'NOTES', 'HISTORY']);
    expect(tabBarShown(view)).toBe(true);

    // The late tab works like one that was there from the start.
    expect(view.showTab('history')).toBe(true);
    expect(view.content.currentWidget?.node.textContent).toBe('history of ml');
    view.dispose();
  });

  it('opens with the tabs registered before it', () => {
    const tabs = new EnvironmentTabs();
    tabs.add(tab('history', 10));
    const view = openView(tabs);
    expect(view.tabIds).toEqual([PACKAGES_TAB, 'history']);
    view.dispose();
  });

  it('stops following the registry once closed', () => {
    const tabs = new EnvironmentTabs();
    const view = openView(tabs);
    view.dispose();
    let created = 0;
    tabs.add({ ...tab('late', 1), create: () => (created++, new Widget()) });
    expect(created).toBe(0);
    expect(tabs.tabs.map(t => t.id)).toEqual(['late']);
  });

  it('refuses a second tab with the same id', () => {
    const tabs = new EnvironmentTabs();
    tabs.add(tab('history', 10));
    expect(() => tabs.add(tab('history', 3))).toThrow(/already registered/);
  });
});
