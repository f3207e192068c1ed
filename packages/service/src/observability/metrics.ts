import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SERVICE_VERSION } from './version.ts';

/**
 * How a call through a tunnel ended for its caller: answered, or why not (the broker's CommandFailure
 * reasons among them). A standalone stream that reached the end of its lifetime counts as answered.
 */
export type CallOutcome =
  | 'answered'
  | 'timed_out'
  | 'caller_left'
  | 'session_ended'
  | 'shutting_down'
  | 'broker_unavailable'
  | 'write_failed'
  | 'tunnel_offline'
  | 'client_gone'
  | 'credential_revoked';

/** How a command reached its tunnel-client: the answer to a long-poll, or a frame of a command stream. */
export type Carrier = 'poll' | 'stream';

/** Seconds: a call through the tunnel takes milliseconds to minutes (a tool may run for a while). */
const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const WAIT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The service's Prometheus metrics, in a registry of its own (several services may share a process, as
 * tests run them). Labels are bounded sets: no tunnel, key or caller is ever a label, so 18,000 tunnels
 * cost no more series than one, and nothing secret or identifying reaches a scrape.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'tunnel_service_http_requests_total',
    help: 'HTTP requests answered, by route (its pattern, not the path) and status code',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly calls = new Counter({
    name: 'tunnel_service_connector_calls_total',
    help: 'Messages callers sent through a tunnel to its MCP server, by kind (request, notification, termination, stream) and how they ended for the caller',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly callDuration = new Histogram({
    name: 'tunnel_service_connector_call_duration_seconds',
    help: 'From a message queued for its tunnel to the end of its answer to the caller, for answered messages',
    labelNames: ['kind'] as const,
    buckets: CALL_BUCKETS,
    registers: [this.registry],
  });
  readonly queueWait = new Histogram({
    name: 'tunnel_service_command_queue_wait_seconds',
    help: 'From a command queued to its hand-over to a tunnel-client, by carrier (poll, stream)',
    labelNames: ['carrier'] as const,
    buckets: WAIT_BUCKETS,
    registers: [this.registry],
  });
  readonly pollsWaiting = new Gauge({
    name: 'tunnel_service_polls_waiting',
    help: 'Long-polls of tunnel-clients waiting on this node for commands',
    registers: [this.registry],
  });
  readonly streamsOpen = new Gauge({
    name: 'tunnel_service_command_streams_open',
    help: 'Command streams (protocol extension command-stream) of tunnel-clients open on this node',
    registers: [this.registry],
  });
  readonly #info = new Gauge({
    name: 'tunnel_service_info',
    help: 'Always 1: the release, and where the store and the broker live (sqlite or postgres; memory or redis)',
    labelNames: ['version', 'store', 'broker'] as const,
    registers: [this.registry],
  });
  #processMetricsStarted = false;

  constructor(where: { store: 'sqlite' | 'postgres'; broker: 'memory' | 'redis' }) {
    this.#info.set({ version: SERVICE_VERSION, ...where }, 1);
  }

  /**
   * The exposition text. The process metrics (CPU, memory, event loop lag) start with the first scrape:
   * a service nobody scrapes pays nothing for them.
   */
  async scrape(): Promise<string> {
    if (!this.#processMetricsStarted) {
      this.#processMetricsStarted = true;
      collectDefaultMetrics({ register: this.registry, prefix: 'tunnel_service_' });
    }
    return this.registry.metrics();
  }
}
