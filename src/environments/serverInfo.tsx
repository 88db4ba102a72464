/**
 * What the sidebar says about the server above the list: the engines it found
 * (with conda's solver and base), and, once, who serves environment kernels
 * when that is not the extension's own kernel spec manager.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { IKernelsInfo, IServerInfo } from '../api';

export function EnginesList(props: {
  info: IServerInfo;
  trans: TranslationBundle;
}): JSX.Element {
  const { info, trans } = props;
  return (
    <ul className="jp-EnvManager-engines" aria-label={trans.__('Engines')}>
      {info.engines.map(engine => {
        // The conda in use: where it is and which solver it runs, on hover.
        const conda = engine.name === 'conda' ? info.conda : null;
        return (
          <li
            key={engine.name}
            className="jp-EnvManager-engine"
            data-engine={engine.name}
            data-available={engine.available}
            title={
              conda
                ? trans.__(
                    '%1 (solver: %2; base: %3)',
                    conda.path,
                    conda.solver ?? trans.__('unknown'),
                    conda.root_prefix ?? trans.__('unknown')
                  )
                : (engine.path ?? undefined)
            }
          >
            <span className="jp-EnvManager-engineName">{engine.name}</span>
            <span className="jp-EnvManager-engineVersion">
              {engine.available
                ? (engine.version ?? trans.__('unknown version'))
                : trans.__('not found')}
              {conda?.solver && (
                <span className="jp-EnvManager-engineSolver">
                  {' · '}
                  {trans.__('%1 solver', conda.solver)}
                </span>
              )}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

/**
 * Said once, above the list, when environment kernels do not come from the
 * extension's own kernel spec manager.
 */
export function KernelsNotice(props: {
  kernels: IKernelsInfo | undefined;
  trans: TranslationBundle;
}): JSX.Element | null {
  const [dismissed, setDismissed] = React.useState(false);
  const { kernels, trans } = props;
  if (
    dismissed ||
    !kernels ||
    kernels.env_kernels === 'spec-manager' ||
    !kernels.message
  ) {
    return null;
  }
  return (
    <div
      className="jp-EnvManager-notice"
      role="note"
      data-env-kernels={kernels.env_kernels}
    >
      <span className="jp-EnvManager-noticeText">{kernels.message}</span>
      <button
        className="jp-EnvManager-linkButton"
        onClick={() => setDismissed(true)}
        aria-label={trans.__('Dismiss the note about kernels')}
      >
        {trans.__('Dismiss')}
      </button>
    </div>
  );
}
