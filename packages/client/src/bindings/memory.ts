import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../observability/logger.ts';
import { SharedConnectionBinding } from './shared-connection.ts';

/** Anything that serves MCP over a Transport, such as the SDK's McpServer or Server. */
export interface InProcessServer {
  connect(transport: Transport): Promise<void>;
}

/** One end of an in-process link; the server's `relatedRequestId` travels across so messages find their request. */
class LinkedTransport implements Transport {
  other: LinkedTransport | undefined;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const other = this.other;
    if (!other) throw new Error('not connected');
    const extra = { relatedRequestId: options?.relatedRequestId } as MessageExtraInfo;
    queueMicrotask(() => other.onmessage?.(message, extra));
  }

  async close(): Promise<void> {
    const other = this.other;
    this.other = undefined;
    if (other) {
      other.other = undefined;
      other.onclose?.();
    }
    this.onclose?.();
  }
}

/** A binding to an MCP server running in this process (for embedding and tests). */
export function createMemoryBinding(
  channel: string,
  server: InProcessServer,
  log: Logger,
  startupWaitMs?: number,
): SharedConnectionBinding {
  return new SharedConnectionBinding(
    channel,
    {
      kind: 'memory',
      restarts: false,
      startupWaitMs,
      async open() {
        const client = new LinkedTransport();
        const serverSide = new LinkedTransport();
        client.other = serverSide;
        serverSide.other = client;
        await server.connect(serverSide);
        return client;
      },
    },
    log.child({ channel }),
  );
}
