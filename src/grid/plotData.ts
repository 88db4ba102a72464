/**
 * The data the grid plots draw: metric means per swept value (line) or per pair
 * of values (heatmap), replicates averaged, failed runs left out.
 */
import { GridRow, GridValue } from '../api';
import { numeric } from './numeric';

export interface ILinePlot {
  kind: 'line';
  param: string;
  metric: string;
  /** Mean metric per parameter value, ordered along the axis. */
  points: { x: GridValue; y: number }[];
  /** True when x values are numbers (a numeric axis). */
  numericX: boolean;
}

export interface IHeatmap {
  kind: 'heatmap';
  xParam: string;
  yParam: string;
  metric: string;
  xs: GridValue[];
  ys: GridValue[];
  /** cells[row (y)][column (x)]: mean metric, null when no run finished. */
  cells: (number | null)[][];
}

function axisValues(values: GridValue[]): {
  ordered: GridValue[];
  numericAxis: boolean;
} {
  const distinct: GridValue[] = [];
  for (const value of values) {
    if (!distinct.some(seen => seen === value)) {
      distinct.push(value);
    }
  }
  const numericAxis = distinct.every(value => typeof value === 'number');
  if (numericAxis) {
    distinct.sort((a, b) => (a as number) - (b as number));
  }
  return { ordered: distinct, numericAxis };
}

function okMetricRows(rows: readonly GridRow[], metric: string): GridRow[] {
  return rows.filter(
    row => row.status === 'ok' && numeric(row[metric]) !== null
  );
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The metric against one swept parameter (replicates averaged). */
export function linePlot(
  rows: readonly GridRow[],
  param: string,
  metric: string
): ILinePlot {
  const usable = okMetricRows(rows, metric);
  const { ordered, numericAxis } = axisValues(
    usable.map(row => row[`param_${param}`] as GridValue)
  );
  const points = ordered.map(x => ({
    x,
    y: mean(
      usable
        .filter(row => row[`param_${param}`] === x)
        .map(row => row[metric] as number)
    )
  }));
  return { kind: 'line', param, metric, points, numericX: numericAxis };
}

/** The metric over two swept parameters (replicates averaged). */
export function heatmap(
  rows: readonly GridRow[],
  xParam: string,
  yParam: string,
  metric: string
): IHeatmap {
  const usable = okMetricRows(rows, metric);
  const xs = axisValues(
    rows.map(row => row[`param_${xParam}`] as GridValue)
  ).ordered;
  const ys = axisValues(
    rows.map(row => row[`param_${yParam}`] as GridValue)
  ).ordered;
  const cells = ys.map(y =>
    xs.map(x => {
      const found = usable
        .filter(
          row => row[`param_${xParam}`] === x && row[`param_${yParam}`] === y
        )
        .map(row => row[metric] as number);
      return found.length ? mean(found) : null;
    })
  );
  return { kind: 'heatmap', xParam, yParam, metric, xs, ys, cells };
}
