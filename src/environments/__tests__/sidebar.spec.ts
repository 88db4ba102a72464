/**
 * The sidebar as rendered (jsdom): its kernel badges follow the server's
 * kernel specs, not ipykernel alone, and /info's kernels message shows once.
 * The "ipykernel, no kernel here" state cannot be made on the Galata server,
 * whose own kernel spec manager lists every environment with ipykernel.
 */
import { nullTranslator } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { EnvManagerClient, IEnvironment, IServerInfo } from '../../api';
import { KernelSpecsModel } from '../../kernels/model';
import { TasksModel } from '../../tasks/model';
import { EnvironmentsModel } from '../model';
import { IEnvironmentActions } from '../environmentItem';
import { EnvironmentsSidebar } from '../sidebar';

const trans = nullTranslator.load('jupyter_env_manager');

function env(name: string, has_ipykernel: boolean): IEnvironment {
  return {
    name,
    prefix: `/envs/${name}`,
    kind: 'venv',
    engine: 'uv',
    python_version: '3.12.1',
    has_ipykernel,
    size_bytes: null,
    is_base: false
  };
}

const MESSAGE =
  'Another kernel spec manager is in charge; environment kernels come from kernelspec files.';

class ListedClient extends EnvManagerClient {
  async info(): Promise<IServerInfo> {
    return {
      version: '1.0',
      engines: [
        {
          name: 'conda',
          available: true,
          version: '26.7.1',
          path: '/opt/base/condabin/conda'
        }
      ],
      conda: {
        path: '/opt/base/condabin/conda',
        version: '26.7.1',
        solver: 'classic',
        root_prefix: '/opt/base',
        envs_dirs: ['/opt/base/envs']
      },
      kernels: {
        spec_manager: 'jupyter_client.kernelspec.KernelSpecManager',
        env_kernels: 'kernelspec-files',
        message: MESSAGE
      }
    };
  }
  async environments(): Promise<IEnvironment[]> {
    return [
      env('ml', true),
      env('fresh', true),
      { ...env('plain', false), needs_repair: true }
    ];
  }
}

class SpecSource {
  specs: { kernelspecs: Record<string, unknown> } | null = null;
  readonly specsChanged = new Signal<this, unknown>(this);
  set(prefixes: string[]) {
    this.specs = {
      kernelspecs: Object.fromEntries(
        prefixes.map(prefix => [
          `k${prefix.replace(/\W/g, '-')}`,
          { metadata: { jupyter_env_manager: { env_prefix: prefix } } }
        ])
      )
    };
    this.specsChanged.emit(this.specs);
  }
  async refreshSpecs(): Promise<void> {
    // The test says what the server lists, with set().
  }
}

const noop = () => undefined;
const actions: IEnvironmentActions = {
  newEnvironment: noop,
  refresh: noop,
  openPackages: noop,
  newNotebook: noop,
  clone: noop,
  exportEnvironment: noop,
  remove: noop,
  addKernel: noop,
  removeKernel: noop,
  cancelTask: noop,
  dismissTask: noop
};

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await new Promise(resolve => setTimeout(resolve, 0));
  }
}

describe('EnvironmentsSidebar', () => {
  it('calls only environments with a listed kernel spec kernels', async () => {
    const environments = new EnvironmentsModel(new ListedClient());
    const tasks = new TasksModel(new ListedClient(), null, 60000);
    const source = new SpecSource();
    source.set(['/envs/ml']);
    const kernels = new KernelSpecsModel(source);
    const sidebar = new EnvironmentsSidebar(
      environments,
      tasks,
      kernels,
      actions,
      trans
    );
    Widget.attach(sidebar, document.body);
    await environments.refresh();
    await settle();

    const node = sidebar.node;
    const item = (name: string) =>
      node.querySelector(`.jp-EnvManager-env[data-env-name="${name}"]`)!;
    const badge = (name: string) =>
      item(name).querySelector('.jp-EnvManager-kernelStatus')!;
    const buttons = (name: string) =>
      [...item(name).querySelectorAll('button')].map(b => b.textContent);

    // Which conda is in use: version and solver shown, path and base on hover.
    await settle();
    const conda = node.querySelector(
      '.jp-EnvManager-engine[data-engine="conda"]'
    )!;
    expect(conda.textContent).toContain('26.7.1');
    expect(conda.textContent).toContain('classic solver');
    expect(conda.getAttribute('title')).toBe(
      '/opt/base/condabin/conda (solver: classic; base: /opt/base)'
    );

    expect(badge('ml').textContent).toBe('kernel');
    expect(buttons('ml')).toContain('Notebook');
    expect(buttons('ml')).toContain('Remove kernel');

    // ipykernel, but no spec: no green badge, no Notebook button; why, on hover.
    expect(badge('fresh').textContent).toBe('ipykernel, no kernel here');
    expect(badge('fresh').getAttribute('title')).toBe(MESSAGE);
    expect(buttons('fresh')).not.toContain('Notebook');
    expect(buttons('fresh')).toContain('Add kernel');

    expect(badge('plain').textContent).toBe('no kernel');
    expect(buttons('plain')).not.toContain('Notebook');

    // A change cut short by a kill is said, on that row only.
    const cutShort = (name: string) =>
      item(name).querySelector('.jp-EnvManager-needsRepair');
    expect(cutShort('plain')!.textContent).toBe('change cut short');
    expect(cutShort('ml')).toBeNull();

    // The message is said once, above the list, not per environment.
    const notices = node.querySelectorAll('.jp-EnvManager-notice');
    expect(notices).toHaveLength(1);
    expect(notices[0].textContent).toContain(MESSAGE);
    expect(notices[0].getAttribute('data-env-kernels')).toBe(
      'kernelspec-files'
    );

    // The kernelspec files catch up: the badge follows specsChanged.
    source.set(['/envs/ml', '/envs/fresh']);
    await settle();
    expect(badge('fresh').textContent).toBe('kernel');
    expect(buttons('fresh')).toContain('Notebook');

    // Dismissed, the notice stays away through later renders.
    (notices[0].querySelector('button') as HTMLButtonElement).click();
    await settle();
    source.set(['/envs/ml']);
    await settle();
    expect(node.querySelectorAll('.jp-EnvManager-notice')).toHaveLength(0);
    expect(badge('fresh').textContent).toBe('ipykernel, no kernel here');

    Widget.detach(sidebar);
    sidebar.dispose();
    tasks.dispose();
    kernels.dispose();
  });
});

class ManyClient extends ListedClient {
  async environments(): Promise<IEnvironment[]> {
    return Array.from({ length: 1000 }, (_, i) => ({
      ...env(`env-${String(i).padStart(4, '0')}`, false),
      modified: Date.now() / 1000 - 7200
    }));
  }
}

describe('a long environments list', () => {
  it('renders only the rows in view and moves the focus with the keys', async () => {
    const client = new ManyClient();
    const environments = new EnvironmentsModel(client);
    const tasks = new TasksModel(client, null, 60000);
    const source = new SpecSource();
    source.set([]);
    const kernels = new KernelSpecsModel(source);
    const sidebar = new EnvironmentsSidebar(
      environments,
      tasks,
      kernels,
      actions,
      trans
    );
    Widget.attach(sidebar, document.body);
    await environments.refresh();
    await settle();

    const rows = () => [
      ...sidebar.node.querySelectorAll<HTMLElement>('li.jp-EnvManager-env')
    ];
    // 1,000 environments, a screenful of rows in the DOM.
    expect(rows().length).toBeGreaterThan(0);
    expect(rows().length).toBeLessThan(30);
    const first = rows()[0];
    expect(first.getAttribute('aria-setsize')).toBe('1000');
    expect(first.getAttribute('aria-posinset')).toBe('1');
    expect(first.querySelector('.jp-EnvManager-changed')?.textContent).toBe(
      'changed 2 h ago'
    );
    // One row is in the tab order.
    expect(rows().filter(row => row.tabIndex === 0)).toHaveLength(1);

    first.focus();
    first.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'End', bubbles: true })
    );
    await settle();
    const focused = document.activeElement as HTMLElement;
    expect(focused.getAttribute('data-env-name')).toBe('env-0999');
    expect(focused.tabIndex).toBe(0);
    expect(rows().length).toBeLessThan(30);

    focused.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true })
    );
    await settle();
    expect(
      (document.activeElement as HTMLElement).getAttribute('data-env-name')
    ).toBe('env-0998');

    Widget.detach(sidebar);
    sidebar.dispose();
    tasks.dispose();
    kernels.dispose();
  });
});
