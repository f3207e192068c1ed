/**
 * Records have the shape of Go's log/slog JSON handler: `level` as slog names it, `time` in RFC 3339,
 * `msg`. slog names a level between its four by its offset, as pino's trace and fatal are here.
 */
export const SLOG_LEVEL_NAMES: Record<number, string> = {
  10: 'DEBUG-4',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'ERROR+4',
};
const LEVEL_BY_NAME = new Map(Object.entries(SLOG_LEVEL_NAMES).map(([n, name]) => [name, Number(n)]));

/** pino's number for a record's level, whether written by this logger (a slog name) or by pino itself. */
export function levelNumber(level: unknown): number {
  if (typeof level === 'number') return level;
  return (typeof level === 'string' && LEVEL_BY_NAME.get(level)) || 30;
}

/** Epoch ms of a record's time (RFC 3339, or pino's epoch number). */
export function recordTime(time: unknown): number | undefined {
  if (typeof time === 'number') return time;
  const parsed = typeof time === 'string' ? Date.parse(time) : NaN;
  return Number.isNaN(parsed) ? undefined : parsed;
}
