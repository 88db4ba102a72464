/**
 * Vega-Lite specifications of a grid's plot, drawn by JupyterLab's own
 * Vega-Lite renderer (rendermime, VEGALITE_MIME). Pure: rows in, spec out.
 *
 * - one swept parameter: the metric against it, a line through the means and
 *   a point per run (its tooltip names the run);
 * - two: a heatmap of the means, or one line per value of the second;
 * - three or more: parallel coordinates, one line per run.
 *
 * Axis and tooltip titles the spec adds (not the user's names) are in the
 * user's language, through the translation bundle handed in.
 */
import { TranslationBundle } from '@jupyterlab/translation';

import { GridRow, GridValue } from '../api';
import { numeric } from './numeric';

export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

export type PlotKind = 'line' | 'heatmap' | 'parallel';

/** The kinds of plot that fit this many swept parameters, the default first. */
export function plotKinds(swept: number): PlotKind[] {
  if (swept <= 0) {
    return [];
  }
  if (swept === 1) {
    return ['line'];
  }
  if (swept === 2) {
    return ['heatmap', 'line'];
  }
  return ['parallel', 'line'];
}

function spread(values: number[]): number {
  if (values.length < 2) {
    return 0;
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance =
    values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
  return Math.sqrt(variance) / Math.abs(mean);
}

function gaps(sorted: number[]): number[] {
  return sorted.slice(1).map((value, i) => value - sorted[i]);
}

/**
 * Whether values were swept on a log scale (1e-4, 1e-3, 1e-2 or 1, 2, 4, 8):
 * all positive, at least three, spanning a factor of 10 or more, and more
 * evenly spaced in log than in linear terms.
 */
export function isLogSpaced(values: readonly GridValue[]): boolean {
  if (!values.every(value => typeof value === 'number')) {
    return false;
  }
  const distinct = [...new Set(values as number[])].sort((a, b) => a - b);
  if (distinct.length < 3 || distinct[0] <= 0) {
    return false;
  }
  if (distinct[distinct.length - 1] / distinct[0] < 10) {
    return false;
  }
  return spread(gaps(distinct.map(Math.log))) < spread(gaps(distinct));
}

/** Whether a log axis is possible at all: only positive numbers. */
export function canUseLog(values: readonly GridValue[]): boolean {
  return (
    values.length > 0 &&
    values.every(value => typeof value === 'number' && value > 0)
  );
}

/** The values of one swept parameter over the rows. */
export function parameterValues(
  rows: readonly GridRow[],
  param: string
): GridValue[] {
  return rows.map(row => row[`param_${param}`] as GridValue);
}

export interface IPlotRequest {
  rows: readonly GridRow[];
  swept: readonly string[];
  metric: string;
  kind: PlotKind;
  /** The parameter along x (line) or the columns (heatmap). */
  x: string;
  /** Lines: one line per value of this one; heatmap: the rows. */
  series: string | null;
  logX: boolean;
}

type Spec = Record<string, unknown>;

/** Field names without Vega's special characters (dots, brackets). */
function field(name: string): string {
  return name.replace(/[.[\]\\]/g, '\\$&');
}

/** One data row per finished run that has a value of the metric. */
function runData(
  rows: readonly GridRow[],
  swept: readonly string[],
  metric: string
): Record<string, unknown>[] {
  return rows
    .filter(row => row.status === 'ok' && numeric(row[metric]) !== null)
    .map(row => {
      const datum: Record<string, unknown> = {
        run: row.run,
        [metric]: row[metric],
        duration: typeof row.duration === 'number' ? row.duration : null
      };
      for (const name of swept) {
        const value = row[`param_${name}`];
        datum[name] =
          value !== null && typeof value === 'object'
            ? JSON.stringify(value)
            : value;
      }
      return datum;
    });
}

function tooltip(
  swept: readonly string[],
  metric: string,
  trans: TranslationBundle
): Spec[] {
  return [
    { field: 'run', type: 'ordinal', title: trans.__('run') },
    ...swept.map(name => ({ field: field(name), title: name })),
    { field: field(metric), type: 'quantitative', title: metric },
    {
      field: 'duration',
      type: 'quantitative',
      title: trans.__('duration (s)'),
      format: '.3~g'
    }
  ];
}

function numericParam(data: Record<string, unknown>[], name: string): boolean {
  return data.length > 0 && data.every(d => typeof d[name] === 'number');
}

function lineSpec(
  request: IPlotRequest,
  data: Record<string, unknown>[],
  trans: TranslationBundle
) {
  const { metric, x, series, swept } = request;
  const quantitative = numericParam(data, x);
  const xEncoding: Spec = {
    field: field(x),
    type: quantitative ? 'quantitative' : 'ordinal',
    title: x
  };
  if (quantitative) {
    xEncoding.scale = { type: request.logX ? 'log' : 'linear', zero: false };
  }
  const color: Spec | undefined = series
    ? { field: field(series), type: 'nominal', title: series }
    : undefined;
  const means: Spec = {
    mark: { type: 'line' },
    encoding: {
      x: xEncoding,
      y: { aggregate: 'mean', field: field(metric), title: metric },
      ...(color ? { color } : {})
    }
  };
  const runs: Spec = {
    mark: { type: 'point', filled: true, size: 60 },
    encoding: {
      x: xEncoding,
      y: { field: field(metric), type: 'quantitative', title: metric },
      tooltip: tooltip(swept, metric, trans),
      ...(color ? { color } : {})
    }
  };
  return { layer: [means, runs] };
}

function heatmapSpec(request: IPlotRequest, trans: TranslationBundle) {
  const { metric, x, series } = request;
  const meanTitle = trans.__('mean %1', metric);
  return {
    mark: { type: 'rect' },
    encoding: {
      x: { field: field(x), type: 'ordinal', title: x },
      y: { field: field(series ?? x), type: 'ordinal', title: series ?? x },
      color: {
        aggregate: 'mean',
        field: field(metric),
        type: 'quantitative',
        title: meanTitle
      },
      tooltip: [
        { field: field(x), type: 'ordinal', title: x },
        ...(series ? [{ field: field(series), type: 'ordinal' }] : []),
        {
          aggregate: 'mean',
          field: field(metric),
          type: 'quantitative',
          title: meanTitle
        },
        { aggregate: 'count', type: 'quantitative', title: trans.__('runs') }
      ]
    }
  };
}

/**
 * Parallel coordinates: every swept parameter and the metric is an axis,
 * scaled 0 to 1 over its range (categories by their order of appearance).
 */
function parallelSpec(
  request: IPlotRequest,
  data: Record<string, unknown>[],
  trans: TranslationBundle
) {
  const { metric, swept } = request;
  const axes = [...swept, metric];
  const rescaled = data.map(datum => ({ ...datum }));
  for (const name of axes) {
    const values = data.map(d => d[name]);
    const numbers = values.every(v => typeof v === 'number');
    const distinct = [...new Set(values.map(v => String(v)))];
    const asNumber = (v: unknown) =>
      numbers ? (v as number) : distinct.indexOf(String(v));
    const all = values.map(asNumber);
    const min = Math.min(...all);
    const max = Math.max(...all);
    rescaled.forEach((datum, i) => {
      datum[`__axis_${name}`] =
        max === min ? 0.5 : (asNumber(values[i]) - min) / (max - min);
    });
  }
  return {
    data: { values: rescaled },
    transform: [
      {
        fold: axes.map(name => `__axis_${name}`),
        as: ['axis', 'position']
      },
      { calculate: "replace(datum.axis, '__axis_', '')", as: 'axis' }
    ],
    mark: { type: 'line', opacity: 0.6 },
    encoding: {
      x: {
        field: 'axis',
        type: 'nominal',
        sort: axes,
        title: null,
        axis: { labelAngle: 0 }
      },
      y: {
        field: 'position',
        type: 'quantitative',
        title: trans.__('scaled to each axis'),
        axis: { format: '.0%' }
      },
      detail: { field: 'run', type: 'nominal' },
      color: { field: field(metric), type: 'quantitative', title: metric },
      tooltip: tooltip(swept, metric, trans)
    }
  };
}

/** The Vega-Lite spec of the plot, or null when no run has a value yet. */
export function buildPlotSpec(
  request: IPlotRequest,
  trans: TranslationBundle
): Spec | null {
  const data = runData(request.rows, request.swept, request.metric);
  if (!data.length) {
    return null;
  }
  const base: Spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: 'container',
    height: 260,
    usermeta: { kind: request.kind, logX: request.logX },
    data: { values: data }
  };
  switch (request.kind) {
    case 'line':
      return { ...base, ...lineSpec(request, data, trans) };
    case 'heatmap':
      return { ...base, ...heatmapSpec(request, trans) };
    case 'parallel':
      return { ...base, ...parallelSpec(request, data, trans) };
  }
}

/** What the user picked above the plot; null (or undefined) lets it choose. */
export interface IPlotChoice {
  kind?: PlotKind | null;
  x?: string | null;
  /** Line: a parameter, or null for one line; undefined lets it choose. */
  series?: string | null;
  logX?: boolean | null;
}

export interface IResolvedPlot extends IPlotRequest {
  kinds: PlotKind[];
  /** A log x axis is possible (a line over positive numbers). */
  logPossible: boolean;
  /** The sweep looks log-spaced: the axis is log unless switched off. */
  logSuggested: boolean;
}

/** The plot to draw for a grid, from the user's choices and the data. */
export function resolvePlot(
  rows: readonly GridRow[],
  swept: readonly string[],
  metric: string,
  choice: IPlotChoice = {}
): IResolvedPlot | null {
  const kinds = plotKinds(swept.length);
  if (!kinds.length) {
    return null;
  }
  const kind =
    choice.kind && kinds.includes(choice.kind) ? choice.kind : kinds[0];
  const x = choice.x && swept.includes(choice.x) ? choice.x : swept[0];
  const others = swept.filter(name => name !== x);
  let series: string | null = null;
  if (kind === 'heatmap') {
    series =
      choice.series && others.includes(choice.series)
        ? choice.series
        : (others[0] ?? null);
  } else if (kind === 'line') {
    if (choice.series === undefined) {
      series = swept.length === 2 ? others[0] : null;
    } else {
      series =
        choice.series && others.includes(choice.series) ? choice.series : null;
    }
  }
  const values = parameterValues(rows, x);
  const logPossible = kind === 'line' && canUseLog(values);
  const logSuggested = logPossible && isLogSpaced(values);
  const logX = logPossible && (choice.logX ?? logSuggested);
  return {
    rows,
    swept,
    metric,
    kind,
    x,
    series,
    logX,
    kinds,
    logPossible,
    logSuggested
  };
}
