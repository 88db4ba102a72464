/**
 * What the notebook toolbar says about a notebook's pinned environment.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { IPinStatus } from '../api';

export interface IPinView {
  /** Short text next to the kernel name (the toolbar hides what does not fit). */
  label: string;
  /** Longer explanation on hover. */
  tooltip: string;
  /** What a click does. */
  action: 'pin' | 'reproduce' | 'show-diff' | 'none';
}

/** At most this many package changes are listed in the tooltip. */
const SHOWN_CHANGES = 8;

/** `conda:numpy-2.0.1-py312h_0` → `numpy-2.0.1-py312h_0` (the source is noise here). */
export function packageLabel(entry: string): string {
  return entry.replace(/^(conda|pypi):/, '');
}

/** The short diff a user reads: `+ added`, `- removed`, then how many more. */
export function diffLines(
  status: IPinStatus,
  trans: TranslationBundle
): string[] {
  const lines = [
    ...status.added.map(entry => `+ ${packageLabel(entry)}`),
    ...status.removed.map(entry => `- ${packageLabel(entry)}`)
  ];
  if (lines.length <= SHOWN_CHANGES) {
    return lines;
  }
  return [
    ...lines.slice(0, SHOWN_CHANGES),
    trans.__('… %1 more', lines.length - SHOWN_CHANGES)
  ];
}

export function describePin(
  status: IPinStatus,
  trans: TranslationBundle
): IPinView {
  switch (status.state) {
    case 'match':
      return {
        label: trans.__('env ✓'),
        tooltip: status.message,
        action: 'none'
      };
    case 'differs':
      return {
        label: trans.__('env differs'),
        tooltip: [status.message, ...diffLines(status, trans)].join('\n'),
        action: 'show-diff'
      };
    case 'missing':
      return {
        label: trans.__('env missing'),
        tooltip: trans.__('%1 Click to recreate it.', status.message),
        action: 'reproduce'
      };
    default:
      return {
        label: trans.__('pin env'),
        tooltip: trans.__(
          'Pin the environment into this notebook so it can be rebuilt anywhere.'
        ),
        action: 'pin'
      };
  }
}
