import type { Logger } from 'pino';
import type { Store } from '../store/types.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Pruning is cheap (an indexed range delete), so once an hour keeps the table within a day of its bound. */
const PRUNE_EVERY_MS = 60 * 60 * 1000;

export interface AuditRetention {
  stop(): void;
}

/**
 * Keeps the audit log to its last `days` days: prunes once now, then every hour. Without it every refused
 * poll of a stale key would grow the table for as long as the service runs.
 */
export async function startAuditRetention(store: Store, days: number, log: Logger): Promise<AuditRetention> {
  const prune = async () => {
    const before = new Date(Date.now() - days * DAY_MS).toISOString();
    try {
      const removed = await store.audit.prune(before);
      if (removed > 0) log.info({ removed, before }, 'pruned audit entries past the retention period');
    } catch (error) {
      log.error({ err: error }, 'could not prune the audit log; it will be tried again in an hour');
    }
  };
  await prune();
  const timer = setInterval(() => void prune(), PRUNE_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
