import { LISTEN_METHOD, jsonRpcError, JSONRPC_SERVER_ERROR, type JsonRpcId } from '@mcp-tunnel/protocol';
import type { ReceivedCommand } from '../controlplane/command-queue.ts';
import type { Responder } from '../controlplane/responder.ts';
import type { Logger } from '../observability/logger.ts';
import { DeadlineExceeded } from './worker-pool.ts';

/** More open listens than this is a caller listening in a loop; the next ones are refused. */
const MAX_OPEN_LISTENS = 200;

/** Whether a command is a 2026-07-28 `subscriptions/listen` request: it lasts as long as its caller keeps it. */
export function isListen(received: ReceivedCommand): boolean {
  const { command } = received;
  return command.command_type === 'jsonrpc' && command.jsonrpc.method === LISTEN_METHOD;
}

/** The caller of a listen is gone: a notification for it found no caller. */
export class CallerGone extends Error {
  override name = 'CallerGone';
}

export interface ListenRelayDeps {
  /** The command handler; `callerGone` is called when a notification of the command finds no caller. */
  work: (received: ReceivedCommand, signal: AbortSignal, callerGone: () => void) => Promise<void>;
  responder: Responder;
  log: Logger;
}

/**
 * Runs `subscriptions/listen` requests outside the worker pool: a listen is answered only when it ends, so
 * in a worker it would hold a slot that requests need for as long as its caller listens. Each ends at its
 * command deadline (our service gives hours with extension listen-stream, a service without it the
 * tunnel's response_timeout), when its caller is gone, when the server ends it, or at shutdown.
 */
export class ListenRelay {
  private readonly deps: ListenRelayDeps;
  private readonly open = new Map<AbortController, Promise<void>>();

  constructor(deps: ListenRelayDeps) {
    this.deps = deps;
  }

  get size(): number {
    return this.open.size;
  }

  start(received: ReceivedCommand): void {
    const { command } = received;
    if (this.open.size >= MAX_OPEN_LISTENS) {
      this.deps.log.warn({ request_id: command.request_id }, 'too many listen streams open; refused one');
      const id = command.command_type === 'jsonrpc' ? ((command.jsonrpc.id as JsonRpcId) ?? null) : null;
      void this.deps.responder.terminal(
        command.shard_token,
        {
          request_id: command.request_id,
          channel: command.channel,
          resp_json: jsonRpcError(
            id,
            JSONRPC_SERVER_ERROR,
            `This tunnel-client already relays ${MAX_OPEN_LISTENS} subscriptions/listen streams: close unused ones and listen again.`,
          ),
          resp_headers: { 'Content-Type': ['application/json'] },
          resp_code: 200,
          resp_type: 'jsonrpc_response',
        },
        received.deadline,
      );
      return;
    }
    const controller = new AbortController();
    const timer =
      received.deadline === undefined
        ? undefined
        : setTimeout(
            () => controller.abort(new DeadlineExceeded('the command deadline passed')),
            Math.max(0, received.deadline - performance.now()),
          );
    const callerGone = () => controller.abort(new CallerGone('the caller of the listen is gone'));
    const done = this.deps
      .work(received, controller.signal, callerGone)
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        this.open.delete(controller);
      });
    this.open.set(controller, done);
  }

  async stop(): Promise<void> {
    for (const controller of this.open.keys()) controller.abort();
    await Promise.allSettled([...this.open.values()]);
  }
}
