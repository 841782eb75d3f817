import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { DaySeries } from '../../lib/dashboard-data';

/** Distinct, colour-blind-safe line colours (Okabe–Ito); each series also has its own dash so colour is not the only cue. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];
const DASHES: number[][] = [[], [6, 3], [2, 2], [8, 3, 2, 3]];

/**
 * IOCs added per day by source (uPlot lines, one per source). The canvas is hidden from assistive technology
 * (aria-hidden); the same figures are the <table> the Dashboard puts under it.
 */
export function AddedChart({ series }: { series: DaySeries }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const host = el.current;
    if (!host || series.sources.length === 0) return;
    const xs = series.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const width = () => Math.max(320, Math.min(host.clientWidth || 800, 1200));
    const plot = new uPlot(
      {
        width: width(),
        height: 260,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        axes: [{}, { label: 'IOCs added' }],
        series: [
          { label: 'Day (UTC)', value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toISOString().slice(0, 10)) },
          ...series.sources.map((s, i) => ({
            label: s,
            stroke: COLOURS[i % COLOURS.length]!,
            dash: DASHES[Math.floor(i / COLOURS.length) % DASHES.length] ?? DASHES[i % DASHES.length]!,
            width: 2,
            points: { show: true, size: 5 },
          })),
        ],
      },
      [xs, ...series.counts],
      host,
    );
    const onResize = () => plot.setSize({ width: width(), height: 260 });
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [series]);
  return <div class="chart" ref={el} aria-hidden="true" />;
}
