import type { PolledCommand } from '@mcp-tunnel/protocol';

/** One command the poller received, with its deadline on the monotonic clock (performance.now()), if any. */
export interface ReceivedCommand {
  command: PolledCommand;
  receivedAt: number;
  deadline: number | undefined;
}

/**
 * Where the poller puts what it receives. The control plane owns this type and fills it; the dispatch
 * layer implements it and decides where each command goes (a worker, or a standalone stream).
 */
export interface CommandQueue {
  /** Free places in the local queue; the poller asks for at most this many commands. */
  freeSlots(): number;
  /** Resolves once the queue has room again (or the signal aborts). */
  waitForSpace(signal: AbortSignal): Promise<void>;
  /** Accepts every command received, even beyond capacity: a received command is never dropped. */
  submit(received: ReceivedCommand): void;
  /**
   * Cancels queued and running work and waits for it to finish. Resolves with the request ids of the
   * commands it dropped unstarted: no MCP server saw them, so the service may give them to another client.
   */
  stop(): Promise<string[]>;
}
