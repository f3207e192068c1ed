// MCP servers for the client's tests: the stdio fixture (fixtures/test-server.ts) as a command line, an
// in-process server with a slow tool, and the tools/call request they are called with.
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JsonRpcMessage } from '@mcp-tunnel/protocol';
import { z } from 'zod';

export const FIXTURE_SERVER = fileURLToPath(new URL('../fixtures/test-server.ts', import.meta.url));
export const FIXTURE_COMMAND = `"${process.execPath}" "${FIXTURE_SERVER}"`;

/** A tools/call request; `meta` becomes its _meta (a progressToken, say). */
export const call = (
  id: number | string,
  name: string,
  args: Record<string, unknown> = {},
  meta?: Record<string, unknown>,
) =>
  ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
  }) as JsonRpcMessage;

/** An in-process server with a slow tool that logs and counts how many calls run at once. */
export function slowServer(counter = { now: 0, max: 0, started: 0 }) {
  const server = new McpServer({ name: 'slow', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('wait', { inputSchema: { ms: z.number() } }, async ({ ms }, extra) => {
    counter.now++;
    counter.started++;
    counter.max = Math.max(counter.max, counter.now);
    try {
      await extra.sendNotification({
        method: 'notifications/message',
        params: { level: 'info', data: 'one' },
      });
      await extra.sendNotification({
        method: 'notifications/message',
        params: { level: 'info', data: 'two' },
      });
      await new Promise((resolve) => setTimeout(resolve, ms));
      return { content: [{ type: 'text', text: `waited ${ms}` }] };
    } finally {
      counter.now--;
    }
  });
  return { server, counter };
}
