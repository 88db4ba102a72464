/**
 * The pure modules speak the user's language: given a bundle loaded with a
 * catalog (JupyterLab's own Gettext, as a language pack fills it), their
 * messages, labels and plot titles come out translated, placeholders filled.
 */
import { Gettext } from '@jupyterlab/translation';

import { IGrid } from '../../api';
import { gridFormErrors, emptyGridForm } from '../../grid/form';
import { buildPlotSpec, resolvePlot } from '../../grid/plotSpec';
import { gridProgress, runStatusLabel } from '../../grid/summary';
import { describeTiming } from '../../grid/timing';
import { formatAge, formatDuration, formatSize } from '../format';
import { TRANSLATION_DOMAIN } from '../translation';

function frenchBundle(): Gettext {
  const bundle = new Gettext({ domain: TRANSLATION_DOMAIN, locale: 'fr' });
  bundle.loadJSON(
    {
      '': {
        language: 'fr',
        domain: TRANSLATION_DOMAIN,
        pluralForms: 'nplurals=2; plural=(n > 1);'
      },
      '%1 min ago': ['il y a %1 min'],
      '%1 day ago': ['il y a %1 jour', 'il y a %1 jours'],
      '%1 min %2 s': ['%1 min %2 s'],
      '%1 KB': ['%1 Ko'],
      'Workers is a whole number of at least 1.': [
        'Le nombre de workers est un entier d’au moins 1.'
      ],
      running: ['en cours'],
      queued: ['en attente'],
      '%1, %2 failed': ['%1, %2 en échec'],
      'elapsed %1': ['écoulé %1'],
      'mean %1': ['moyenne de %1'],
      runs: ['exécutions']
    },
    TRANSLATION_DOMAIN
  );
  return bundle;
}

describe('translated pure modules', () => {
  const trans = frenchBundle();

  it('formats ages, sizes and durations in the catalog’s words', () => {
    expect(formatAge(1000 - 300, 1000, trans)).toBe('il y a 5 min');
    expect(formatAge(0, 3 * 86400, trans)).toBe('il y a 3 jours');
    expect(formatSize(1536, trans)).toBe('1.5 Ko');
    expect(formatDuration(125, trans)).toBe('2 min 5 s');
  });

  it('says what is wrong with a grid form in the user’s language', () => {
    const form = { ...emptyGridForm(), workers: '0', values: { x: '1,2' } };
    const parameter = {
      name: 'x',
      type: 'int',
      default: 0,
      default_source: '0',
      literal: true,
      help: ''
    };
    expect(gridFormErrors(form, [parameter], trans).workers).toBe(
      'Le nombre de workers est un entier d’au moins 1.'
    );
  });

  it('labels a grid’s progress, run statuses and timing', () => {
    const grid = {
      grid_id: 'g',
      state: 'running',
      active: true,
      total: 9,
      done: 3,
      counts: { ok: 1, failed: 2 },
      notebook: 'a.ipynb',
      out_dir: 'out',
      metrics: [],
      swept: ['x']
    } as IGrid;
    expect(gridProgress(grid, trans)).toBe('en cours 3/9, 2 en échec');
    expect(runStatusLabel('pending', trans)).toBe('en attente');
    expect(
      describeTiming({ elapsed: 125, remaining: null }, false, trans)
    ).toEqual({ elapsed: 'écoulé 2 min 5 s', left: null });
  });

  it('titles the plot’s own axes and tooltips, not the user’s names', () => {
    const rows = [1, 2].flatMap(x =>
      [1, 2].map(y => ({
        run: x * 10 + y,
        status: 'ok' as const,
        param_x: x,
        param_y: y,
        score: x + y
      }))
    );
    const plot = resolvePlot(rows, ['x', 'y'], 'score', { kind: 'heatmap' })!;
    type Titled = { title?: string | null };
    const spec = buildPlotSpec(plot, trans) as {
      encoding: { x: Titled; color: Titled; tooltip: Titled[] };
    };
    expect(spec.encoding.color.title).toBe('moyenne de score');
    expect(spec.encoding.tooltip.map(t => t.title)).toContain('exécutions');
    expect(spec.encoding.x.title).toBe('x');
  });
});
