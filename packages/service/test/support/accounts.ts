// Browser-style calls for tests: a signed-in cookie and its CSRF token, sent as the console sends them.
import type { Loose } from '../../../../test/support/scripted-tunnel-client.ts';
import type { Answer, TestService } from './service.ts';

export interface BrowserSession {
  cookie: string;
  csrf: string;
  body: Loose;
}

export const OWNER_EMAIL = 'owner@example.com';
export const OWNER_PASSWORD = 'correct horse battery staple';

/** One request with the cookie; the CSRF header is sent unless `csrf` is false (or another value is given). */
export async function sessionCall(
  t: TestService,
  session: BrowserSession | undefined,
  method: string,
  path: string,
  body?: unknown,
  options: { csrf?: string | false; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const csrf = options.csrf === undefined ? session?.csrf : options.csrf;
  const response = await fetch(new URL(path, t.url), {
    method,
    headers: {
      ...(session ? { cookie: session.cookie } : {}),
      ...(csrf ? { 'x-csrf-token': csrf } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** The session a sign-in style answer opened: its Set-Cookie and csrf_token. */
export function sessionFrom(answer: Answer): BrowserSession {
  const setCookie = answer.headers.get('set-cookie');
  if (answer.status !== 200 || !setCookie)
    throw new Error(`expected a signed-in answer, got ${answer.status}: ${JSON.stringify(answer.body)}`);
  return { cookie: setCookie.split(';')[0]!, csrf: answer.body.csrf_token, body: answer.body };
}

/** First-run setup with the owner key: the owner can sign in from now on. */
export async function setUpOwner(t: TestService): Promise<BrowserSession> {
  return sessionFrom(
    await sessionCall(
      t,
      undefined,
      'POST',
      '/v1/auth/setup',
      { email: OWNER_EMAIL, name: 'Ada Owner', password: OWNER_PASSWORD },
      { headers: { authorization: `Bearer ${t.ownerKey}` } },
    ),
  );
}

export async function signIn(t: TestService, email: string, password: string): Promise<Answer> {
  return sessionCall(t, undefined, 'POST', '/v1/auth/sign_in', { email, password });
}
