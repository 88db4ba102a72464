/**
 * The UI's models and pure helpers, fed with plain data shaped like the
 * server's answers (the real server is exercised in api.node.spec.ts).
 */
import { nullTranslator } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';

import {
  EnvManagerApiError,
  EnvManagerClient,
  EnvManagerEvents,
  IEnvironment,
  ITask,
  ITaskEvent,
  TASK_EVENT_SCHEMA
} from '../../api';
import { formatSize } from '../../common/format';
import { visibleRange } from '../../common/listing';
import { kernelNameFor } from '../../kernels/specs';
import { MAX_LOG_LINES, TasksModel } from '../../tasks/model';
import { buildCreateRequest, emptyForm, formErrors } from '../createForm';
import { EnvironmentsModel } from '../model';
import { isEnvironmentFile, nameError } from '../names';
import { PackagesModel } from '../packagesModel';

const trans = nullTranslator.load('jupyter_env_manager');

function task(overrides: Partial<ITask> = {}): ITask {
  return {
    id: 'a'.repeat(32),
    operation: 'create',
    environment: 'demo',
    status: 'queued',
    stage: null,
    message: null,
    fraction: null,
    log: [],
    error: null,
    result: null,
    created: 1,
    finished: null,
    ...overrides
  };
}

/** Answers `task()` with what the server would store at the end of a task. */
class RecordedClient extends EnvManagerClient {
  records = new Map<string, ITask>();
  async tasks(): Promise<ITask[]> {
    return [...this.records.values()];
  }
  async task(id: string): Promise<ITask> {
    const record = this.records.get(id);
    if (!record) {
      throw new Error('unknown task');
    }
    return record;
  }
}

class EventSource {
  readonly signal = new Signal<this, { schema_id: string }>(this);
  connect = this.signal.connect.bind(this.signal);
  disconnect = this.signal.disconnect.bind(this.signal);
  emit(data: ITaskEvent, schema = TASK_EVENT_SCHEMA) {
    this.signal.emit({ schema_id: schema, ...data });
  }
}

describe('nameError', () => {
  it.each([
    ['', 'empty'],
    ['a'.repeat(65), 'longer than 64'],
    ['a..b', "'..'"],
    ['-lead', 'letters, digits'],
    ['has space', 'letters, digits'],
    ['sl/ash', 'letters, digits'],
    ['base', 'reserved']
  ])('refuses %p', (name, reason) => {
    expect(nameError(name, trans)).toContain(reason);
  });

  it.each(['ml', 'py3.12', 'a_b-c', 'A'.repeat(64)])('accepts %p', name => {
    expect(nameError(name, trans)).toBeNull();
  });

  it('refuses a name already taken', () => {
    expect(nameError('ml', trans, ['ml'])).toContain('already exists');
  });
});

describe('the New-environment form', () => {
  it('puts packages of a uv environment and ipykernel on the pip list', () => {
    const form = {
      ...emptyForm(),
      name: 'web',
      engine: 'uv' as const,
      python: '3.12',
      packages: ['requests>=2', 'rich'],
      channels: 'conda-forge'
    };
    expect(buildCreateRequest(form)).toEqual({
      name: 'web',
      engine: 'uv',
      python: '3.12',
      pip: ['requests>=2', 'rich', 'ipykernel']
    });
  });

  it('asks any conda engine for conda packages, with channels', () => {
    const form = {
      ...emptyForm({ channels: ['conda-forge', 'bioconda'] }),
      name: 'bio',
      engine: 'conda' as const,
      packages: ['samtools'],
      pip: ['tiny-pkg']
    };
    expect(buildCreateRequest(form)).toEqual({
      name: 'bio',
      engine: 'auto',
      packages: ['samtools', 'ipykernel'],
      pip: ['tiny-pkg'],
      channels: ['conda-forge', 'bioconda']
    });
  });

  it('does not add ipykernel twice or when not wanted', () => {
    const base = { ...emptyForm(), name: 'k', engine: 'uv' as const };
    expect(
      buildCreateRequest({ ...base, packages: ['IPyKernel==6.29'] }).pip
    ).toEqual(['IPyKernel==6.29']);
    expect(buildCreateRequest({ ...base, ipykernel: false }).pip).toBe(
      undefined
    );
  });

  it('sends an uploaded file as it is, with an optional name', () => {
    const file = { filename: 'environment.yml', content: 'name: x\n' };
    const form = { ...emptyForm(), mode: 'file' as const, file };
    expect(buildCreateRequest(form)).toEqual({ file });
    expect(formErrors(form, trans)).toEqual({});
    expect(formErrors({ ...form, file: null }, trans).file).toBeTruthy();
    expect(formErrors({ ...form, name: 'no way' }, trans).name).toBeTruthy();
  });
});

describe('helpers', () => {
  it('recognizes environment files', () => {
    expect(isEnvironmentFile('a/environment.yml')).toBe(true);
    expect(isEnvironmentFile('env.yaml')).toBe(true);
    expect(isEnvironmentFile('requirements-dev.txt')).toBe(true);
    expect(isEnvironmentFile('notes.txt')).toBe(false);
    expect(isEnvironmentFile('data.csv')).toBe(false);
  });

  it('formats sizes', () => {
    expect(formatSize(null, trans)).toBe('');
    expect(formatSize(512, trans)).toBe('512 B');
    expect(formatSize(1536, trans)).toBe('1.5 KB');
    expect(formatSize(47 * 1024 * 1024, trans)).toBe('47 MB');
  });

  it('finds the kernel spec of an environment by prefix', () => {
    const specs = {
      python3: { name: 'python3', metadata: {} },
      'venv-ml-py': {
        name: 'venv-ml-py',
        metadata: { jupyter_env_manager: { env_prefix: '/envs/ml' } }
      }
    };
    expect(kernelNameFor(specs, '/envs/ml')).toBe('venv-ml-py');
    expect(kernelNameFor(specs, '/envs/other')).toBeNull();
    expect(kernelNameFor(undefined, '/envs/ml')).toBeNull();
  });

  it('renders only the rows in view, with overscan', () => {
    expect(visibleRange(0, 260, 26, 5000, 5)).toEqual({ start: 0, end: 15 });
    expect(visibleRange(26 * 1000, 260, 26, 5000, 5)).toEqual({
      start: 995,
      end: 1015
    });
    expect(visibleRange(26 * 4995, 260, 26, 5000, 5)).toEqual({
      start: 4990,
      end: 5000
    });
    expect(visibleRange(0, 260, 26, 0)).toEqual({ start: 0, end: 0 });
  });
});

describe('TasksModel', () => {
  it('picks up tasks still running on the server after a reload', async () => {
    const client = new RecordedClient();
    const running = task({
      id: 'r'.repeat(32),
      status: 'running',
      stage: 'link'
    });
    const done = task({ id: 'd'.repeat(32), status: 'succeeded', finished: 2 });
    client.records.set(running.id, running);
    client.records.set(done.id, done);
    const model = new TasksModel(
      client,
      new EnvManagerEvents(new EventSource()),
      60000
    );
    await model.followRunning();
    expect(model.tasks.map(t => t.id)).toEqual([running.id]);
    expect(model.get(running.id)?.stage).toBe('link');
  });

  it('follows a task through its events and reports the final record', async () => {
    const client = new RecordedClient();
    const events = new EventSource();
    const model = new TasksModel(client, new EnvManagerEvents(events), 60000);
    const started = task();
    model.track(started);
    const finished: ITask[] = [];
    model.finished.connect((_, done) => finished.push(done));

    const base = {
      task_id: started.id,
      operation: 'create',
      environment: 'demo'
    };
    events.emit({ ...base, status: 'running', stage: 'solve', fraction: 0.2 });
    events.emit({
      ...base,
      status: 'running',
      log_line: 'Resolved 3 packages'
    });
    // Other schemas and other tasks are not ours.
    events.emit({ ...base, status: 'failed' }, 'https://example.org/other');
    events.emit({ ...base, task_id: 'b'.repeat(32), status: 'failed' });

    let now = model.get(started.id)!;
    expect(now.status).toBe('running');
    expect([...model.busyEnvironments]).toEqual(['demo']);
    expect(model.forEnvironment('demo').map(t => t.id)).toEqual([started.id]);
    expect(model.forEnvironment('other')).toEqual([]);
    expect(now.stage).toBe('solve');
    expect(now.fraction).toBe(0.2);
    expect(now.log).toEqual(['Resolved 3 packages']);

    const record = task({
      status: 'succeeded',
      stage: 'done',
      fraction: 1,
      log: ['Resolved 3 packages', 'Installed 3 packages'],
      result: { name: 'demo' }
    });
    client.records.set(started.id, record);
    events.emit({ ...base, status: 'succeeded', stage: 'done', fraction: 1 });
    await new Promise(resolve => setTimeout(resolve, 0));

    expect(finished).toEqual([record]);
    expect(model.busyEnvironments.size).toBe(0);
    now = model.get(started.id)!;
    expect(now.log).toHaveLength(2);
    // Late events of a finished task change nothing.
    events.emit({ ...base, status: 'running' });
    expect(model.get(started.id)!.status).toBe('succeeded');

    model.dismiss(started.id);
    expect(model.tasks).toEqual([]);
    model.dispose();
  });

  it('lets the card of a task that succeeded go, keeps failures', async () => {
    jest.useFakeTimers();
    try {
      const client = new RecordedClient();
      const model = new TasksModel(client, null, 60000, 5000);
      const ok = task({ id: 'o'.repeat(32), status: 'succeeded' });
      const bad = task({
        id: 'f'.repeat(32),
        status: 'failed',
        error: { error: 'SolveError', message: 'nothing provides x' }
      });
      client.records.set(ok.id, ok);
      client.records.set(bad.id, bad);
      model.track(ok);
      model.track(bad);
      // Both settle (their final record is fetched), both still shown.
      await jest.advanceTimersByTimeAsync(0);
      expect(model.tasks.map(t => t.id).sort()).toEqual([bad.id, ok.id]);

      await jest.advanceTimersByTimeAsync(4999);
      expect(model.get(ok.id)).toBeDefined();
      await jest.advanceTimersByTimeAsync(1);
      // The success went away by itself; the failure waits for the user.
      expect(model.tasks.map(t => t.id)).toEqual([bad.id]);
      await jest.advanceTimersByTimeAsync(60000);
      expect(model.get(bad.id)?.error?.message).toBe('nothing provides x');
      model.dismiss(bad.id);
      expect(model.tasks).toEqual([]);
      model.dispose();
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps a succeeded card while auto-dismiss is off, lets it go when turned on', async () => {
    jest.useFakeTimers();
    try {
      const client = new RecordedClient();
      const model = new TasksModel(client, null, 60000, 5000);
      model.autoDismiss = false;
      const ok = task({ id: 'o'.repeat(32), status: 'succeeded' });
      client.records.set(ok.id, ok);
      model.track(ok);
      await jest.advanceTimersByTimeAsync(60000);
      expect(model.get(ok.id)?.status).toBe('succeeded');

      model.autoDismiss = true;
      await jest.advanceTimersByTimeAsync(4999);
      expect(model.get(ok.id)).toBeDefined();
      await jest.advanceTimersByTimeAsync(1);
      expect(model.tasks).toEqual([]);
      model.dispose();
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps only the last log lines', () => {
    const model = new TasksModel(new RecordedClient(), null, 60000);
    const started = task();
    model.track(started);
    for (let i = 0; i < MAX_LOG_LINES + 20; i++) {
      model.handleEvent({
        task_id: started.id,
        operation: 'create',
        environment: 'demo',
        status: 'running',
        log_line: `line ${i}`
      });
    }
    const log = model.get(started.id)!.log;
    expect(log).toHaveLength(MAX_LOG_LINES);
    expect(log[log.length - 1]).toBe(`line ${MAX_LOG_LINES + 19}`);
    model.dispose();
  });
});

describe('filters', () => {
  const envs: IEnvironment[] = [
    {
      name: 'ml',
      prefix: '/envs/ml',
      kind: 'conda',
      engine: 'rattler',
      python_version: '3.12.1',
      has_ipykernel: true,
      size_bytes: null,
      is_base: false
    },
    {
      name: 'web',
      prefix: '/venvs/web',
      kind: 'venv',
      engine: 'uv',
      python_version: '3.11.7',
      has_ipykernel: false,
      size_bytes: 10,
      is_base: false
    }
  ];

  it('filters environments by name, engine or Python version', () => {
    class ListedClient extends EnvManagerClient {
      async info() {
        return { version: '1', engines: [] };
      }
      async environments() {
        return envs;
      }
    }
    const model = new EnvironmentsModel(new ListedClient());
    return model.refresh().then(() => {
      expect(model.names).toEqual(['ml', 'web']);
      model.filter = 'UV';
      expect(model.filtered.map(env => env.name)).toEqual(['web']);
      model.filter = '3.12';
      expect(model.filtered.map(env => env.name)).toEqual(['ml']);
      model.filter = 'nothing';
      expect(model.filtered).toEqual([]);
    });
  });

  it('filters 5,000 packages and sends installs where the env takes them', async () => {
    class PackagesClient extends EnvManagerClient {
      async packages() {
        return Array.from({ length: 5000 }, (_, i) => ({
          name: `pkg${i}`,
          version: '1.0',
          source: 'pypi' as const
        }));
      }
    }
    const tasks = new TasksModel(new RecordedClient(), null, 60000);
    const model = new PackagesModel(new PackagesClient(), tasks, 'web', 'venv');
    await model.refresh();
    expect(model.packages).toHaveLength(5000);
    model.filter = 'PKG499';
    expect(model.filtered.map(p => p.name)).toEqual([
      'pkg499',
      ...Array.from({ length: 10 }, (_, i) => `pkg499${i}`)
    ]);
    expect(model.installRequest(['rich'], false)).toEqual({
      action: 'install',
      pip: ['rich']
    });
    const conda = new PackagesModel(new PackagesClient(), tasks, 'ml', 'conda');
    expect(conda.installRequest(['numpy'], false)).toEqual({
      action: 'install',
      packages: ['numpy']
    });
    tasks.dispose();
  });
});

describe('PackagesModel of a removed environment', () => {
  const listed = (name: string): IEnvironment => ({
    name,
    prefix: `/venvs/${name}`,
    kind: 'venv',
    engine: 'uv',
    python_version: '3.11.7',
    has_ipykernel: false,
    size_bytes: null,
    is_base: false
  });

  class OneEnvClient extends EnvManagerClient {
    exists = true;
    listCalls = 0;
    changeCalls = 0;
    async packages() {
      this.listCalls += 1;
      if (!this.exists) {
        throw new EnvManagerApiError(
          'No environment named "web".',
          404,
          'EnvironmentNotFound'
        );
      }
      return [{ name: 'six', version: '1.16.0', source: 'pypi' as const }];
    }
    async changePackages(): Promise<ITask> {
      this.changeCalls += 1;
      return task();
    }
  }

  it('is marked gone when the list no longer has it, and back when it returns', async () => {
    const client = new OneEnvClient();
    const tasks = new TasksModel(new RecordedClient(), null, 60000);
    const model = new PackagesModel(client, tasks, 'web', 'venv');
    await model.refresh();
    expect(model.gone).toBe(false);

    let changes = 0;
    model.changed.connect(() => (changes += 1));
    model.syncWith([listed('web'), listed('ml')]);
    expect(changes).toBe(0);

    model.syncWith([listed('ml')]);
    expect(model.gone).toBe(true);
    expect(changes).toBe(1);
    // What it held stays in view; changes are refused before any request.
    expect(model.packages.map(p => p.name)).toEqual(['six']);
    await expect(
      model.apply({ action: 'remove', packages: ['six'] })
    ).rejects.toThrow('web was removed.');
    expect(client.changeCalls).toBe(0);

    // Made again under the same name: reloaded and usable.
    const calls = client.listCalls;
    model.syncWith([listed('web')]);
    expect(model.gone).toBe(false);
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(client.listCalls).toBe(calls + 1);
    tasks.dispose();
  });

  it('is marked gone when the server answers 404 for its packages', async () => {
    const client = new OneEnvClient();
    const tasks = new TasksModel(new RecordedClient(), null, 60000);
    const model = new PackagesModel(client, tasks, 'web', 'venv');
    await model.refresh();
    client.exists = false;
    await model.refresh();
    expect(model.gone).toBe(true);
    expect(model.status).toBe('ready');
    expect(model.error).toBe('');
    expect(model.packages).toHaveLength(1);
    tasks.dispose();
  });
});
