/**
 * What the notebook toolbar says about a pinned environment.
 */
import { nullTranslator } from '@jupyterlab/translation';

import { IPinStatus } from '../../api';
import { describePin, diffLines, packageLabel } from '../pinStatus';

const trans = nullTranslator.load('jupyter_env_manager');

function status(
  state: IPinStatus['state'],
  extra: Partial<IPinStatus> = {}
): IPinStatus {
  return {
    state,
    pinned: 'ml',
    environment: 'ml',
    added: [],
    removed: [],
    message: `${state} message`,
    ...extra
  };
}

describe('describePin', () => {
  it('offers what the state calls for', () => {
    expect(describePin(status('unpinned'), trans).action).toBe('pin');
    expect(describePin(status('missing'), trans).action).toBe('reproduce');
    expect(describePin(status('differs'), trans).action).toBe('show-diff');
    expect(describePin(status('match'), trans).action).toBe('none');
  });

  it('explains a difference with the packages that changed', () => {
    const view = describePin(
      status('differs', {
        added: ['conda:alpha-2.0-h1_0'],
        removed: ['conda:alpha-1.0-h0_0', 'pypi:tiny-pkg==1.2']
      }),
      trans
    );
    expect(view.tooltip.split('\n')).toEqual([
      'differs message',
      '+ alpha-2.0-h1_0',
      '- alpha-1.0-h0_0',
      '- tiny-pkg==1.2'
    ]);
  });
});

describe('diffLines', () => {
  it('keeps the list short', () => {
    const added = Array.from({ length: 12 }, (_, i) => `pypi:p${i}==1`);
    const lines = diffLines(status('differs', { added }), trans);
    expect(lines).toHaveLength(9);
    expect(lines[8]).toBe('… 4 more');
  });

  it('drops the source prefix only', () => {
    expect(packageLabel('conda:numpy-2.0.1-py312h_0')).toBe(
      'numpy-2.0.1-py312h_0'
    );
    expect(packageLabel('pypi:conda:odd==1')).toBe('conda:odd==1');
  });
});
