/**
 * Plots of a grid's metric, drawn as plain SVG: a line against one swept
 * parameter, or a heatmap over two.
 */
import React from 'react';

import { formatCell } from './cells';
import { IHeatmap, ILinePlot } from './plotData';

const WIDTH = 520;
const HEIGHT = 260;
const MARGIN = { top: 16, right: 20, bottom: 44, left: 64 };

function ticks(min: number, max: number, count = 5): number[] {
  if (min === max) {
    return [min];
  }
  return Array.from(
    { length: count },
    (_, i) => min + ((max - min) * i) / (count - 1)
  );
}

export function LineChart(props: { plot: ILinePlot }): JSX.Element {
  const { plot } = props;
  const innerW = WIDTH - MARGIN.left - MARGIN.right;
  const innerH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const ys = plot.points.map(p => p.y);
  let yMin = Math.min(...ys);
  let yMax = Math.max(...ys);
  if (yMin === yMax) {
    yMin -= 1;
    yMax += 1;
  }
  const xNumbers = plot.points.map(p => p.x as number);
  const xMin = plot.numericX ? Math.min(...xNumbers) : 0;
  const xMax = plot.numericX ? Math.max(...xNumbers) : plot.points.length - 1;
  const xOf = (x: unknown, i: number) => {
    const value = plot.numericX ? (x as number) : i;
    const span = xMax - xMin || 1;
    return (
      MARGIN.left +
      (xMax === xMin ? innerW / 2 : ((value - xMin) / span) * innerW)
    );
  };
  const yOf = (y: number) =>
    MARGIN.top + innerH - ((y - yMin) / (yMax - yMin)) * innerH;
  const path = plot.points
    .map((p, i) => `${i ? 'L' : 'M'}${xOf(p.x, i)},${yOf(p.y)}`)
    .join(' ');
  return (
    <svg
      className="jp-EnvManager-gridPlot"
      data-kind="line"
      width={WIDTH}
      height={HEIGHT}
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`${plot.metric} against ${plot.param}`}
    >
      <line
        className="jp-EnvManager-plotAxis"
        x1={MARGIN.left}
        y1={MARGIN.top + innerH}
        x2={MARGIN.left + innerW}
        y2={MARGIN.top + innerH}
      />
      <line
        className="jp-EnvManager-plotAxis"
        x1={MARGIN.left}
        y1={MARGIN.top}
        x2={MARGIN.left}
        y2={MARGIN.top + innerH}
      />
      {ticks(yMin, yMax).map(tick => (
        <text
          key={`y${tick}`}
          className="jp-EnvManager-plotTick"
          x={MARGIN.left - 6}
          y={yOf(tick) + 4}
          textAnchor="end"
        >
          {formatCell(tick)}
        </text>
      ))}
      {plot.points.map((p, i) => (
        <text
          key={`x${i}`}
          className="jp-EnvManager-plotTick"
          x={xOf(p.x, i)}
          y={MARGIN.top + innerH + 16}
          textAnchor="middle"
        >
          {formatCell(p.x)}
        </text>
      ))}
      <path className="jp-EnvManager-plotLine" d={path} />
      {plot.points.map((p, i) => (
        <circle
          key={`p${i}`}
          className="jp-EnvManager-plotPoint"
          cx={xOf(p.x, i)}
          cy={yOf(p.y)}
          r={4}
        >
          <title>{`${plot.param}=${formatCell(p.x)}: ${plot.metric}=${p.y}`}</title>
        </circle>
      ))}
      <text
        className="jp-EnvManager-plotLabel"
        x={MARGIN.left + innerW / 2}
        y={HEIGHT - 6}
        textAnchor="middle"
      >
        {plot.param}
      </text>
      <text
        className="jp-EnvManager-plotLabel"
        transform={`translate(14 ${MARGIN.top + innerH / 2}) rotate(-90)`}
        textAnchor="middle"
      >
        {plot.metric}
      </text>
    </svg>
  );
}

/** Cells shade from light (low) to strong (high) in the brand colour. */
export function Heatmap(props: { plot: IHeatmap }): JSX.Element {
  const { plot } = props;
  const values = plot.cells.flat().filter((v): v is number => v !== null);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const cellW = Math.max(
    36,
    Math.min(90, (WIDTH - MARGIN.left - MARGIN.right) / plot.xs.length)
  );
  const cellH = Math.max(22, Math.min(40, 200 / plot.ys.length));
  const width = MARGIN.left + cellW * plot.xs.length + MARGIN.right;
  const height = MARGIN.top + cellH * plot.ys.length + MARGIN.bottom;
  return (
    <svg
      className="jp-EnvManager-gridPlot"
      data-kind="heatmap"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${plot.metric} over ${plot.xParam} and ${plot.yParam}`}
    >
      {plot.cells.map((row, r) =>
        row.map((value, c) => {
          const share =
            value === null || max === min ? 0.5 : (value - min) / (max - min);
          return (
            <g key={`${r}-${c}`}>
              <rect
                className={
                  value === null
                    ? 'jp-EnvManager-heatCell jp-mod-empty'
                    : 'jp-EnvManager-heatCell'
                }
                x={MARGIN.left + c * cellW}
                y={MARGIN.top + r * cellH}
                width={cellW - 1}
                height={cellH - 1}
                fillOpacity={value === null ? 1 : 0.15 + 0.85 * share}
              >
                <title>{`${plot.xParam}=${formatCell(plot.xs[c])}, ${plot.yParam}=${formatCell(plot.ys[r])}: ${value ?? '—'}`}</title>
              </rect>
              <text
                className="jp-EnvManager-heatText"
                x={MARGIN.left + c * cellW + cellW / 2}
                y={MARGIN.top + r * cellH + cellH / 2 + 4}
                textAnchor="middle"
              >
                {value === null ? '' : formatCell(value)}
              </text>
            </g>
          );
        })
      )}
      {plot.xs.map((x, c) => (
        <text
          key={`x${c}`}
          className="jp-EnvManager-plotTick"
          x={MARGIN.left + c * cellW + cellW / 2}
          y={MARGIN.top + plot.ys.length * cellH + 14}
          textAnchor="middle"
        >
          {formatCell(x)}
        </text>
      ))}
      {plot.ys.map((y, r) => (
        <text
          key={`y${r}`}
          className="jp-EnvManager-plotTick"
          x={MARGIN.left - 6}
          y={MARGIN.top + r * cellH + cellH / 2 + 4}
          textAnchor="end"
        >
          {formatCell(y)}
        </text>
      ))}
      <text
        className="jp-EnvManager-plotLabel"
        x={MARGIN.left + (cellW * plot.xs.length) / 2}
        y={height - 8}
        textAnchor="middle"
      >
        {plot.xParam}
      </text>
      <text
        className="jp-EnvManager-plotLabel"
        transform={`translate(14 ${MARGIN.top + (cellH * plot.ys.length) / 2}) rotate(-90)`}
        textAnchor="middle"
      >
        {plot.yParam}
      </text>
    </svg>
  );
}
