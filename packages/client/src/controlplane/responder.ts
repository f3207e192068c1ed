import type { TunnelResponsePayload } from '@mcp-tunnel/protocol';
import { Backoff, retryAfterMs, sleep } from '../base/backoff.ts';
import type { Logger } from '../observability/logger.ts';
import { apiErrorText, type ControlPlaneApi } from './api.ts';

/**
 * How posting one response to the tunnel service ended. `too_large`: the service refused its size (413);
 * the caller can still be told so.
 */
export type DeliveryResult = 'delivered' | 'gone' | 'failed' | 'expired' | 'too_large';

const TERMINAL_RETRY_STATUSES = new Set([408, 429, 502, 503, 504]);
/** Without a deadline, a terminal response is retried this long before it is given up. */
const NO_DEADLINE_BUDGET_MS = 60_000;
const NOTIFY_ATTEMPTS = 3;
/** Errors raised before a request was written: safe to send again even for notifications. */
const NOT_WRITTEN = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Posts responses to the tunnel service with the retry rules of the contract. */
export class Responder {
  private readonly api: ControlPlaneApi;
  private readonly log: Logger;
  private readonly stopping: AbortSignal;

  constructor(api: ControlPlaneApi, log: Logger, stopping: AbortSignal) {
    this.api = api;
    this.log = log;
    this.stopping = stopping;
  }

  /**
   * A terminal response is retried on network errors, 408, 429, 502, 503 and 504 with the same body and
   * headers while the deadline allows. 404 means the request is finished or gone: never retried.
   */
  async terminal(
    shardToken: string,
    payload: TunnelResponsePayload,
    deadline: number | undefined,
    traceContext?: Record<string, string>,
  ): Promise<DeliveryResult> {
    const until = deadline ?? performance.now() + NO_DEADLINE_BUDGET_MS;
    const backoff = new Backoff(100, 2000);
    for (;;) {
      const left = until - performance.now();
      if (left <= 0 || this.stopping.aborted) return 'expired';
      let wait: number;
      try {
        const reply = await this.api.respond(
          shardToken,
          payload,
          this.stopping,
          Math.ceil(left),
          traceContext,
        );
        if (reply.status >= 200 && reply.status < 300) return 'delivered';
        if (reply.status === 404) {
          this.log.info(
            { request_id: payload.request_id },
            'the service no longer waits for this answer (404)',
          );
          return 'gone';
        }
        if (reply.status === 413) {
          this.log.warn(
            { request_id: payload.request_id, reason: apiErrorText(reply.body) },
            'the service refused the answer as too large',
          );
          return 'too_large';
        }
        if (!TERMINAL_RETRY_STATUSES.has(reply.status)) {
          this.log.warn(
            { request_id: payload.request_id, status: reply.status, reason: apiErrorText(reply.body) },
            'the service refused the answer',
          );
          return 'failed';
        }
        wait = retryAfterMs(reply.headers['retry-after']) ?? backoff.next();
      } catch (error) {
        if (this.stopping.aborted || performance.now() >= until) return 'expired';
        this.log.debug(
          { request_id: payload.request_id, code: errorCode(error) },
          'answer post failed; retrying',
        );
        wait = backoff.next();
      }
      if (performance.now() + wait >= until) return 'expired';
      await sleep(wait, this.stopping);
    }
  }

  /** A notification is retried only on 429 or when it was never written; false means later ones are skipped. */
  async notify(
    shardToken: string,
    payload: TunnelResponsePayload,
    deadline: number | undefined,
  ): Promise<boolean> {
    const backoff = new Backoff(100, 1000);
    for (let attempt = 1; ; attempt++) {
      const left = (deadline ?? performance.now() + NO_DEADLINE_BUDGET_MS) - performance.now();
      if (left <= 0 || this.stopping.aborted) return false;
      let wait: number;
      try {
        const reply = await this.api.respond(shardToken, payload, this.stopping, Math.ceil(left));
        if (reply.status >= 200 && reply.status < 300) return true;
        if (reply.status !== 429 || attempt >= NOTIFY_ATTEMPTS) {
          this.log.warn(
            { request_id: payload.request_id, status: reply.status },
            'a notification was not accepted; later notifications of this request are skipped',
          );
          return false;
        }
        wait = retryAfterMs(reply.headers['retry-after']) ?? backoff.next();
      } catch (error) {
        const code = errorCode(error);
        if (!code || !NOT_WRITTEN.has(code) || attempt >= NOTIFY_ATTEMPTS) return false;
        wait = backoff.next();
      }
      await sleep(wait, this.stopping);
    }
  }
}
