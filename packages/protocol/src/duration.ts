/**
 * The `response_timeout` grammar: one non-negative integer and one unit of ns, us, ms, s, m, h.
 * Anything else means "no deadline" (fail open), as the contract requires.
 */
const DURATION_PATTERN = /^([0-9]+)(ns|us|ms|s|m|h)$/;

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** The longest delay a timer keeps (2^31-1 ms, about 596 h): Node fires a longer one at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export type ResponseTimeout =
  | { kind: 'none' } // absent, null or malformed: no deadline
  | { kind: 'expired' } // a valid zero: drop unseen
  // `capped`: the value was longer than a timer keeps, and MAX_TIMER_MS is used instead.
  | { kind: 'deadline'; ms: number; capped?: boolean };

export function parseResponseTimeout(value: unknown): ResponseTimeout {
  if (typeof value !== 'string') return { kind: 'none' };
  const match = DURATION_PATTERN.exec(value);
  if (!match) return { kind: 'none' };
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!;
  // Too many digits to be a number at all: longer than any timer, like any other huge value.
  if (!Number.isFinite(ms)) return { kind: 'deadline', ms: MAX_TIMER_MS, capped: true };
  if (ms === 0) return { kind: 'expired' };
  if (ms > MAX_TIMER_MS) return { kind: 'deadline', ms: MAX_TIMER_MS, capped: true };
  return { kind: 'deadline', ms };
}

/** Formats milliseconds in the same grammar, choosing the largest unit that keeps it exact. */
export function formatDuration(ms: number): string {
  const whole = Math.max(0, Math.round(ms));
  if (whole % 3_600_000 === 0 && whole > 0) return `${whole / 3_600_000}h`;
  if (whole % 60_000 === 0 && whole > 0) return `${whole / 60_000}m`;
  if (whole % 1000 === 0) return `${whole / 1000}s`;
  return `${whole}ms`;
}

/**
 * Parses a human duration used in configuration (`30s`, `1500ms`, `2m`), the same grammar as the wire.
 * Returns undefined when malformed so the caller can name the bad key.
 */
export function parseConfigDuration(value: string): number | undefined {
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}
