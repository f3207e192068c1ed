import {
  COMMAND_STREAM,
  PolledCommandListSchema,
  EXTENSION_COMMAND_TYPES,
  parsePolledCommand,
  MAX_TIMER_MS,
  parseResponseTimeout,
} from '@mcp-tunnel/protocol';
import { Backoff, retryAfterMs, sleep } from '../base/backoff.ts';
import type { Logger } from '../observability/logger.ts';
import type { ClientMetrics, PollResult } from '../observability/metrics.ts';
import type { ClientStatus, ControlPlaneState } from '../observability/status.ts';
import type { CommandQueue, ReceivedCommand } from './command-queue.ts';
import { apiErrorText, type ApiReply, type ControlPlaneApi } from './api.ts';

const MAX_LIMIT = 25;
/** A refused key is not fixed by asking again quickly. */
const AUTH_RETRY_MS = 30_000;
/** A stream that could not open, or broke, is tried again after this backoff (polls serve meanwhile). */
const STREAM_RETRY_MIN_MS = 1000;
const STREAM_RETRY_MAX_MS = 5 * 60_000;
/** A stream open this long worked: its next retry starts from the shortest backoff again. */
const STREAM_HEALTHY_MS = 60_000;

export interface PollerOptions {
  api: ControlPlaneApi;
  /** Takes every command received; the dispatch layer behind it decides where each goes. */
  queue: CommandQueue;
  status: ClientStatus;
  metrics: ClientMetrics;
  log: Logger;
  pollTimeoutMs: number;
  /** Called once, after the first poll the service accepted. */
  onFirstSuccess: () => void;
}

/** What a refusal means for the operator, in plain words. */
export function explainRefusal(status: number, body: unknown): { state: ControlPlaneState; detail: string } {
  const said = apiErrorText(body);
  const suffix = said ? `; the service said: ${said}` : '';
  if (status === 401)
    return {
      state: 'unauthorized',
      detail: `the API key is invalid (HTTP 401): check CONTROL_PLANE_API_KEY${suffix}`,
    };
  if (status === 403)
    return {
      state: 'forbidden',
      detail: `the key lacks Tunnels Use on this tunnel (HTTP 403): give it Tunnels Read + Use${suffix}`,
    };
  if (status === 404)
    return { state: 'rejected', detail: `the tunnel was not found (HTTP 404): check the tunnel id${suffix}` };
  return { state: 'rejected', detail: `the service refused the poll (HTTP ${status})${suffix}` };
}

/** Long-polls for commands while the local queue has room, and hands each to the queue with its deadline. */
export class Poller {
  private readonly options: PollerOptions;
  private started = false;
  private readonly streamBackoff = new Backoff(STREAM_RETRY_MIN_MS, STREAM_RETRY_MAX_MS);
  /** performance.now() before which the command stream is not tried (again). */
  private streamAfter = 0;

  constructor(options: PollerOptions) {
    this.options = options;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { api, queue, log } = this.options;
    const backoff = new Backoff(250, 30_000);
    while (!signal.aborted) {
      if (api.offers(COMMAND_STREAM) && performance.now() >= this.streamAfter) {
        await this.stream(signal);
        if (signal.aborted) return;
        // Back to polling at once: no gap while the stream is retried later.
        continue;
      }
      await queue.waitForSpace(signal);
      if (signal.aborted) return;
      const limit = Math.min(MAX_LIMIT, queue.freeSlots());
      let reply: ApiReply;
      try {
        // Until the service has accepted a poll, ask it not to wait: the reply confirms the key at once.
        // A poll in place of the command stream ends when the stream is to be tried again.
        const untilStream = api.offers(COMMAND_STREAM)
          ? Math.max(1, Math.ceil(this.streamAfter - performance.now()))
          : Infinity;
        const wait =
          this.options.status.controlPlane.state === 'connected'
            ? Math.min(this.options.pollTimeoutMs, untilStream)
            : 1;
        reply = await api.poll(limit, wait, signal);
      } catch (error) {
        if (signal.aborted) return;
        const code = (error as { code?: string }).code ?? (error as Error).name;
        this.record('network_error', 'unreachable', `the tunnel service could not be reached (${code})`);
        log.warn({ code }, 'poll failed; retrying');
        await sleep(backoff.next(), signal);
        continue;
      }
      if (reply.status === 200 || reply.status === 204) {
        backoff.reset();
        this.accepted(reply);
        continue;
      }
      if (
        reply.status === 401 ||
        reply.status === 403 ||
        (reply.status >= 400 && reply.status < 500 && reply.status !== 408 && reply.status !== 429)
      ) {
        const { state, detail } = explainRefusal(reply.status, reply.body);
        const result: PollResult =
          reply.status === 401 ? 'unauthorized' : reply.status === 403 ? 'forbidden' : 'client_error';
        const changed = this.options.status.controlPlane.detail !== detail;
        this.record(result, state, detail);
        if (changed) log.error({ status: reply.status }, detail);
        await sleep(AUTH_RETRY_MS, signal);
        continue;
      }
      const rateLimited = reply.status === 429;
      this.record(
        rateLimited ? 'rate_limited' : 'server_error',
        'unreachable',
        rateLimited
          ? 'the tunnel service asked to slow down (HTTP 429)'
          : `the tunnel service failed (HTTP ${reply.status})`,
      );
      const wait = retryAfterMs(reply.headers['retry-after']) ?? backoff.next();
      log.warn({ status: reply.status, retry_in_ms: Math.round(wait) }, 'poll refused; retrying');
      await sleep(wait, signal);
    }
  }

  /** Serves the command stream until it ends; its commands go where polled ones go. */
  private async stream(signal: AbortSignal): Promise<void> {
    const { api, queue, log, metrics, status } = this.options;
    const end = await api.stream.run(signal, {
      queue,
      log,
      maxCredits: MAX_LIMIT,
      opened: () => {
        metrics.streamOpen.set(1);
        status.setControlPlane('connected', 'command stream open');
        log.info('command stream open: commands and responses go over it instead of polls');
      },
      received: (commands, receivedAt) => {
        metrics.streamMessages.inc({ kind: 'command' }, commands.length);
        this.receive(commands, receivedAt);
      },
      heard: () => metrics.lastSuccessfulPoll.set(Date.now() / 1000),
      responded: () => metrics.streamMessages.inc({ kind: 'response' }),
    });
    metrics.streamOpen.set(0);
    if (signal.aborted) return;
    if (end.openMs >= STREAM_HEALTHY_MS) this.streamBackoff.reset();
    const retryIn = this.streamBackoff.next();
    this.streamAfter = performance.now() + retryIn;
    log.warn(
      { reason: end.reason, retry_in_ms: Math.round(retryIn) },
      end.opened
        ? 'the command stream ended; polling until it is opened again'
        : 'the command stream could not be opened; polling instead',
    );
  }

  private record(result: PollResult, state: ControlPlaneState, detail: string): void {
    this.options.metrics.polls.inc({ result });
    this.options.status.setControlPlane(state, detail);
  }

  private accepted(reply: ApiReply): void {
    const { log } = this.options;
    const commands = reply.status === 200 ? PolledCommandListSchema.safeParse(reply.body) : undefined;
    if (commands && !commands.success) {
      this.record(
        'server_error',
        'unreachable',
        'the tunnel service sent a poll body that is not a command list',
      );
      log.warn('poll body is not a command list; ignored');
      return;
    }
    this.record(commands ? 'commands' : 'empty', 'connected', 'polling');
    this.options.metrics.lastSuccessfulPoll.set(Date.now() / 1000);
    if (!this.started) {
      this.started = true;
      this.options.onFirstSuccess();
    }
    this.receive(commands?.data.commands ?? [], reply.receivedAt);
  }

  /** Parses received commands (a poll answer's, or a command stream frame's) and queues each with its deadline. */
  private receive(commands: unknown[], receivedAt: number): void {
    const { log, queue } = this.options;
    for (const raw of commands) {
      let parsed = parsePolledCommand(raw);
      // An extension's command is only understood from a service that offered the extension.
      const extension =
        parsed.ok && parsed.command.command_type in EXTENSION_COMMAND_TYPES
          ? EXTENSION_COMMAND_TYPES[parsed.command.command_type as keyof typeof EXTENSION_COMMAND_TYPES]
          : undefined;
      if (parsed.ok && extension && !this.options.api.offers(extension))
        parsed = {
          ok: false,
          requestId: parsed.command.request_id,
          reason: `unknown command_type "${parsed.command.command_type}"`,
        };
      if (!parsed.ok) {
        log.warn(
          { request_id: parsed.requestId, reason: parsed.reason },
          'skipped a command this client cannot handle',
        );
        this.options.metrics.commands.inc({ outcome: 'skipped', channel: 'unknown' });
        continue;
      }
      const command = parsed.command;
      const timeout = parseResponseTimeout(command.response_timeout);
      if (timeout.kind === 'deadline' && timeout.capped)
        log.warn(
          { request_id: command.request_id, response_timeout: command.response_timeout },
          `the command's response_timeout is longer than this client can keep (${MAX_TIMER_MS}ms, about ${Math.floor(MAX_TIMER_MS / 3_600_000)}h); that is its deadline instead`,
        );
      if (timeout.kind === 'expired') {
        log.debug({ request_id: command.request_id }, 'command arrived already expired; dropped');
        this.options.metrics.commands.inc({ outcome: 'expired', channel: command.channel });
        continue;
      }
      const received: ReceivedCommand = {
        command,
        receivedAt,
        deadline: timeout.kind === 'deadline' ? receivedAt + timeout.ms : undefined,
      };
      queue.submit(received);
    }
  }
}
