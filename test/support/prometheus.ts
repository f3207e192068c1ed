// Reading Prometheus's text exposition format, as a scrape returns it.

/** The value of one sample of the exposition text, by metric name and exact labels; undefined if absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
    .map(([label, value]) => `${label}="${value}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const match = line.match(/^([a-z_:]+)(?:\{(.*)\})? (\S+)$/);
    if (!match || match[1] !== name) continue;
    const given = (match[2] ?? '').split(',').filter(Boolean).sort().join(',');
    if (given === wanted) return Number(match[3]);
  }
  return undefined;
}
