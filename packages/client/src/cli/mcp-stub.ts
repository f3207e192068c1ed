// The MCP server behind `tunnel-client dev mcp-stub`: a small server to try a tunnel with nothing else
// installed. As a stdio server it is what `mcp.commands` can run; over HTTP it serves /mcp.
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { ConfigError } from '../config/errors.ts';
import { CLIENT_VERSION } from '../base/version.ts';
import { StubAuthorization } from './mcp-stub-oauth.ts';

import { STUB_NAME } from './dev.ts';

/** What the stub says it is in its initialize answer (--server-name, --server-version). */
export interface StubIdentity {
  name: string;
  version: string;
}
const DEFAULT_IDENTITY: StubIdentity = { name: STUB_NAME, version: CLIENT_VERSION };

/** Three tools whose answers a caller can predict: echo, add and time. */
export function createStubServer(identity: StubIdentity = DEFAULT_IDENTITY): McpServer {
  const server = new McpServer(identity);
  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Answers with the text it was given.',
      inputSchema: { text: z.string().describe('text to send back') },
    },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool(
    'add',
    {
      title: 'Add',
      description: 'Adds two numbers; answers "a + b = sum".',
      inputSchema: { a: z.number(), b: z.number() },
    },
    async ({ a, b }) => ({ content: [{ type: 'text', text: `${a} + ${b} = ${a + b}` }] }),
  );
  server.registerTool(
    'time',
    {
      title: 'Time',
      description: "The server's current time as an ISO 8601 UTC timestamp.",
      inputSchema: {},
    },
    async () => ({ content: [{ type: 'text', text: new Date().toISOString() }] }),
  );
  return server;
}

export async function serveStdio(identity: StubIdentity = DEFAULT_IDENTITY): Promise<void> {
  const server = createStubServer(identity);
  const transport = new StdioServerTransport();
  // stdout carries JSON-RPC only: the announcement goes to stderr, which the tunnel-client logs.
  transport.onclose = () => process.exit(0);
  await server.connect(transport);
  process.stderr.write(`${identity.name} ready on stdio (tools: echo, add, time)\n`);
  process.stdin.once('end', () => process.exit(0));
}

/** Where the HTTP stub listens: a TCP address, or a Unix socket (for mcp.server_urls[].unix_socket). */
export type StubListen = { host: string; port: number } | { path: string };

/**
 * Stateless Streamable HTTP: a fresh server per request, as the remote sample expects. With `oauth`, /mcp
 * needs an access token from the stub's own authorization server (mcp-stub-oauth.ts).
 */
export async function serveHttp(
  listen: StubListen,
  options: { identity?: StubIdentity; oauth?: { resources: string[] } } = {},
): Promise<void> {
  const { oauth } = options;
  const identity = options.identity ?? DEFAULT_IDENTITY;
  let authorization: StubAuthorization | undefined;
  const httpServer = createServer(async (req, res) => {
    if (authorization && (await authorization.handle(req, res))) return;
    if (new URL(req.url ?? '/', 'http://stub').pathname !== '/mcp') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('the MCP endpoint is /mcp\n');
      return;
    }
    if (authorization && !authorization.authorized(req, res)) return;
    const server = createStubServer(identity);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  const where = 'path' in listen ? listen.path : `${listen.host}:${listen.port}`;
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    if ('path' in listen) httpServer.listen(listen.path, resolve);
    else httpServer.listen(listen.port, listen.host, resolve);
  }).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(
      `cannot listen on ${where} (${error.code ?? error.message}): choose another ${'path' in listen ? '--unix-socket' : '--listen-addr'}`,
    );
  });
  if ('path' in listen) {
    process.stdout.write(
      `${identity.name} listening on Unix socket ${listen.path} (tools: echo, add, time)\nMCP URL: http://localhost/mcp with unix_socket ${listen.path}\n`,
    );
  } else {
    const address = httpServer.address();
    const bound = typeof address === 'object' && address ? address.port : listen.port;
    const shown = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
    const url = `http://${shown}:${bound}/mcp`;
    if (oauth)
      authorization = new StubAuthorization({ base: `http://${shown}:${bound}`, resources: oauth.resources });
    process.stdout.write(`${identity.name} listening on ${url} (tools: echo, add, time)\nMCP URL: ${url}\n`);
    if (authorization)
      process.stdout.write(
        `OAuth: /mcp needs a token from the stub's authorization server at http://${shown}:${bound} (approves every request; resources accepted: ${[authorization.resource, ...oauth!.resources].join(', ')})\n`,
      );
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => httpServer.close(() => process.exit(0)));
}
