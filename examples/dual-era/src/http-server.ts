#!/usr/bin/env node
// The notes server over Streamable HTTP, both eras from one endpoint: 2026-07-28 per request, 2025 as
// stateless requests (`--modern-only` refuses them). Prints `notes listening on http://HOST:PORT/mcp`.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createNotesServer } from './notes.ts';

const port = Number(process.env.PORT ?? process.argv.find((arg) => /^\d+$/.test(arg)) ?? 0);
const host = process.env.HOST ?? '127.0.0.1';

const handler = createMcpHandler(
  () =>
    createNotesServer({
      notesChanged: () => {
        handler.notify.resourceUpdated('notes://all');
        handler.notify.promptsChanged();
      },
    }),
  { legacy: process.argv.includes('--modern-only') ? 'reject' : 'stateless' },
);
const serve = toNodeHandler(handler);
const httpServer = createServer((req, res) => {
  if (req.url !== '/mcp') return void res.writeHead(404).end();
  void serve(req, res);
});
httpServer.listen(port, host, () => {
  const { port: bound } = httpServer.address() as AddressInfo;
  console.log(`notes listening on http://${host}:${bound}/mcp`);
});
// Ends open listen streams with their empty result (a graceful close) before the connections go.
process.on('SIGTERM', () => {
  void handler.close().finally(() => {
    httpServer.close();
    httpServer.closeAllConnections();
  });
});
