import { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import React, { useEffect, useState } from 'react';

import { EnvManagerClient, IServerInfo } from './api';
import { environmentsIcon } from './icons';

type LoadState =
  | { status: 'loading' }
  | { status: 'ready'; info: IServerInfo }
  | { status: 'failed'; message: string };

function useServerInfo(client: EnvManagerClient): LoadState {
  const [state, setState] = useState<LoadState>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    client.info().then(
      info => live && setState({ status: 'ready', info }),
      (error: Error) =>
        live && setState({ status: 'failed', message: error.message })
    );
    return () => {
      live = false;
    };
  }, [client]);
  return state;
}

function EnginesList(props: {
  info: IServerInfo;
  trans: TranslationBundle;
}): JSX.Element {
  const { info, trans } = props;
  return (
    <ul className="jp-EnvManager-engines" aria-label={trans.__('Engines')}>
      {info.engines.map(engine => (
        <li
          key={engine.name}
          className="jp-EnvManager-engine"
          data-engine={engine.name}
          data-available={engine.available}
        >
          <span className="jp-EnvManager-engineName">{engine.name}</span>
          <span className="jp-EnvManager-engineVersion">
            {engine.available
              ? (engine.version ?? trans.__('unknown version'))
              : trans.__('not found')}
          </span>
        </li>
      ))}
    </ul>
  );
}

function EnvironmentsPanel(props: {
  client: EnvManagerClient;
  trans: TranslationBundle;
}): JSX.Element {
  const { client, trans } = props;
  const state = useServerInfo(client);
  return (
    <div className="jp-EnvManager-panelBody">
      <header className="jp-EnvManager-header">
        <h2>{trans.__('Environments')}</h2>
      </header>
      {state.status === 'loading' && (
        <p className="jp-EnvManager-status">{trans.__('Loading…')}</p>
      )}
      {state.status === 'failed' && (
        <p className="jp-EnvManager-error" role="alert">
          {state.message}
        </p>
      )}
      {state.status === 'ready' && (
        <>
          <p className="jp-EnvManager-version">
            {trans.__('jupyter-env-manager %1', state.info.version)}
          </p>
          <EnginesList info={state.info} trans={trans} />
        </>
      )}
    </div>
  );
}

/** The left sidebar's "Environments" panel. */
export class EnvironmentsSidebar extends ReactWidget {
  constructor(
    private readonly client: EnvManagerClient,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.id = 'jp-env-manager-sidebar';
    this.addClass('jp-EnvManager-panel');
    this.title.icon = environmentsIcon;
    this.title.caption = trans.__('Environments');
  }

  protected render(): JSX.Element {
    return <EnvironmentsPanel client={this.client} trans={this.trans} />;
  }
}
