import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogFormat, LogLevel } from '../config/schema.ts';
import { LogBuffer } from './log-buffer.ts';

export type { Logger } from 'pino';

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const HIDDEN_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** One readable line per record: time, level, message, then key=value pairs. */
export function textLine(record: Record<string, unknown>): string {
  const time = typeof record.time === 'number' ? new Date(record.time).toISOString() : '';
  const level = (LEVEL_NAMES[record.level as number] ?? String(record.level)).padEnd(5);
  const fields = Object.entries(record)
    .filter(([key]) => !HIDDEN_KEYS.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return [time, level, String(record.msg ?? ''), ...fields].join(' ').trimEnd() + '\n';
}

function textDestination(out: NodeJS.WritableStream): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (!line) continue;
        try {
          out.write(textLine(JSON.parse(line) as Record<string, unknown>));
        } catch {
          out.write(line + '\n');
        }
      }
    },
  };
}

const buffers = new WeakMap<Logger, LogBuffer>();

/** The recent lines of a logger made by createLogger, for the console; none for a logger made elsewhere. */
export function logBufferOf(log: Logger): LogBuffer | undefined {
  return buffers.get(log);
}

/** Every record also goes to a LogBuffer (see logBufferOf), whatever the output format. */
function keepRecent(destination: DestinationStream, buffer: LogBuffer): DestinationStream {
  return {
    write(chunk: string) {
      buffer.write(chunk);
      destination.write(chunk);
    },
  };
}

export function createLogger(
  options: { level: LogLevel; format: LogFormat },
  out: NodeJS.WritableStream = process.stdout,
): Logger {
  const base = { level: options.level, base: undefined, timestamp: pino.stdTimeFunctions.epochTime };
  const destination: DestinationStream =
    options.format === 'text'
      ? textDestination(out)
      : out === process.stdout
        ? pino.destination({ dest: 1, sync: true })
        : { write: (chunk: string) => void out.write(chunk) };
  const buffer = new LogBuffer();
  const log = pino(base, keepRecent(destination, buffer));
  buffers.set(log, buffer);
  return log;
}
