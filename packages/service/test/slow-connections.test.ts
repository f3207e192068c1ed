// A flood of slow connections (headers or bodies trickling in, idle keep-alive) from one address is bounded:
// past --max-connections-per-address they are refused at once, the rest are disconnected at their time
// limits, and other callers are answered meanwhile.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startTestService, type TestService } from './support/service.ts';

const FLOOD = 120;
const MAX_PER_ADDRESS = 40;
/** Another loopback address than the other callers' 127.0.0.1, as a second machine would be. */
const FLOOD_ADDRESS = '127.0.0.2';

interface Probe {
  socket: Socket;
  /** What the service wrote before it closed the connection. */
  answer: Promise<string>;
}

/** Every connection opened, so that a failing test does not leave the service waiting on them to close. */
const opened: Socket[] = [];

function open(port: number, localAddress: string, firstBytes: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    opened.push(socket);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    const answer = new Promise<string>((done) => socket.once('close', () => done(received)));
    socket.once('error', () => {});
    socket.once('connect', () => {
      socket.write(firstBytes);
      resolve({ socket, answer });
    });
    socket.once('error', reject);
  });
}

const SLOW_HEADERS = 'POST /v1/auth/sign_in HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: app';
const SLOW_BODY =
  'POST /v1/auth/accept_invitation HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"token":"';

/** Rejects if `promise` takes longer than `ms`: what the test waits for must happen, not merely eventually. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]);
}

describe('slow connections', { timeout: 60_000 }, () => {
  let t: TestService;
  let port: number;

  before(async () => {
    t = await startTestService({
      headersTimeoutMs: 1000,
      bodyTimeoutMs: 2000,
      keepAliveTimeoutMs: 1000,
      maxConnectionsPerAddress: MAX_PER_ADDRESS,
    });
    port = t.service.port;
  });
  after(async () => {
    for (const socket of opened) socket.destroy();
    await t?.stop();
  });

  test('a flood from one address is bounded and cut off, and other callers are answered within a second', async () => {
    const flood: Probe[] = [];
    for (let i = 0; i < FLOOD; i++)
      flood.push(await open(port, FLOOD_ADDRESS, i % 2 === 0 ? SLOW_HEADERS : SLOW_BODY));

    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const health = await fetch(new URL('/healthz', t.url));
      assert.equal(health.status, 200);
      const tunnels = await t.call('GET', '/v1/tunnels', t.ownerKey);
      assert.equal(tunnels.status, 200);
      const took = performance.now() - started;
      assert.ok(took < 1000, `other callers waited ${Math.round(took)} ms`);
    }
    // Sign-in is slow on purpose (password hashing): answered, not timed.
    const signIn = await t.call('POST', '/v1/auth/sign_in', undefined, { email: 'a@b.c', password: 'x' });
    assert.equal(signIn.status, 401);

    const answers = await within(
      Promise.all(flood.map((probe) => probe.answer)),
      20_000,
      'disconnecting every slow connection',
    );
    const refused = answers.filter((answer) => answer.startsWith('HTTP/1.1 429'));
    const timedOut = answers.filter((answer) => answer.startsWith('HTTP/1.1 408'));
    assert.ok(refused.length >= FLOOD - MAX_PER_ADDRESS, `${refused.length} refused`);
    assert.match(refused[0]!, /too_many_connections.*--max-connections-per-address/);
    assert.equal(refused.length + timedOut.length, FLOOD, 'every slow connection is refused or cut off');
  });

  test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const probe = await open(
      port,
      '127.0.0.1',
      'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n',
    );
    const answer = await within(probe.answer, 10_000, 'closing an idle keep-alive connection');
    assert.match(answer, /^HTTP\/1.1 200/);
  });
});
