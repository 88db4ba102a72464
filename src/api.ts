/**
 * The one client for the server extension's REST API. Widgets call this and
 * never build URLs or parse responses themselves.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** Path of the API, relative to the server's base URL. */
export const API_PATH = 'env-manager/api';

export interface IEngineInfo {
  name: string;
  available: boolean;
  version: string | null;
  path: string | null;
}

export interface IServerInfo {
  version: string;
  engines: IEngineInfo[];
}

/**
 * An error answered by the server, with the message it gave for users.
 */
export class EnvManagerApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly kind: string
  ) {
    super(message);
    this.name = 'EnvManagerApiError';
  }
}

export class EnvManagerClient {
  constructor(
    readonly serverSettings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  /** Package version and the engines the server found. */
  info(): Promise<IServerInfo> {
    return this.request<IServerInfo>('info');
  }

  private async request<T>(path: string, init: RequestInit = {}): Promise<T> {
    const url = URLExt.join(this.serverSettings.baseUrl, API_PATH, path);
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        url,
        init,
        this.serverSettings
      );
    } catch (error) {
      throw new EnvManagerApiError(
        `Cannot reach the server: ${(error as Error).message}`,
        0,
        'NetworkError'
      );
    }
    const text = await response.text();
    const body = parseJson(text);
    if (!response.ok) {
      throw errorFromResponse(response, body);
    }
    return body as T;
  }
}

function parseJson(text: string): unknown {
  if (!text) {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorFromResponse(
  response: Response,
  body: unknown
): EnvManagerApiError {
  if (body && typeof body === 'object') {
    const { message, error } = body as { message?: unknown; error?: unknown };
    if (typeof message === 'string' && message) {
      return new EnvManagerApiError(
        message,
        response.status,
        typeof error === 'string' ? error : response.statusText
      );
    }
  }
  return new EnvManagerApiError(
    `${response.status} ${response.statusText}`.trim(),
    response.status,
    response.statusText
  );
}
