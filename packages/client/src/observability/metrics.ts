import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type PollResult =
  | 'commands'
  | 'empty'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'server_error'
  | 'client_error'
  | 'network_error';

export type CommandOutcome =
  | 'answered'
  | 'failed'
  | 'acknowledged'
  | 'terminated'
  | 'expired'
  | 'cancelled'
  | 'skipped'
  | 'undeliverable';

/** The client's Prometheus metrics, in a registry of their own so several clients can share a process. */
export class ClientMetrics {
  readonly registry = new Registry();
  readonly polls = new Counter({
    name: 'tunnel_client_polls_total',
    help: 'Polls of the tunnel service, by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly commands = new Counter({
    name: 'tunnel_client_commands_total',
    help: 'Commands received from the tunnel service, by outcome',
    labelNames: ['outcome', 'channel'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'tunnel_client_command_duration_seconds',
    help: 'From receipt of a command to its terminal response being accepted',
    labelNames: ['channel'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly queued = new Gauge({
    name: 'tunnel_client_queued_commands',
    help: 'Commands received and waiting for a worker',
    registers: [this.registry],
  });
  readonly active = new Gauge({
    name: 'tunnel_client_active_commands',
    help: 'Commands being worked on by the MCP server',
    registers: [this.registry],
  });
  /** Go's name, read by `tunnel-client health --require-control-plane-poll`: 0 until a poll succeeds. */
  readonly lastSuccessfulPoll = new Gauge({
    name: 'commands_poll_last_successful_timestamp_seconds',
    help: 'Unix time of the last poll the tunnel service accepted (0: none yet)',
    registers: [this.registry],
  });
  readonly streamOpen = new Gauge({
    name: 'tunnel_client_command_stream_open',
    help: 'Whether the command stream (protocol extension command-stream) is open: 1 while commands and responses go over it instead of polls and response posts',
    registers: [this.registry],
  });
  readonly streamMessages = new Counter({
    name: 'tunnel_client_command_stream_messages_total',
    help: 'Commands received and responses sent over the command stream, by kind (command, response)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly childRestarts = new Counter({
    name: 'tunnel_client_stdio_restarts_total',
    help: 'Restarts of stdio MCP server processes',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  });

  private processMetricsStarted = false;

  /**
   * The Prometheus exposition of the registry. Node's process metrics (prom-client's default metrics:
   * CPU, memory, event-loop delay, GC) are added at the first call: their collectors keep an event-loop
   * delay histogram and a GC observer running, which a client that nobody scrapes does without.
   */
  exposition(): Promise<string> {
    if (!this.processMetricsStarted) {
      this.processMetricsStarted = true;
      collectDefaultMetrics({ register: this.registry, prefix: 'tunnel_client_' });
    }
    return this.registry.metrics();
  }

  /** Totals for the status page. */
  async counts(): Promise<{ polls: Record<string, number>; commands: Record<string, number> }> {
    const sum = async (counter: Counter<string>, label: string) => {
      const out: Record<string, number> = {};
      for (const v of (await counter.get()).values) {
        const key = String(v.labels[label]);
        out[key] = (out[key] ?? 0) + v.value;
      }
      return out;
    };
    return { polls: await sum(this.polls, 'result'), commands: await sum(this.commands, 'outcome') };
  }
}
