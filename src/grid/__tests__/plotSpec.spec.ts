/* eslint-disable @typescript-eslint/no-explicit-any -- specs are read as the JSON they are */
/**
 * The grid plot's Vega-Lite specs: which plot, which axes, what each point
 * says, built from rows shaped like GET grids/{id}'s results.
 */
import { GridRow } from '../../api';
import { englishBundle as trans } from '../../common/translation';
import {
  buildPlotSpec,
  canUseLog,
  isLogSpaced,
  plotKinds,
  resolvePlot
} from '../plotSpec';

function run(
  index: number,
  params: Record<string, unknown>,
  score: number | null,
  extra: Partial<GridRow> = {}
): GridRow {
  const row: GridRow = {
    run: index,
    status: score === null ? 'failed' : 'ok',
    score,
    duration: 0.5 + index,
    ...extra
  };
  for (const [name, value] of Object.entries(params)) {
    row[`param_${name}`] = value;
  }
  return row;
}

const layers = (spec: any) => spec.layer as any[];

describe('log axes', () => {
  it.each([
    [[1e-4, 1e-3, 1e-2, 1e-1], true],
    [[1, 2, 4, 8, 16], true],
    [[0.001, 0.01, 0.1, 1, 1, 0.01], true],
    [[1, 2, 3, 4, 5], false],
    [[10, 20, 30], false],
    [[1, 10], false],
    [[0, 1, 10, 100], false],
    [[-1, -10, -100], false],
    [['a', 'b', 'c'], false]
  ])('%p log-spaced: %p', (values, expected) => {
    expect(isLogSpaced(values as number[])).toBe(expected);
  });

  it('offers a log axis only over positive numbers', () => {
    expect(canUseLog([1, 2, 3])).toBe(true);
    expect(canUseLog([0, 1])).toBe(false);
    expect(canUseLog([1, 'x'])).toBe(false);
    expect(canUseLog([])).toBe(false);
  });

  it('chooses log for a log sweep, and lets the user switch it off', () => {
    const rows = [1e-3, 1e-2, 1e-1, 1].map((lr, i) => run(i, { lr }, i));
    const auto = resolvePlot(rows, ['lr'], 'score')!;
    expect(auto).toMatchObject({ kind: 'line', logPossible: true });
    expect(auto.logX).toBe(true);
    const spec = buildPlotSpec(auto, trans) as any;
    expect(layers(spec)[0].encoding.x.scale.type).toBe('log');
    expect(spec.usermeta).toEqual({ kind: 'line', logX: true });

    const linear = resolvePlot(rows, ['lr'], 'score', { logX: false })!;
    expect(linear.logX).toBe(false);
    expect(
      (buildPlotSpec(linear, trans) as any).layer[0].encoding.x.scale.type
    ).toBe('linear');
  });

  it('keeps a linear axis for an even sweep, switchable to log', () => {
    const rows = [1, 2, 3, 4].map((x, i) => run(i, { x }, x * x));
    expect(resolvePlot(rows, ['x'], 'score')!.logX).toBe(false);
    expect(resolvePlot(rows, ['x'], 'score', { logX: true })!.logX).toBe(true);
  });

  it('never draws a log axis through zero, whatever was asked', () => {
    const rows = [0, 1, 10, 100].map((x, i) => run(i, { x }, i));
    const plot = resolvePlot(rows, ['x'], 'score', { logX: true })!;
    expect(plot.logPossible).toBe(false);
    expect(plot.logX).toBe(false);
  });
});

describe('plot kinds', () => {
  it('fits the number of swept parameters', () => {
    expect(plotKinds(0)).toEqual([]);
    expect(plotKinds(1)).toEqual(['line']);
    expect(plotKinds(2)).toEqual(['heatmap', 'line']);
    expect(plotKinds(3)).toEqual(['parallel', 'line']);
  });

  it('draws a point per finished run with a tooltip naming it', () => {
    const rows = [
      run(0, { x: 1 }, 1),
      run(1, { x: 1 }, 3),
      run(2, { x: 2 }, null, { error: 'boom' })
    ];
    const spec = buildPlotSpec(
      resolvePlot(rows, ['x'], 'score')!,
      trans
    ) as any;
    // The failed run is not plotted; replicates are two points and one mean.
    expect(spec.data.values.map((d: any) => d.run)).toEqual([0, 1]);
    const [means, points] = layers(spec);
    expect(means.encoding.y.aggregate).toBe('mean');
    expect(points.mark.type).toBe('point');
    expect(points.encoding.tooltip.map((t: any) => t.title)).toEqual([
      'run',
      'x',
      'score',
      'duration (s)'
    ]);
  });

  it('draws one line per value of the second parameter', () => {
    const rows = [
      run(0, { lr: 0.01, depth: 2 }, 0.5),
      run(1, { lr: 0.1, depth: 2 }, 0.6),
      run(2, { lr: 0.01, depth: 4 }, 0.7)
    ];
    const plot = resolvePlot(rows, ['lr', 'depth'], 'score', { kind: 'line' })!;
    expect(plot.series).toBe('depth');
    const spec = buildPlotSpec(plot, trans) as any;
    expect(layers(spec)[0].encoding.color).toMatchObject({
      field: 'depth',
      type: 'nominal'
    });
    // "none" is one line over all runs.
    const single = resolvePlot(rows, ['lr', 'depth'], 'score', {
      kind: 'line',
      series: null
    })!;
    expect(single.series).toBeNull();
    expect(
      layers(buildPlotSpec(single, trans))[0].encoding.color
    ).toBeUndefined();
  });

  it('draws a heatmap of means over two parameters by default', () => {
    const rows = [
      run(0, { a: 1, b: 'x' }, 1),
      run(1, { a: 2, b: 'x' }, 2),
      run(2, { a: 1, b: 'y' }, 3)
    ];
    const plot = resolvePlot(rows, ['a', 'b'], 'score')!;
    expect(plot).toMatchObject({ kind: 'heatmap', x: 'a', series: 'b' });
    const spec = buildPlotSpec(plot, trans) as any;
    expect(spec.mark.type).toBe('rect');
    expect(spec.encoding.x.field).toBe('a');
    expect(spec.encoding.y.field).toBe('b');
    expect(spec.encoding.color.aggregate).toBe('mean');
  });

  it('draws parallel coordinates for three parameters, each axis 0 to 1', () => {
    const rows = [
      run(0, { a: 1, b: 'x', c: 10 }, 0.1),
      run(1, { a: 3, b: 'y', c: 10 }, 0.9),
      run(2, { a: 2, b: 'x', c: 10 }, 0.5)
    ];
    const plot = resolvePlot(rows, ['a', 'b', 'c'], 'score')!;
    expect(plot.kind).toBe('parallel');
    expect(plot.logPossible).toBe(false);
    const spec = buildPlotSpec(plot, trans) as any;
    expect(spec.encoding.detail.field).toBe('run');
    expect(spec.encoding.x.sort).toEqual(['a', 'b', 'c', 'score']);
    const byRun = new Map<number, any>(
      spec.data.values.map((d: any) => [d.run, d])
    );
    expect(byRun.get(0).__axis_a).toBe(0);
    expect(byRun.get(1).__axis_a).toBe(1);
    expect(byRun.get(2).__axis_a).toBe(0.5);
    // Categories by first appearance; a constant axis sits in the middle.
    expect(byRun.get(1).__axis_b).toBe(1);
    expect(byRun.get(0).__axis_c).toBe(0.5);
    expect(byRun.get(2).__axis_score).toBeCloseTo(0.5);
  });

  it('has nothing to draw until a run finishes with the metric', () => {
    const rows = [run(0, { x: 1 }, null), run(1, { x: 2 }, null)];
    expect(buildPlotSpec(resolvePlot(rows, ['x'], 'score')!, trans)).toBeNull();
    expect(resolvePlot(rows, [], 'score')).toBeNull();
  });
});
