/**
 * The user's settings (schema/plugin.json), read from the settings registry
 * into a plain object the rest of the UI asks for its defaults.
 */
import {
  CREATE_ENGINES,
  CreateEngine,
  EXPORT_FORMATS,
  ExportFormat
} from '../api';

/** The user's settings that shape the UI. */
export interface IEnvManagerSettings {
  /** Engine preselected in the New environment dialog. */
  defaultEngine: CreateEngine;
  /** Conda channels prefilled in the New environment dialog. */
  defaultChannels: string[];
  defaultExportFormat: ExportFormat;
  /** Ask before removing an environment. */
  confirmBeforeRemove: boolean;
  /** Succeeded tasks leave the task list by themselves after a few seconds. */
  autoDismissFinishedTasks: boolean;
}

export const DEFAULT_SETTINGS: Readonly<IEnvManagerSettings> = {
  defaultEngine: 'auto',
  defaultChannels: [],
  defaultExportFormat: 'yml',
  confirmBeforeRemove: true,
  autoDismissFinishedTasks: true
};

function oneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  fallback: T
): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

function flag(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

/**
 * The registry's composite settings over the defaults. A value of the wrong
 * type (a settings file edited by hand) falls back to its default instead of
 * reaching the UI; channels are trimmed and empty ones dropped.
 */
export function readSettings(composite: unknown): IEnvManagerSettings {
  const given = (
    composite && typeof composite === 'object' ? composite : {}
  ) as Record<string, unknown>;
  const channels = Array.isArray(given.defaultChannels)
    ? given.defaultChannels
        .filter((channel): channel is string => typeof channel === 'string')
        .map(channel => channel.trim())
        .filter(channel => channel.length > 0)
    : DEFAULT_SETTINGS.defaultChannels;
  return {
    defaultEngine: oneOf(
      given.defaultEngine,
      CREATE_ENGINES,
      DEFAULT_SETTINGS.defaultEngine
    ),
    defaultChannels: channels,
    defaultExportFormat: oneOf(
      given.defaultExportFormat,
      EXPORT_FORMATS,
      DEFAULT_SETTINGS.defaultExportFormat
    ),
    confirmBeforeRemove: flag(
      given.confirmBeforeRemove,
      DEFAULT_SETTINGS.confirmBeforeRemove
    ),
    autoDismissFinishedTasks: flag(
      given.autoDismissFinishedTasks,
      DEFAULT_SETTINGS.autoDismissFinishedTasks
    )
  };
}
