import {
  HEADER,
  headerValue,
  type PolledCommand,
  type TunnelResponsePayload,
  type WireHeaders,
} from '@mcp-tunnel/protocol';
import type { Redactor } from './redact.ts';

/** How a call ended, as the console shows it. */
export type CallOutcome =
  | 'ok'
  /** The MCP server answered with a JSON-RPC error. */
  | 'error'
  /** A tools/call whose result has isError: true. */
  | 'tool_error'
  /** The MCP server gave no valid answer; the client answered with a tunnel failure. */
  | 'failed'
  | 'expired'
  | 'cancelled'
  | 'undeliverable';

/** Metadata of one MCP call; always kept. */
export interface CallSummary {
  id: number;
  requestId: string;
  /** When the command was received (ISO 8601). */
  time: string;
  channel: string;
  session: string | null;
  /** jsonrpc method, or session_termination. */
  method: string;
  /** The tool, prompt or resource the call names, if any. */
  target: string | null;
  durationMs: number | null;
  /** Null while the call is in flight. */
  outcome: CallOutcome | null;
  /** A short label for charts and filters (jsonrpc_-32602, transport_closed/eof, expired ...). */
  errorKind: string | null;
  error: string | null;
  captured: boolean;
}

/** Request and response of a call, redacted; kept only while capture is on. */
export interface CallPayloads {
  request: { headers: WireHeaders; body: unknown };
  response?: { status: number; headers: WireHeaders; body: unknown; type: string };
}

export interface CallFinish {
  outcome: 'answered' | 'failed' | 'acknowledged' | 'terminated' | 'expired' | 'cancelled' | 'undeliverable';
  payload?: TunnelResponsePayload;
  /** Why the client itself failed the call (a binding failure source and kind). */
  errorKind?: string;
}

export interface TrafficCall {
  finish(result: CallFinish): void;
}

interface Stored {
  summary: CallSummary;
  payloads: CallPayloads | undefined;
  startedAt: number;
}

/** One bucket of the time series the Metrics tab draws. */
export interface SeriesPoint {
  /** Bucket start, epoch seconds. */
  t: number;
  calls: number;
  /** Latency percentiles in milliseconds; null for a bucket without calls. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  errors: Record<string, number>;
}

interface OpenBucket {
  t: number;
  calls: number;
  durations: number[];
  errors: Record<string, number>;
}

/** A payload larger than this is replaced by a note saying so: capture must not grow memory unbounded. */
const MAX_PAYLOAD_CHARS = 16_384;
const MAX_DURATIONS_PER_BUCKET = 2000;

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const at = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, at)]! * 10) / 10;
}

function targetOf(command: PolledCommand): string | null {
  if (command.command_type !== 'jsonrpc') return null;
  const params = (command.jsonrpc as { params?: Record<string, unknown> }).params;
  const named = params?.name ?? params?.uri;
  return typeof named === 'string' ? named.slice(0, 200) : null;
}

function bounded(value: unknown): unknown {
  const text = JSON.stringify(value);
  if (text === undefined || text.length <= MAX_PAYLOAD_CHARS) return value;
  return { truncated: `${text.length} characters, more than the ${MAX_PAYLOAD_CHARS} the console keeps` };
}

/**
 * The console's record of MCP calls: a ring buffer of the last `capacity` calls (metadata always,
 * redacted payloads only while capture is on), per-channel counters, and a per-bucket time series of
 * rate, latency percentiles and error kinds. Memory stays flat however long the client runs.
 */
export class TrafficRecorder {
  readonly capacity: number;
  readonly bucketSeconds: number;
  readonly buckets: number;
  private capture: boolean;
  private readonly redactor: Redactor;
  private readonly calls: Stored[] = [];
  private nextId = 1;
  private readonly listeners = new Set<(call: CallSummary) => void>();
  private readonly channelStats = new Map<string, { inFlight: number; total: number; errors: number }>();
  private readonly series: SeriesPoint[] = [];
  private open: OpenBucket | undefined;
  private readonly now: () => number;

  constructor(options: {
    redactor: Redactor;
    capture: boolean;
    capacity?: number;
    bucketSeconds?: number;
    buckets?: number;
    now?: () => number;
  }) {
    this.redactor = options.redactor;
    this.capture = options.capture;
    this.capacity = options.capacity ?? 500;
    this.bucketSeconds = options.bucketSeconds ?? 5;
    this.buckets = options.buckets ?? 360;
    this.now = options.now ?? Date.now;
  }

  get capturing(): boolean {
    return this.capture;
  }

  /** Turning capture off also drops every payload already kept. */
  setCapture(on: boolean): void {
    this.capture = on;
    if (!on) for (const call of this.calls) call.payloads = undefined;
  }

  begin(command: PolledCommand): TrafficCall {
    const stats = this.stats(command.channel);
    stats.inFlight += 1;
    stats.total += 1;
    const summary: CallSummary = {
      id: this.nextId++,
      requestId: command.request_id,
      time: new Date(this.now()).toISOString(),
      channel: command.channel,
      session: headerValue(command.headers, HEADER.mcpSessionId) ?? null,
      method:
        command.command_type !== 'jsonrpc'
          ? command.command_type
          : (((command.jsonrpc as { method?: unknown }).method as string | undefined) ?? 'response'),
      // A tool name or resource URI is the caller's text and may carry a secret (a token in a URI's query).
      target: this.redactor.nullableText(targetOf(command)),
      durationMs: null,
      outcome: null,
      errorKind: null,
      error: null,
      captured: this.capture,
    };
    const stored: Stored = {
      summary,
      startedAt: performance.now(),
      payloads: this.capture
        ? {
            request: {
              headers: this.redactor.headers(command.headers),
              body: command.command_type === 'jsonrpc' ? bounded(this.redactor.value(command.jsonrpc)) : null,
            },
          }
        : undefined,
    };
    this.calls.push(stored);
    if (this.calls.length > this.capacity) this.calls.shift();
    this.emit(summary);
    let finished = false;
    return {
      finish: (result) => {
        if (finished) return;
        finished = true;
        this.finish(stored, result);
      },
    };
  }

  private finish(stored: Stored, result: CallFinish): void {
    const { summary } = stored;
    summary.durationMs = Math.round((performance.now() - stored.startedAt) * 10) / 10;
    const answer = result.payload?.resp_json as
      { error?: { code?: unknown; message?: unknown }; result?: { isError?: unknown } } | null | undefined;
    if (result.outcome === 'failed') {
      summary.outcome = 'failed';
      summary.errorKind = result.errorKind ?? 'failed';
      summary.error = typeof answer?.error?.message === 'string' ? answer.error.message : null;
    } else if (['expired', 'cancelled', 'undeliverable'].includes(result.outcome)) {
      summary.outcome = result.outcome as CallOutcome;
      summary.errorKind = result.outcome;
    } else if (answer?.error) {
      summary.outcome = 'error';
      summary.errorKind = `jsonrpc_${String(answer.error.code)}`;
      summary.error = typeof answer.error.message === 'string' ? answer.error.message : null;
    } else if (answer?.result?.isError === true) {
      summary.outcome = 'tool_error';
      summary.errorKind = 'tool_error';
    } else summary.outcome = 'ok';
    if (summary.error) summary.error = this.redactor.text(summary.error).slice(0, 300);

    if (stored.payloads && result.payload)
      stored.payloads.response = {
        status: result.payload.resp_code,
        headers: this.redactor.headers(result.payload.resp_headers ?? {}),
        body: bounded(this.redactor.value(result.payload.resp_json ?? null)),
        type: result.payload.resp_type,
      };

    const stats = this.stats(summary.channel);
    stats.inFlight -= 1;
    if (summary.errorKind) stats.errors += 1;
    const bucket = this.bucket();
    bucket.calls += 1;
    if (bucket.durations.length < MAX_DURATIONS_PER_BUCKET) bucket.durations.push(summary.durationMs);
    if (summary.errorKind) bucket.errors[summary.errorKind] = (bucket.errors[summary.errorKind] ?? 0) + 1;
    this.emit(summary);
  }

  /** The newest calls last; `after` leaves out calls with an id up to it. */
  list(after = 0): CallSummary[] {
    return this.calls.filter((c) => c.summary.id > after).map((c) => ({ ...c.summary }));
  }

  get(id: number): (CallSummary & { payloads: CallPayloads | null }) | undefined {
    const stored = this.calls.find((c) => c.summary.id === id);
    return stored && { ...stored.summary, payloads: stored.payloads ?? null };
  }

  channel(name: string): { inFlight: number; total: number; errors: number } {
    return { ...this.stats(name) };
  }

  /** Calls in each bucket of the last `buckets * bucketSeconds` seconds, oldest first, the open one last. */
  points(): SeriesPoint[] {
    const open = this.bucket();
    return [...this.series, close(open)];
  }

  subscribe(listener: (call: CallSummary) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(summary: CallSummary): void {
    for (const listener of this.listeners) listener({ ...summary });
  }

  private stats(channel: string) {
    let stats = this.channelStats.get(channel);
    if (!stats) this.channelStats.set(channel, (stats = { inFlight: 0, total: 0, errors: 0 }));
    return stats;
  }

  /** The bucket for now, closing the ones that ended (and empty ones for any quiet gap). */
  private bucket(): OpenBucket {
    const t = Math.floor(this.now() / 1000 / this.bucketSeconds) * this.bucketSeconds;
    if (this.open && this.open.t === t) return this.open;
    if (this.open) {
      this.series.push(close(this.open));
      const gap = Math.min(this.buckets, (t - this.open.t) / this.bucketSeconds - 1);
      for (let i = gap; i > 0; i--)
        this.series.push({
          t: t - i * this.bucketSeconds,
          calls: 0,
          p50: null,
          p95: null,
          p99: null,
          errors: {},
        });
      this.series.splice(0, Math.max(0, this.series.length - (this.buckets - 1)));
    }
    this.open = { t, calls: 0, durations: [], errors: {} };
    return this.open;
  }
}

function close(bucket: OpenBucket): SeriesPoint {
  const sorted = [...bucket.durations].sort((a, b) => a - b);
  return {
    t: bucket.t,
    calls: bucket.calls,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    errors: { ...bucket.errors },
  };
}
