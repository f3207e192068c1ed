import { test } from 'node:test';
import assert from 'node:assert/strict';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ConfigError, serveOverTunnel } from '../src/index.ts';
import { TUNNEL_ID } from './support/fake-service.ts';

const options = { tunnelId: TUNNEL_ID, apiKey: 'sk-test', baseUrl: 'http://127.0.0.1:9' };

test('serveOverTunnel refuses bad settings before anything starts, naming the setting', async () => {
  const server = new McpServer({ name: 'embedding-test', version: '1.0.0' });
  await assert.rejects(
    serveOverTunnel(server, { ...options, settings: { health: 'loopback' } }),
    (error) => error instanceof ConfigError && /settings\.health must be an object/.test(error.message),
  );
  await assert.rejects(
    serveOverTunnel(server, { ...options, settings: { log: { colour: 'red' } } }),
    (error) => error instanceof ConfigError && /log\.colour/.test(error.message),
  );
  await assert.rejects(
    serveOverTunnel(server, { ...options, tunnelId: 'calculator' }),
    (error) => error instanceof ConfigError && /tunnel id "calculator" is malformed/.test(error.message),
  );
});

test('serveOverTunnel connects the server in process, on a free loopback ops port, and closes twice safely', async () => {
  const server = new McpServer({ name: 'embedding-test', version: '1.0.0' });
  const serving = await serveOverTunnel(server, { ...options, settings: { log: { level: 'silent' } } });
  try {
    assert.match(serving.opsUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(serving.opsUrl).port, '8080');
    const health = await fetch(new URL('/healthz', serving.opsUrl));
    assert.equal(health.status, 200);
    assert.equal(serving.status.tunnelId, TUNNEL_ID);
    const main = serving.status.channels().find((channel) => channel.name === 'main');
    assert.equal(main?.kind, 'memory');
  } finally {
    await serving.close();
    await serving.close();
  }
  assert.equal(server.isConnected(), false);
});
