import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { createRuntime } from '../../../test/support/management-api.ts';
import type { Loose } from '../../../test/support/scripted-tunnel-client.ts';
import { startTestService, type TestService } from './support/service.ts';
import {
  OWNER_EMAIL,
  OWNER_PASSWORD,
  sessionCall,
  sessionFrom,
  setUpOwner,
  signIn,
} from './support/accounts.ts';

test(
  'first-run setup needs the owner key, then the owner signs in with a cookie',
  { timeout: 60_000 },
  async () => {
    const t = await startTestService();
    try {
      assert.deepEqual((await t.call('GET', '/v1/auth/state', undefined)).body, { setup_required: true });
      const body = { email: OWNER_EMAIL, name: 'Ada Owner', password: OWNER_PASSWORD };

      const anonymous = await t.call('POST', '/v1/auth/setup', undefined, body);
      assert.equal(anonymous.status, 401);
      const runtime = await createRuntime(t);
      const notOwner = await t.call('POST', '/v1/auth/setup', runtime.runtimeKey, body);
      assert.equal(notOwner.status, 403);
      assert.equal(notOwner.body.error.code, 'owner_key_required');
      const short = await t.call('POST', '/v1/auth/setup', t.ownerKey, { ...body, password: 'too short' });
      assert.equal(short.status, 400);
      assert.match(short.body.error.message, /at least 12 characters/);

      const answer = await t.call('POST', '/v1/auth/setup', t.ownerKey, body);
      assert.equal(answer.status, 200);
      const cookie = answer.headers.get('set-cookie')!;
      assert.match(cookie, /^mcpt_session=[\w-]{40,};/);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      assert.match(cookie, /Path=\//);
      assert.doesNotMatch(cookie, /Secure/, 'plain http on loopback gets no Secure flag');
      assert.equal(answer.body.member.email, OWNER_EMAIL);
      assert.equal(answer.body.member.name, 'Ada Owner');
      assert.equal(answer.body.permissions.length, 7);
      assert.equal(typeof answer.body.csrf_token, 'string');

      assert.deepEqual((await t.call('GET', '/v1/auth/state', undefined)).body, { setup_required: false });
      assert.equal((await t.call('POST', '/v1/auth/setup', t.ownerKey, body)).status, 409);

      const signedIn = await signIn(t, OWNER_EMAIL, OWNER_PASSWORD);
      const session = sessionFrom(signedIn);
      assert.notEqual(session.cookie, cookie.split(';')[0], 'each sign-in opens its own session');
      const current = await sessionCall(t, session, 'GET', '/v1/auth/session');
      assert.equal(current.status, 200);
      assert.equal(current.body.csrf_token, session.csrf);
      assert.equal(current.body.member.id, answer.body.member.id);
      assert.equal((await sessionCall(t, session, 'GET', '/v1/tunnels')).status, 200);
    } finally {
      await t.stop();
    }
  },
);

test(
  'cookie-authenticated changes need the CSRF token; sign-out ends the session',
  { timeout: 60_000 },
  async () => {
    const t = await startTestService();
    try {
      const session = await setUpOwner(t);
      const missing = await sessionCall(t, session, 'POST', '/v1/tunnels', { name: 'x' }, { csrf: false });
      assert.equal(missing.status, 403);
      assert.equal(missing.body.error.code, 'csrf_token_invalid');
      const wrong = await sessionCall(t, session, 'POST', '/v1/tunnels', { name: 'x' }, { csrf: 'forged' });
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.error.code, 'csrf_token_invalid');
      assert.equal((await sessionCall(t, session, 'POST', '/v1/tunnels', { name: 'x' })).status, 200);
      // A key needs no CSRF token: a browser cannot attach one to a forged request.
      assert.equal((await t.call('POST', '/v1/tunnels', t.ownerKey, { name: 'y' })).status, 200);

      assert.equal(
        (await sessionCall(t, session, 'POST', '/v1/auth/sign_out', undefined, { csrf: false })).status,
        403,
      );
      // Any Authorization header that does not authenticate the request leaves the cookie in charge,
      // and the cookie needs its CSRF token.
      for (const authorization of [
        'Bearer not-a-key',
        'Basic Zm9vOmJhcg==',
        'Bearer mcpt_forged',
        'Bearer mcpo_at_forged',
      ]) {
        const forged = await sessionCall(t, session, 'POST', '/v1/auth/sign_out', undefined, {
          csrf: false,
          headers: { authorization },
        });
        assert.equal(forged.status, 403, `sign-out with "${authorization}" and no CSRF token`);
        assert.equal(forged.body.error.code, 'csrf_token_invalid');
        assert.equal(
          (await sessionCall(t, session, 'GET', '/v1/auth/session')).status,
          200,
          'still signed in',
        );
      }
      const out = await sessionCall(t, session, 'POST', '/v1/auth/sign_out');
      assert.equal(out.status, 204);
      assert.match(out.headers.get('set-cookie')!, /mcpt_session=;/);
      const after = await sessionCall(t, session, 'GET', '/v1/auth/session');
      assert.equal(after.status, 401);
      assert.equal((await sessionCall(t, session, 'GET', '/v1/tunnels')).status, 401);
      const noCookie = await sessionCall(t, undefined, 'GET', '/v1/auth/session');
      assert.equal(noCookie.status, 401);
      assert.equal(noCookie.body.error.code, 'not_signed_in');
    } finally {
      await t.stop();
    }
  },
);

/** A sign-in sent from a chosen loopback source address, so limits per address can be told apart. */
function signInFrom(url: string, localAddress: string, email: string, password: string) {
  return new Promise<{ status: number; retryAfter: string | undefined; body: Loose }>((resolve, reject) => {
    const request = httpRequest(
      new URL('/v1/auth/sign_in', url),
      { method: 'POST', localAddress, headers: { 'content-type': 'application/json' } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            retryAfter: response.headers['retry-after'],
            body: JSON.parse(text),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify({ email, password }));
  });
}

test(
  'wrong passwords get one generic answer; failures slow down one email from one address, and lock an address guessing many emails',
  { timeout: 60_000 },
  async () => {
    const t = await startTestService();
    try {
      await setUpOwner(t);
      const unknown = await signIn(t, 'nobody@example.com', OWNER_PASSWORD);
      const wrong = await signIn(t, OWNER_EMAIL, 'wrong password here');
      assert.equal(unknown.status, 401);
      assert.equal(wrong.status, 401);
      assert.equal(unknown.body.error.code, 'invalid_credentials');
      assert.equal(unknown.body.error.message, wrong.body.error.message, 'no hint which part was wrong');

      // Failures for an email from other addresses never lock its owner out: the right password from
      // another address signs in at once.
      for (let i = 2; i <= 9; i++)
        assert.equal(
          (await signInFrom(t.url, `127.0.0.${i}`, OWNER_EMAIL, `wrong ${i} password`)).status,
          401,
        );
      assert.equal((await signInFrom(t.url, '127.0.0.10', OWNER_EMAIL, OWNER_PASSWORD)).status, 200);

      // One email from one address: after five failures each further try waits, twice as long each time.
      for (let i = 0; i < 5; i++)
        assert.equal((await signInFrom(t.url, '127.0.0.11', OWNER_EMAIL, `wrong again ${i}`)).status, 401);
      const slowed = await signInFrom(t.url, '127.0.0.11', OWNER_EMAIL, OWNER_PASSWORD);
      assert.equal(slowed.status, 429, 'even the right password waits its turn from that address');
      const retryAfter = Number(slowed.retryAfter);
      assert.ok(
        retryAfter >= 1 && retryAfter <= 2,
        `Retry-After ${retryAfter}: a short wait, not 15 minutes`,
      );
      assert.equal(slowed.body.error.code, 'too_many_attempts');
      assert.match(slowed.body.error.message, /Wait \d+ s/);
      assert.equal((await signInFrom(t.url, '127.0.0.12', OWNER_EMAIL, OWNER_PASSWORD)).status, 200);
      assert.equal(
        (await signInFrom(t.url, '127.0.0.11', 'other@example.com', 'whatever it is')).status,
        401,
      );

      // Per address: five failures for five emails from one address lock the address for any email.
      for (let i = 0; i < 5; i++)
        assert.equal(
          (await signInFrom(t.url, '127.0.0.20', `guess${i}@example.com`, 'guessing away')).status,
          401,
        );
      assert.equal((await signInFrom(t.url, '127.0.0.20', 'fresh@example.com', 'guessing away')).status, 429);
      assert.equal((await signInFrom(t.url, '127.0.0.21', 'fresh@example.com', 'guessing away')).status, 401);

      const audit = await t.call('GET', '/v1/audit?action=auth.sign_in&outcome=refused', t.ownerKey);
      const reasons = audit.body.data.map((entry: { reason: string }) => entry.reason);
      assert.ok(reasons.includes('too_many_attempts') && reasons.includes('invalid_credentials'));
      assert.ok(audit.body.data.some((entry: { ip: string }) => entry.ip === '127.0.0.20'));
    } finally {
      await t.stop();
    }
  },
);

test(
  'the session cookie is Secure behind a TLS proxy only when that proxy is trusted',
  { timeout: 60_000 },
  async () => {
    const viaProxy = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' };
    const setUp = (t: TestService) =>
      sessionCall(
        t,
        undefined,
        'POST',
        '/v1/auth/setup',
        { email: OWNER_EMAIL, name: 'Ada Owner', password: OWNER_PASSWORD },
        { headers: { authorization: `Bearer ${t.ownerKey}`, ...viaProxy } },
      );
    const untrusted = await startTestService();
    try {
      // Anyone can send X-Forwarded-Proto: without a trusted proxy it means nothing.
      const answer = await setUp(untrusted);
      assert.equal(answer.status, 200);
      assert.doesNotMatch(answer.headers.get('set-cookie')!, /Secure/);
      const signedIn = await sessionCall(
        untrusted,
        undefined,
        'POST',
        '/v1/auth/sign_in',
        { email: OWNER_EMAIL, password: OWNER_PASSWORD },
        { headers: viaProxy },
      );
      assert.doesNotMatch(signedIn.headers.get('set-cookie')!, /Secure/);
    } finally {
      await untrusted.stop();
    }
    const trusted = await startTestService({ trustedProxies: ['127.0.0.1', '::1'] });
    try {
      const answer = await setUp(trusted);
      assert.equal(answer.status, 200);
      assert.match(answer.headers.get('set-cookie')!, /; Secure/);
      const plain = await signIn(trusted, OWNER_EMAIL, OWNER_PASSWORD);
      assert.doesNotMatch(plain.headers.get('set-cookie')!, /Secure/, 'the proxy said nothing of TLS');
      // The audit log names the caller the proxy saw, not the proxy.
      const audit = await trusted.ok<{ data: { action: string; ip: string }[] }>(
        'GET',
        '/v1/audit?action=auth.setup',
        trusted.ownerKey,
      );
      assert.equal(audit.data[0]?.ip, '203.0.113.7');
    } finally {
      await trusted.stop();
    }
    await assert.rejects(
      startTestService({ trustedProxies: ['10.0.0.0/33'] }),
      /--trusted-proxy 10\.0\.0\.0\/33 is not an IP address or CIDR range/,
    );
  },
);
