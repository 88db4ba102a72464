/**
 * Which environments are kernels (by the server's kernel specs, not by
 * ipykernel alone), and how the UI follows the server's environments events.
 */
import { Signal } from '@lumino/signaling';

import {
  ENVIRONMENTS_EVENT_SCHEMA,
  EnvManagerEvents,
  GRID_EVENT_SCHEMA,
  IEmission,
  TASK_EVENT_SCHEMA
} from '../../api';
import { EnvironmentChangeFollower } from '../../environments/follow';
import { KernelSpecsModel } from '../model';
import { kernelState } from '../specs';

const ML = { prefix: '/envs/ml', has_ipykernel: true };
const BARE = { prefix: '/envs/bare', has_ipykernel: true };
const NONE = { prefix: '/envs/none', has_ipykernel: false };

function specFor(prefix: string) {
  return {
    name: 'x',
    metadata: { jupyter_env_manager: { env_prefix: prefix } }
  };
}

describe('kernelState', () => {
  const specs = {
    python3: { name: 'python3', metadata: {} },
    'venv-ml-py': specFor(ML.prefix)
  };

  it('calls an environment a kernel only when a spec names its prefix', () => {
    expect(kernelState(ML, specs)).toBe('kernel');
    // ipykernel alone launches nothing: the server must list a spec.
    expect(kernelState(BARE, specs)).toBe('unlisted');
    expect(kernelState(NONE, specs)).toBe('none');
    expect(kernelState(ML, null)).toBe('unlisted');
  });

  it('takes a spec for an environment without ipykernel at its word', () => {
    expect(kernelState(NONE, { k: specFor(NONE.prefix) })).toBe('kernel');
  });
});

/** Stands in for JupyterLab's kernelspec manager: a list and its signal. */
class SpecSource {
  specs: { kernelspecs: Record<string, unknown> } | null = null;
  readonly specsChanged = new Signal<this, unknown>(this);
  refreshes = 0;
  next: Record<string, unknown> = {};
  async refreshSpecs(): Promise<void> {
    this.refreshes += 1;
    this.specs = { kernelspecs: this.next };
    this.specsChanged.emit(this.specs);
  }
}

describe('KernelSpecsModel', () => {
  it('follows the kernelspec manager and finds a kernel that just appeared', async () => {
    const source = new SpecSource();
    const model = new KernelSpecsModel(source);
    let changes = 0;
    model.changed.connect(() => (changes += 1));

    expect(model.state(ML)).toBe('unlisted');
    source.next = { 'venv-ml-py': specFor(ML.prefix) };
    // Not listed yet: asks the server once more before saying no.
    expect(await model.findKernel(ML.prefix)).toBe('venv-ml-py');
    expect(source.refreshes).toBe(1);
    expect(changes).toBe(1);
    expect(model.state(ML)).toBe('kernel');

    // Listed: no extra round trip.
    expect(await model.findKernel(ML.prefix)).toBe('venv-ml-py');
    expect(source.refreshes).toBe(1);

    expect(await model.findKernel(BARE.prefix)).toBeNull();
    model.dispose();
    source.specsChanged.emit(null);
    expect(changes).toBe(2);
  });
});

class StreamStub {
  readonly signal = new Signal<this, IEmission>(this);
  connect = this.signal.connect.bind(this.signal);
  disconnect = this.signal.disconnect.bind(this.signal);
  emit(schema: string, data: Record<string, unknown>) {
    this.signal.emit({ schema_id: schema, ...data } as IEmission);
  }
}

describe('EnvManagerEvents', () => {
  it('sorts the stream into task, grid and environments events', () => {
    const stream = new StreamStub();
    const events = new EnvManagerEvents(stream);
    const seen: string[] = [];
    events.task.connect((_, e) => seen.push(`task ${e.task_id}`));
    events.grid.connect((_, e) => seen.push(`grid ${e.grid_id}`));
    events.environments.connect((_, e) => seen.push(`envs ${e.change}`));

    stream.emit(TASK_EVENT_SCHEMA, { task_id: 't1', status: 'running' });
    stream.emit(GRID_EVENT_SCHEMA, { grid_id: 'g1', kind: 'run_started' });
    stream.emit(ENVIRONMENTS_EVENT_SCHEMA, { change: 'kernels' });
    stream.emit('https://events.jupyter.org/jupyter_server/other/v1', {});
    expect(seen).toEqual(['task t1', 'grid g1', 'envs kernels']);

    events.dispose();
    stream.emit(TASK_EVENT_SCHEMA, { task_id: 't2', status: 'running' });
    expect(seen).toHaveLength(3);
  });
});

describe('EnvironmentChangeFollower', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reloads environments and kernel specs once per burst of events', () => {
    const stream = new StreamStub();
    const events = new EnvManagerEvents(stream);
    const calls: string[] = [];
    const follower = new EnvironmentChangeFollower(
      events,
      {
        environments: async () => void calls.push('environments'),
        kernels: async () => void calls.push('kernels')
      },
      100
    );

    // A create announces both sets at once: one reload of each.
    stream.emit(ENVIRONMENTS_EVENT_SCHEMA, { change: 'environments' });
    stream.emit(ENVIRONMENTS_EVENT_SCHEMA, { change: 'kernels' });
    expect(calls).toEqual([]);
    jest.advanceTimersByTime(100);
    expect(calls).toEqual(['environments', 'kernels']);

    // Tasks and grids events are not changes of the set.
    stream.emit(TASK_EVENT_SCHEMA, { task_id: 't', status: 'running' });
    jest.advanceTimersByTime(1000);
    expect(follower.reloads).toBe(1);

    // A later change (say, conda removed an environment) reloads again.
    stream.emit(ENVIRONMENTS_EVENT_SCHEMA, { change: 'environments' });
    jest.advanceTimersByTime(100);
    expect(follower.reloads).toBe(2);
    expect(calls).toHaveLength(4);

    follower.dispose();
    stream.emit(ENVIRONMENTS_EVENT_SCHEMA, { change: 'environments' });
    jest.advanceTimersByTime(1000);
    expect(follower.reloads).toBe(2);
  });
});
