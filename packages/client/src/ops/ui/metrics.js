// Metrics: request rate, latency percentiles and error kinds over the last half hour, drawn with uPlot.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html, usePoll } from './api.js';

const COLORS = ['#b3261e', '#7d5260', '#c66a00', '#6750a4', '#006a6a', '#8c4a00'];
/** Counts per bucket are drawn as bars; a line between two buckets would suggest calls in between. */
const bars = uPlot.paths.bars({ size: [0.7, 40] });
/** A young client still gets a minute of time axis, so a few buckets do not fill the whole chart. */
const MIN_BUCKETS = 12;

function errorSeries(label, color) {
  return { label, stroke: color, fill: `${color}99`, width: 1, paths: bars, points: { show: false } };
}

function padded(points, step) {
  const missing = MIN_BUCKETS - points.length;
  if (missing <= 0 || points.length === 0) return points;
  const first = points[0].t;
  const empty = Array.from({ length: missing }, (_, i) => ({
    t: first - (missing - i) * step,
    calls: 0,
    p50: null,
    p95: null,
    p99: null,
    errors: {},
  }));
  return [...empty, ...points];
}

/** One uPlot chart that follows its container's width and takes new data in place. */
function Chart({ title, series, data }) {
  const box = useRef(null);
  const plot = useRef(null);
  const key = series.map((s) => s.label).join('|');
  useEffect(() => {
    const width = () => Math.max(280, box.current.clientWidth);
    plot.current = new uPlot(
      { title, width: width(), height: 220, series: [{}, ...series], axes: [{}, { size: 60 }] },
      data,
      box.current,
    );
    const onResize = () => plot.current.setSize({ width: width(), height: 220 });
    addEventListener('resize', onResize);
    return () => {
      removeEventListener('resize', onResize);
      plot.current.destroy();
    };
  }, [key]);
  useEffect(() => plot.current?.setData(data), [data]);
  return html`<figure class="chart">
    <div ref=${box} role="img" aria-label=${title}></div>
  </figure>`;
}

export function Metrics() {
  const [body, error] = usePoll('/api/metrics/series', 5000);
  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!body) return html`<p>Loading…</p>`;
  const step = body.bucket_seconds;
  const points = padded(body.points, step);
  const t = points.map((p) => p.t);
  const kinds = [...new Set(points.flatMap((p) => Object.keys(p.errors)))].sort();
  const total = points.reduce((n, p) => n + p.calls, 0);
  const errors = points.reduce((n, p) => n + Object.values(p.errors).reduce((a, b) => a + b, 0), 0);
  const last = points[points.length - 1];
  const span = body.points.length * step;
  const period = span < 120 ? `${span} seconds` : `${Math.round(span / 60)} minutes`;
  const ms = (v) => (v === null || v === undefined ? '—' : `${v} ms`);
  return html`<h2>Metrics</h2>
    <p class="summary">
      ${`${total} ${total === 1 ? 'call' : 'calls'} and ${errors} ${errors === 1 ? 'error' : 'errors'} in the last ${period} (${step}-second buckets). `}
      ${`Latest bucket: p50 ${ms(last?.p50)}, p95 ${ms(last?.p95)}, p99 ${ms(last?.p99)}. `} Prometheus
      metrics are at <a href="/metrics">/metrics</a>.
    </p>
    <div class="charts">
      <${Chart}
        title="Requests per second"
        series=${[{ label: 'calls/s', stroke: '#0b57d0', fill: 'rgba(11,87,208,0.35)', width: 1, paths: bars, points: { show: false } }]}
        data=${[t, points.map((p) => p.calls / step)]}
      />
      <${Chart}
        title="Latency (ms)"
        series=${[
          { label: 'p50', stroke: '#146c2e', width: 2 },
          { label: 'p95', stroke: '#c66a00', width: 2 },
          { label: 'p99', stroke: '#b3261e', width: 2 },
        ]}
        data=${[t, points.map((p) => p.p50), points.map((p) => p.p95), points.map((p) => p.p99)]}
      />
      <${Chart}
        title="Errors by kind"
        series=${
          kinds.length
            ? kinds.map((k, i) => errorSeries(k, COLORS[i % COLORS.length]))
            : [errorSeries('errors', COLORS[0])]
        }
        data=${[t, ...(kinds.length ? kinds.map((k) => points.map((p) => p.errors[k] ?? 0)) : [points.map(() => 0)])]}
      />
    </div>`;
}
