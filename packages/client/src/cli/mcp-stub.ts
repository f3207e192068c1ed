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

export const STUB_NAME = 'tunnel-client-mcp-stub';

/** Three tools whose answers a caller can predict: echo, add and time. */
export function createStubServer(): McpServer {
  const server = new McpServer({ name: STUB_NAME, version: CLIENT_VERSION });
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

export async function serveStdio(): Promise<void> {
  const server = createStubServer();
  const transport = new StdioServerTransport();
  // stdout carries JSON-RPC only: the announcement goes to stderr, which the tunnel-client logs.
  transport.onclose = () => process.exit(0);
  await server.connect(transport);
  process.stderr.write(`${STUB_NAME} ready on stdio (tools: echo, add, time)\n`);
  process.stdin.once('end', () => process.exit(0));
}

/**
 * Stateless Streamable HTTP: a fresh server per request, as the remote sample expects. With `oauth`, /mcp
 * needs an access token from the stub's own authorization server (mcp-stub-oauth.ts).
 */
export async function serveHttp(host: string, port: number, oauth?: { resources: string[] }): Promise<void> {
  let authorization: StubAuthorization | undefined;
  const httpServer = createServer(async (req, res) => {
    if (authorization && (await authorization.handle(req, res))) return;
    if (new URL(req.url ?? '/', 'http://stub').pathname !== '/mcp') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('the MCP endpoint is /mcp\n');
      return;
    }
    if (authorization && !authorization.authorized(req, res)) return;
    const server = createStubServer();
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
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, host, resolve);
  }).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(
      `cannot listen on ${host}:${port} (${error.code ?? error.message}): choose another --port`,
    );
  });
  const address = httpServer.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${bound}/mcp`;
  if (oauth)
    authorization = new StubAuthorization({ base: `http://${shown}:${bound}`, resources: oauth.resources });
  process.stdout.write(`${STUB_NAME} listening on ${url} (tools: echo, add, time)\nMCP URL: ${url}\n`);
  if (authorization)
    process.stdout.write(
      `OAuth: /mcp needs a token from the stub's authorization server at http://${shown}:${bound} (approves every request; resources accepted: ${[authorization.resource, ...oauth!.resources].join(', ')})\n`,
    );
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => httpServer.close(() => process.exit(0)));
}
