/**
 * The user's settings: what a hand-edited settings file turns into, and the
 * model following a real settings registry.
 */
import { ISettingRegistry, SettingRegistry } from '@jupyterlab/settingregistry';
import { IDataConnector } from '@jupyterlab/statedb';

import schema from '../../../schema/plugin.json';
import { SettingsModel } from '../model';
import { DEFAULT_SETTINGS, readSettings } from '../settings';

const PLUGIN = 'jupyter-env-manager:plugin';

describe('readSettings', () => {
  it('gives the defaults for nothing', () => {
    expect(readSettings(undefined)).toEqual(DEFAULT_SETTINGS);
    expect(readSettings({})).toEqual(DEFAULT_SETTINGS);
  });

  it('keeps valid values', () => {
    expect(
      readSettings({
        defaultEngine: 'uv',
        defaultChannels: ['conda-forge', 'bioconda'],
        defaultExportFormat: 'lock',
        confirmBeforeRemove: false,
        autoDismissFinishedTasks: false
      })
    ).toEqual({
      defaultEngine: 'uv',
      defaultChannels: ['conda-forge', 'bioconda'],
      defaultExportFormat: 'lock',
      confirmBeforeRemove: false,
      autoDismissFinishedTasks: false
    });
  });

  it('replaces values of the wrong kind by their defaults', () => {
    const read = readSettings({
      defaultEngine: 'pip',
      defaultChannels: 'conda-forge',
      defaultExportFormat: 3,
      confirmBeforeRemove: 'no',
      autoDismissFinishedTasks: null
    });
    expect(read).toEqual(DEFAULT_SETTINGS);
  });

  it('trims channels and drops empty or non-text ones', () => {
    expect(
      readSettings({ defaultChannels: [' conda-forge ', '', 7, '  '] })
        .defaultChannels
    ).toEqual(['conda-forge']);
  });

  it('has a default for every property of the schema, and the same one', () => {
    const properties = schema.properties as Record<
      string,
      { default: unknown }
    >;
    expect(Object.keys(properties).sort()).toEqual(
      Object.keys(DEFAULT_SETTINGS).sort()
    );
    for (const [name, property] of Object.entries(properties)) {
      expect(DEFAULT_SETTINGS[name as keyof typeof DEFAULT_SETTINGS]).toEqual(
        property.default
      );
    }
  });
});

/** Settings files kept in memory, as the server's settings API would keep them. */
class MemoryConnector implements IDataConnector<
  ISettingRegistry.IPlugin,
  string
> {
  raw = '{}';
  async fetch(id: string): Promise<ISettingRegistry.IPlugin | undefined> {
    return id === PLUGIN
      ? {
          id,
          schema: schema as unknown as ISettingRegistry.ISchema,
          raw: this.raw,
          data: { composite: {}, user: {} },
          version: '0.1.0'
        }
      : undefined;
  }
  async list(): Promise<{ ids: string[]; values: ISettingRegistry.IPlugin[] }> {
    const plugin = await this.fetch(PLUGIN);
    return { ids: [PLUGIN], values: plugin ? [plugin] : [] };
  }
  async save(_id: string, raw: string): Promise<void> {
    this.raw = raw;
  }
  async remove(): Promise<void> {
    throw new Error('not supported');
  }
}

describe('SettingsModel', () => {
  it('follows what the user sets in the registry', async () => {
    const connector = new MemoryConnector();
    connector.raw = JSON.stringify({ defaultEngine: 'conda' });
    const registry = new SettingRegistry({ connector });
    const model = new SettingsModel();
    expect(model.current).toEqual(DEFAULT_SETTINGS);

    await model.follow(registry, PLUGIN);
    expect(model.current.defaultEngine).toBe('conda');
    expect(model.current.confirmBeforeRemove).toBe(true);

    const seen: boolean[] = [];
    model.changed.connect((_, current) =>
      seen.push(current.confirmBeforeRemove)
    );
    await registry.set(PLUGIN, 'confirmBeforeRemove', false);
    expect(model.current.confirmBeforeRemove).toBe(false);
    expect(seen).toContain(false);
    // What the registry saved (JSON with comments) holds the change too.
    expect(connector.raw).toMatch(/"confirmBeforeRemove":\s*false/);
  });
});
