// Real parts for the runtime tests: certificates made with the openssl CLI, a CONNECT and forwarding
// proxy, the fake hosted service with a started client, and small MCP servers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { loadContract } from '../../../../test/support/contract.ts';
import { startFakeService } from '../helpers.ts';

export const contract = loadContract();
export const API_KEY = 'mcpt_runtime_key';

export async function startFake(
  options: { ignoreLimit?: boolean; overDeliver?: number; pathPrefix?: string } = {},
) {
  return startFakeService(contract!, { apiKey: API_KEY, maxPollWaitMs: 200, ...options });
}

export const call = (id: number | string, name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

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

export interface Certificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A self-signed certificate no configuration trusts. */
  strangerCert: string;
  strangerKey: string;
  cleanup(): void;
}

/** A CA, a server certificate for mcp.test and 127.0.0.1, and a client certificate, made with openssl. */
export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'tc-certs-'));
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=tunnel test CA',
  );
  writeFileSync(f('server.ext'), 'subjectAltName=DNS:mcp.test,DNS:localhost,IP:127.0.0.1\n');
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
    '-subj',
    '/CN=mcp.test',
  );
  ssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.crt'),
    '-days',
    '2',
    '-extfile',
    f('server.ext'),
  );
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('client.key'),
    '-out',
    f('client.csr'),
    '-subj',
    '/CN=tunnel-client',
  );
  ssl(
    'x509',
    '-req',
    '-in',
    f('client.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('client.crt'),
    '-days',
    '2',
    '-extfile',
    f('client.ext'),
  );
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('stranger.key'),
    '-out',
    f('stranger.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  );
  return {
    dir,
    caCert: f('ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    clientCert: f('client.crt'),
    clientKey: f('client.key'),
    strangerCert: f('stranger.crt'),
    strangerKey: f('stranger.key'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const read = (path: string) => readFileSync(path);

/**
 * An HTTP proxy: CONNECT tunnels and absolute-URI forwarding. It resolves names itself (mcp.test is
 * this machine), as a corporate proxy would, and records every target it was asked for.
 */
export async function startProxy(): Promise<{ url: string; targets: string[]; close(): Promise<void> }> {
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const resolveHost = (host: string) => (host === 'mcp.test' ? '127.0.0.1' : host);
  const server: Server = createServer((req, res) => {
    const target = new URL(req.url ?? '/');
    targets.push(`${req.method} ${target.host}`);
    const upstream = httpRequest(
      {
        host: resolveHost(target.hostname),
        port: target.port || 80,
        path: target.pathname + target.search,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req, client: Socket, head) => {
    targets.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), resolveHost(host!), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream).add(client);
    const end = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', end);
    client.on('error', end);
  });
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    targets,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
