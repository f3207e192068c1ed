// Display helpers shared by the tabs.

export function duration(ms) {
  if (ms === null || ms === undefined) return '…';
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function uptime(seconds) {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [d && `${d}d`, (d || h) && `${h}h`, (d || h || m) && `${m}m`, `${s}s`].filter(Boolean).join(' ');
}

export function clock(iso) {
  const date = typeof iso === 'number' ? new Date(iso) : new Date(iso);
  return (
    date.toLocaleTimeString([], { hour12: false }) + '.' + String(date.getMilliseconds()).padStart(3, '0')
  );
}

export const LEVEL_NAMES = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
export const LEVEL_VALUES = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** A CSS class for an outcome: in flight, fine, or a problem. */
export function outcomeClass(outcome) {
  if (outcome === null) return 'pending';
  return outcome === 'ok' ? 'good' : 'bad';
}
