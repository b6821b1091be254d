import uPlot from 'uplot';
import { el } from './dom';
import type { Series } from './types';

const COLORS = ['#1565c0', '#c62828', '#2e7d32', '#ef6c00', '#6a1b9a', '#00838f', '#5d4037', '#ad1457'];

/**
 * A time-series plot of some features (uPlot: canvas, columnar arrays, thousands of points per
 * series drawn in milliseconds). Booleans are drawn as 0/1, text is left out.
 */
export function timeSeriesPlot(series: Series, width: number): HTMLElement {
  const names = Object.keys(series.values).filter((f) => series.values[f].some((v) => typeof v === 'number' || typeof v === 'boolean'));
  const xs = series.ts.map((t) => Date.parse(t) / 1000);
  const data: uPlot.AlignedData = [xs, ...names.map((f) => series.values[f].map((v) => (typeof v === 'boolean' ? Number(v) : typeof v === 'number' ? v : null)))];
  const box = el('div', { class: 'plot', 'data-testid': 'series-plot', 'data-points': xs.length, 'data-features': names.join(',') });
  new uPlot(
    {
      width,
      height: 300,
      series: [{}, ...names.map((name, i) => ({ label: name, stroke: COLORS[i % COLORS.length], width: 1, spanGaps: false }))],
      axes: [{}, { size: 60 }],
      scales: { x: { time: true } },
    },
    data,
    box,
  );
  return box;
}

/** A histogram of one feature from its edges and counts (the statistics contract), as bars. */
export function histogramPlot(edges: number[], counts: number[], width: number): HTMLElement {
  const mids = counts.map((_, i) => (edges[i] + edges[i + 1]) / 2);
  const box = el('div', { class: 'hist', 'data-testid': 'histogram', 'data-bins': counts.length });
  const bars = uPlot.paths.bars?.({ size: [0.95, 100] });
  new uPlot(
    {
      width,
      height: 120,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false, range: [edges[0], edges[edges.length - 1]] } },
      axes: [{ size: 24 }, { size: 40 }],
      series: [{}, { stroke: '#1565c0', fill: '#90caf9', paths: bars }],
    },
    [mids, counts],
    box,
  );
  return box;
}
