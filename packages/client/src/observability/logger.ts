import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogFormat, LogLevel } from '../config/schema.ts';
import { LogBuffer } from './log-buffer.ts';
import { SLOG_LEVEL_NAMES } from './log-record.ts';

export type { Logger } from 'pino';

const HIDDEN_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

function textValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

function fieldsOf(record: Record<string, unknown>): string[] {
  return Object.entries(record)
    .filter(([key]) => !HIDDEN_KEYS.has(key))
    .map(([key, value]) => `${key}=${textValue(value)}`);
}

/** struct-text: one line per record as Go's slog text handler writes it (time=... level=... msg=... key=value). */
export function structTextLine(record: Record<string, unknown>): string {
  return (
    [
      `time=${String(record.time ?? '')}`,
      `level=${String(record.level ?? '')}`,
      `msg=${textValue(String(record.msg ?? ''))}`,
      ...fieldsOf(record),
    ].join(' ') + '\n'
  );
}

/** text: one readable line per record: time, level, message, then key=value pairs. */
export function textLine(record: Record<string, unknown>): string {
  const level = String(record.level ?? '').padEnd(5);
  return (
    [String(record.time ?? ''), level, String(record.msg ?? ''), ...fieldsOf(record)].join(' ').trimEnd() +
    '\n'
  );
}

function lineDestination(
  out: NodeJS.WritableStream,
  render: (record: Record<string, unknown>) => string,
): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (!line) continue;
        try {
          out.write(render(JSON.parse(line) as Record<string, unknown>));
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
  options: { level: LogLevel; format: LogFormat; bufferEvents?: number },
  out: NodeJS.WritableStream = process.stdout,
): Logger {
  const base = {
    level: options.level,
    base: undefined,
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: {
      level: (_label: string, number: number) => ({ level: SLOG_LEVEL_NAMES[number] ?? 'INFO' }),
    },
  };
  const destination: DestinationStream =
    options.format === 'text'
      ? lineDestination(out, textLine)
      : options.format === 'struct-text'
        ? lineDestination(out, structTextLine)
        : out === process.stdout
          ? pino.destination({ dest: 1, sync: true })
          : { write: (chunk: string) => void out.write(chunk) };
  const buffer = new LogBuffer(options.bufferEvents);
  const log = pino(base, keepRecent(destination, buffer));
  buffers.set(log, buffer);
  return log;
}
