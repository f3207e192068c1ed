#!/usr/bin/env node
// The calculator over Streamable HTTP (stateless: a fresh server per request), for the remote sample
// and for benchmarks that call it directly. Prints `calculator listening on http://HOST:PORT/mcp`.
import { createServer } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createCalculatorServer } from './calculator.ts';

const port = Number(process.env.PORT ?? process.argv[2] ?? 0);
const host = process.env.HOST ?? '127.0.0.1';

const httpServer = createServer(async (req, res) => {
  if (req.url !== '/mcp') {
    res.writeHead(404).end();
    return;
  }
  const server = createCalculatorServer();
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

httpServer.listen(port, host, () => {
  const address = httpServer.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  console.log(`calculator listening on http://${host}:${bound}/mcp`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => httpServer.close(() => process.exit(0)));
