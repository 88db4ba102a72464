import { LabIcon } from '@jupyterlab/ui-components';

// A stack of layers: one environment on top of another.
const environmentsSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 2 2 7l10 5 10-5-10-5zm0 12.2L4.2 10.3 2 11.4l10 5 10-5-2.2-1.1L12 14.2zm0 4.4-7.8-3.9L2 15.8l10 5 10-5-2.2-1.1-7.8 3.9z"/>
  </g>
</svg>`;

export const environmentsIcon = new LabIcon({
  name: 'jupyter-env-manager:environments',
  svgstr: environmentsSvg
});
