// Outbound connections for real: a TLS MCP server with a certificate from a CA made in the test (trusted
// through ca_bundle), a client certificate it requires, HTTP proxies (explicit and HTTPS_PROXY), a
// service behind a path prefix with extra headers and a channel allowlist, and connection_max_ttl.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { CONTRACT_MISSING_NOTICE } from '../../../../test/support/contract.ts';
import { defineConfig, startTunnelClient } from '../../src/index.ts';
import { TUNNEL_ID } from '../support/fake-service.ts';
import { memoryLogger } from '../support/memory-logger.ts';
import { API_KEY, contract, startFake } from '../support/fake-service.ts';
import { call, slowServer } from '../support/mcp-servers.ts';
import { makeCertificates, read, type Certificates } from '../support/certificates.ts';
import { startProxy } from '../support/proxy.ts';

if (!contract) console.log(CONTRACT_MISSING_NOTICE);

describe('outbound TLS, mTLS, proxies and connection age', { skip: !contract, timeout: 90_000 }, () => {
  let certs: Certificates;
  let tlsServer: Server;
  let plainServer: Server;
  let tlsPort = 0;
  let plainPort = 0;
  const peers: (string | undefined)[] = [];
  const sockets = new Set<Socket>();

  before(async () => {
    certs = makeCertificates();
    const answer = async (
      req: import('node:http').IncomingMessage,
      res: import('node:http').ServerResponse,
    ) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const id = (JSON.parse(body || '{}') as { id?: unknown }).id ?? null;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id, result: { socket: `${req.socket.remotePort}` } }));
    };
    tlsServer = createHttpsServer(
      {
        cert: read(certs.serverCert),
        key: read(certs.serverKey),
        ca: read(certs.caCert),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        peers.push((req.socket as TLSSocket).getPeerCertificate().subject?.CN as string | undefined);
        void answer(req, res);
      },
    );
    plainServer = createHttpServer((req, res) => void answer(req, res));
    for (const server of [tlsServer, plainServer]) server.on('connection', (s: Socket) => sockets.add(s));
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => plainServer.listen(0, '127.0.0.1', resolve));
    tlsPort = (tlsServer.address() as AddressInfo).port;
    plainPort = (plainServer.address() as AddressInfo).port;
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => tlsServer.close(resolve));
    await new Promise((resolve) => plainServer.close(resolve));
    certs.cleanup();
  });

  test('mTLS through an explicit proxy with the CA bundle; the control plane through the global proxy behind a path prefix', async () => {
    const proxy = await startProxy();
    const fake = await startFake({ pathPrefix: '/gateway' });
    const logs = memoryLogger();
    const client = await startTunnelClient(
      defineConfig(
        {
          ca_bundle: certs.caCert,
          http_proxy: proxy.url,
          control_plane: {
            base_url: fake.url,
            url_path: '/gateway',
            tunnel_id: TUNNEL_ID,
            api_key: API_KEY,
            poll_channels: ['secure', 'main'],
            extra_headers: { 'X-Gateway-Key': 'env:GATEWAY_KEY' },
          },
          health: { listen_addr: '127.0.0.1:0' },
          mcp: {
            server_urls: [
              {
                channel: 'secure',
                url: `https://mcp.test:${tlsPort}/mcp`,
                client_cert: certs.clientCert,
                client_key: certs.clientKey,
              },
            ],
          },
        },
        { GATEWAY_KEY: 'gw-123' },
      ),
      { servers: { main: slowServer().server }, logger: logs.log },
    );
    try {
      await client.started;
      const id = fake.enqueue({ channel: 'secure', response_timeout: '10s', jsonrpc: call(1, 'x') });
      const answer = await fake.terminal(id);
      assert.ok(answer.payload.resp_json?.result, JSON.stringify(answer.payload));
      assert.ok(peers.includes('tunnel-client'), 'the server saw the client certificate');
      assert.ok(
        proxy.targets.includes(`CONNECT mcp.test:${tlsPort}`),
        'MCP traffic tunnelled through the proxy by name',
      );
      assert.ok(
        proxy.targets.some((t) => t === `GET ${new URL(fake.url).host}`),
        'the control plane went through the proxy',
      );
      const polls = fake.requests.filter((r) => r.path.endsWith('/poll'));
      assert.ok(polls.length > 0);
      for (const poll of polls) {
        assert.deepEqual(poll.query.getAll('channel'), ['main', 'secure'], 'sorted repeated channel params');
        assert.equal(poll.headers['x-gateway-key'], 'gw-123');
      }
      assert.deepEqual(fake.violations, []);
    } finally {
      await client.stop();
      await fake.stop();
      await proxy.close();
    }
  });

  test('HTTPS_PROXY from the environment; without the CA bundle the same server is a TLS failure', async () => {
    const proxy = await startProxy();
    const fake = await startFake();
    const client = await startTunnelClient(
      defineConfig(
        {
          control_plane: { base_url: fake.url, tunnel_id: TUNNEL_ID, api_key: API_KEY },
          health: { listen_addr: '127.0.0.1:0' },
          mcp: {
            client_cert: certs.clientCert,
            client_key: certs.clientKey,
            server_urls: [{ channel: 'main', url: `https://mcp.test:${tlsPort}/mcp` }],
          },
        },
        { HTTPS_PROXY: proxy.url },
      ),
      { logger: memoryLogger().log },
    );
    try {
      await client.started;
      const id = fake.enqueue({ response_timeout: '10s', jsonrpc: call(2, 'x') });
      const error = (await fake.terminal(id)).payload.resp_json?.error as {
        data: { tunnel_failure: { source: string } };
      };
      assert.equal(error.data.tunnel_failure.source, 'tls');
      assert.ok(proxy.targets.includes(`CONNECT mcp.test:${tlsPort}`), 'HTTPS_PROXY was used');
      assert.ok(
        !proxy.targets.some((t) => t.includes(new URL(fake.url).host)),
        'loopback is reached directly',
      );
      assert.deepEqual(fake.violations, []);
    } finally {
      await client.stop();
      await fake.stop();
      await proxy.close();
    }
  });

  test('HTTP_PROXY alone carries http traffic and never https, as in Go', async () => {
    const proxy = await startProxy();
    const fake = await startFake();
    const client = await startTunnelClient(
      defineConfig(
        {
          control_plane: { base_url: fake.url, tunnel_id: TUNNEL_ID, api_key: API_KEY },
          health: { listen_addr: '127.0.0.1:0' },
          mcp: {
            server_urls: [
              // Only the proxy can resolve mcp.test: an answer proves the proxy was used, and a DNS
              // failure proves the connection went direct.
              { channel: 'main', url: `http://mcp.test:${plainPort}/mcp` },
              { channel: 'secure', url: `https://mcp.test:${tlsPort}/mcp` },
            ],
          },
        },
        { HTTP_PROXY: proxy.url },
      ),
      { logger: memoryLogger().log },
    );
    try {
      await client.started;
      const plain = fake.enqueue({ response_timeout: '10s', jsonrpc: call(1, 'x') });
      assert.ok((await fake.terminal(plain)).payload.resp_json?.result, 'http went through HTTP_PROXY');
      const secure = fake.enqueue({ channel: 'secure', response_timeout: '10s', jsonrpc: call(2, 'x') });
      const error = (await fake.terminal(secure)).payload.resp_json?.error as {
        data: { tunnel_failure: { source: string } };
      };
      assert.equal(error.data.tunnel_failure.source, 'dns', 'https went direct');
      assert.ok(proxy.targets.includes(`POST mcp.test:${plainPort}`), proxy.targets.join(', '));
      assert.ok(!proxy.targets.some((t) => t.startsWith('CONNECT')), 'no CONNECT through HTTP_PROXY');
      assert.deepEqual(fake.violations, []);
    } finally {
      await client.stop();
      await fake.stop();
      await proxy.close();
    }
  });

  test('connection_max_ttl: an upstream connection is not reused once it is that old', async () => {
    const fake = await startFake();
    const client = await startTunnelClient(
      defineConfig({
        control_plane: { base_url: fake.url, tunnel_id: TUNNEL_ID, api_key: API_KEY },
        health: { listen_addr: '127.0.0.1:0' },
        mcp: {
          server_urls: [{ channel: 'main', url: `http://127.0.0.1:${plainPort}/mcp` }],
          // Long enough that two calls in a row surely share the connection on a loaded machine.
          connection_max_ttl: '2s',
        },
      }),
      { logger: memoryLogger().log },
    );
    try {
      await client.started;
      const socketOf = async (n: number) => {
        const id = fake.enqueue({ response_timeout: '10s', jsonrpc: call(n, 'x') });
        return ((await fake.terminal(id)).payload.resp_json?.result as { socket: string }).socket;
      };
      const first = await socketOf(1);
      assert.equal(await socketOf(2), first, 'reused while young');
      await new Promise((resolve) => setTimeout(resolve, 2100));
      assert.notEqual(await socketOf(3), first, 'a new connection once the old one aged out');
      assert.deepEqual(fake.violations, []);
    } finally {
      await client.stop();
      await fake.stop();
    }
  });
});
