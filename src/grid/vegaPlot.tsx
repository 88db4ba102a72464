/**
 * A Vega-Lite spec drawn by JupyterLab's own renderer (the rendermime
 * registry's, from @jupyterlab/vega5-extension), as SVG so the plot is part of
 * the page's accessible DOM.
 */
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';
import React, { useEffect, useRef } from 'react';

import { VEGALITE_MIME } from './plotSpec';

export function VegaLitePlot(props: {
  spec: Record<string, unknown>;
  rendermime: IRenderMimeRegistry;
  label: string;
}): JSX.Element {
  const host = useRef<HTMLDivElement>(null);
  const key = JSON.stringify(props.spec);
  useEffect(() => {
    const node = host.current;
    if (!node) {
      return;
    }
    const renderer = props.rendermime.createRenderer(VEGALITE_MIME);
    renderer.addClass('jp-EnvManager-vegaPlot');
    const model = new MimeModel({
      data: { [VEGALITE_MIME]: props.spec as ReadonlyPartialJSONObject },
      metadata: {
        [VEGALITE_MIME]: { embed_options: { renderer: 'svg', actions: false } }
      }
    });
    Widget.attach(renderer, node);
    void renderer.renderModel(model).then(
      () => node.setAttribute('data-rendered', 'true'),
      error => {
        node.textContent = String(error);
      }
    );
    return () => {
      node.removeAttribute('data-rendered');
      renderer.dispose();
    };
  }, [key, props.rendermime]);
  return (
    <div
      ref={host}
      className="jp-EnvManager-gridPlot"
      role="figure"
      aria-label={props.label}
      data-kind={String(
        (props.spec.usermeta as { kind?: string } | undefined)?.kind ?? ''
      )}
      data-log-x={String(
        (props.spec.usermeta as { logX?: boolean } | undefined)?.logX ?? false
      )}
    />
  );
}

/** Whether this JupyterLab can draw Vega-Lite 5 (its vega5 extension is on). */
export function canRenderVegaLite(rendermime: IRenderMimeRegistry | null) {
  return !!rendermime && rendermime.mimeTypes.includes(VEGALITE_MIME);
}
