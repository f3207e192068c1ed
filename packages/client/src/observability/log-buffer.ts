import type { Logger } from 'pino';
import { levelNumber, recordTime } from './log-record.ts';

/** One log line as the console shows it. */
export interface LogEntry {
  seq: number;
  time: number;
  /** pino's numeric level (10 trace ... 60 fatal). */
  level: number;
  msg: string;
  /** The whole record as JSON, cut at MAX_LINE characters. */
  line: string;
}

const MAX_LINE = 4096;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** The last `capacity` log lines, kept so the console can show and export them; memory stays flat. */
export class LogBuffer {
  private readonly entries: LogEntry[] = [];
  private seq = 0;
  readonly capacity: number;

  constructor(capacity = 2000) {
    this.capacity = capacity;
  }

  /** Takes what the logger writes: one or more newline-terminated JSON records. */
  write(chunk: string): void {
    for (const line of chunk.split('\n')) {
      if (!line) continue;
      let record: { time?: unknown; level?: unknown; msg?: unknown } = {};
      try {
        record = JSON.parse(line) as typeof record;
      } catch {
        // Not JSON: kept as a line of its own.
      }
      this.entries.push({
        seq: ++this.seq,
        time: recordTime(record.time) ?? Date.now(),
        level: levelNumber(record.level),
        msg: typeof record.msg === 'string' ? record.msg : line.slice(0, MAX_LINE),
        line: line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line,
      });
      if (this.entries.length > this.capacity) this.entries.shift();
    }
  }

  /** Lines after `seq`, optionally only from `sinceTime` (epoch ms) on. */
  list(options: { after?: number; sinceTime?: number } = {}): LogEntry[] {
    const after = options.after ?? 0;
    const since = options.sinceTime ?? 0;
    return this.entries.filter((e) => e.seq > after && e.time >= since);
  }
}

/**
 * Changes the level of a logger and of every child made from it: pino copies the level into a child
 * when it is created, so setting the root's level alone would leave the bindings' loggers unchanged.
 */
export class LogLevelControl {
  private readonly root: Logger;
  private readonly children = new Set<WeakRef<Logger>>();

  constructor(root: Logger) {
    this.root = root;
    const previous = root.onChild;
    root.onChild = (child) => {
      previous.call(root, child);
      this.children.add(new WeakRef(child));
    };
  }

  get level(): string {
    return this.root.level;
  }

  set(level: LogLevelName): void {
    this.root.level = level;
    for (const ref of this.children) {
      const child = ref.deref();
      if (child) child.level = level;
      else this.children.delete(ref);
    }
  }
}
