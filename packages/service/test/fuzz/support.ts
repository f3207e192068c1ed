// What every endpoint family's fuzzing test shares: how many cases it runs (a few in `npm test`, many in
// `npm run fuzz`), one request that must be answered in time, and the property every answer holds.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { createRuntime, type Runtime } from '../../../../test/support/management-api.ts';
import { startTestService, type TestService } from '../support/service.ts';

/**
 * Cases per property: a few in `npm test`; `npm run fuzz` sets FUZZ_RUNS and FUZZ_TIME_LIMIT_MS, and a
 * property stops at the time limit with the cases it ran by then. FUZZ_SEED replays a failing run.
 */
export function fuzzParameters(defaultRuns: number): fc.Parameters<unknown> {
  const runs = Number(process.env.FUZZ_RUNS ?? defaultRuns);
  const timeLimit = process.env.FUZZ_TIME_LIMIT_MS ? Number(process.env.FUZZ_TIME_LIMIT_MS) : undefined;
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
  return {
    numRuns: runs,
    ...(timeLimit ? { interruptAfterTimeLimit: timeLimit, markInterruptAsFailure: false } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
}

/**
 * The service under fuzzing: a short keep-alive, because closing the service waits for a connection the
 * fuzzing leaves behind until its keep-alive timeout; short poll waits, so a fuzzed poll returns quickly.
 */
export const FUZZ_SERVICE = { keepAliveTimeoutMs: 1000, maxPollWaitMs: 300 };

/**
 * A service under fuzzing with a tunnel and its runtime key, started before the calling file's tests and
 * stopped after them. The tunnel's short deadline ends a command nobody answers in a 504 quickly.
 */
export function fuzzedTunnel(): { service: TestService; runtime: Runtime } {
  const fixture = {} as { service: TestService; runtime: Runtime };
  before(async () => {
    fixture.service = await startTestService(FUZZ_SERVICE);
    fixture.runtime = await createRuntime(fixture.service, { responseTimeout: '1s' });
  });
  after(() => fixture.service?.stop());
  return fixture;
}

/** A request the service has not answered within this long hangs: it fails the property. */
const NO_HANG_MS = 15_000;

export interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface Received {
  status: number;
  text: string;
}

/**
 * Sends one request on a connection of its own, closed after the answer, and reads the whole answer; fails
 * if that takes longer than NO_HANG_MS. Fresh connections keep one request's leftovers from the next.
 */
export function send(base: string, sent: Sent): Promise<Received> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(new URL(sent.path, base), {
      method: sent.method,
      headers: { ...sent.headers, connection: 'close' },
      agent: false,
      signal: AbortSignal.timeout(NO_HANG_MS),
    });
    request.on('error', (error) =>
      reject(new Error(`${sent.method} ${sent.path} got no answer: ${error.message}`, { cause: error })),
    );
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', reject);
    });
    request.end(sent.body);
  });
}

/** The service answers bad input with 4xx; only the documented 503 (offline, closing) and 504 (deadline) are 5xx. */
export function assertNoServerError(sent: Sent, received: Received): void {
  assert.ok(
    received.status < 500 || received.status === 503 || received.status === 504,
    `${sent.method} ${sent.path} answered ${received.status}: ${received.text.slice(0, 300)}`,
  );
}

/** Sends, checks the answer, and returns it. */
export async function probe(base: string, request: Sent): Promise<Received> {
  const received = await send(base, request);
  assertNoServerError(request, received);
  return received;
}

/** After the fuzzing the service still answers: health, and an authenticated read. */
export async function assertStillAnswering(base: string, key: string): Promise<void> {
  assert.equal((await send(base, { method: 'GET', path: '/healthz' })).status, 200);
  const me = await send(base, { method: 'GET', path: '/v1/me', headers: { authorization: `Bearer ${key}` } });
  assert.equal(me.status, 200, me.text);
}

/** A header value fetch will send: printable ASCII. */
export const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);

/** A path segment: well-formed ids, near misses and anything at all (encoded). */
export const pathSegment = fc.oneof(
  fc.stringMatching(/^[a-z]+_[0-9a-f]{32}$/),
  fc.stringMatching(/^[A-Za-z0-9_.~-]{1,40}$/),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.constantFrom('..', '%2e%2e', '%00', '%2F', 'main'),
);

/** A request body: JSON of any shape, JSON objects with the fields a route reads, or not JSON at all. */
export function bodyText(fields: Record<string, fc.Arbitrary<unknown>> = {}): fc.Arbitrary<string> {
  return fc.oneof(
    fc.json({ maxDepth: 4 }),
    fc.record(fields, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
    fc
      .tuple(
        fc.record(fields, { requiredKeys: [] }),
        fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })),
      )
      .map(([known, extra]) => JSON.stringify({ ...extra, ...known })),
    fc.string({ maxLength: 200 }),
    fc.integer({ min: 1, max: 3000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  );
}

/** Any JSON value, or one of the kinds a field often mistakes. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 60 }),
  fc.constantFrom(null, '', 0, -1, 1e300, true, [], {}),
);

export const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/merge-patch+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  undefined,
);
