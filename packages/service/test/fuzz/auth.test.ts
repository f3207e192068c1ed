// Fuzzing sign-in and the other routes anyone may call without a key (setup, sign-in, accepting an
// invitation, sign-out, the session): never a 5xx or a hang, and the service still answers afterwards.
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { startTestService, type TestService } from '../support/service.ts';
import {
  anyValue,
  assertStillAnswering,
  bodyText,
  contentType,
  FUZZ_SERVICE,
  fuzzParameters,
  headerValue,
  probe,
} from './support.ts';

let t: TestService;

before(async () => {
  t = await startTestService(FUZZ_SERVICE);
});
after(() => t?.stop());

const ROUTES: [string, string][] = [
  ['POST', '/v1/auth/sign_in'],
  ['POST', '/v1/auth/setup'],
  ['POST', '/v1/auth/accept_invitation'],
  ['POST', '/v1/auth/sign_out'],
  ['GET', '/v1/auth/session'],
  ['GET', '/v1/auth/state'],
];

const fields = {
  email: fc.oneof(fc.emailAddress(), anyValue),
  // Short passwords mostly: a well-formed sign-in hashes its password, which is slow on purpose.
  password: fc.oneof(fc.string({ maxLength: 12 }), anyValue),
  name: anyValue,
  token: fc.oneof(fc.stringMatching(/^mcpti_[A-Za-z0-9_-]{0,43}$/), anyValue),
  owner_key: fc.oneof(fc.stringMatching(/^mcpt_[A-Za-z0-9_-]{0,43}$/), anyValue),
};

test(
  'sign-in and the open auth routes answer any request without a 5xx or a hang',
  { timeout: 600_000 },
  async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          route: fc.constantFrom(...ROUTES),
          method: fc.option(fc.constantFrom('GET', 'POST', 'DELETE'), { nil: undefined }),
          contentType,
          cookie: fc.option(
            fc.oneof(
              headerValue,
              headerValue.map((value) => `mcpt_session=${encodeURIComponent(value)}`),
            ),
            { nil: undefined },
          ),
          csrf: fc.option(headerValue, { nil: undefined }),
          origin: fc.option(fc.oneof(fc.constant(t.url), headerValue), { nil: undefined }),
          authorization: fc.option(headerValue, { nil: undefined }),
          body: bodyText(fields),
        }),
        async (r) => {
          const headers: Record<string, string> = {};
          if (r.contentType) headers['content-type'] = r.contentType;
          if (r.cookie !== undefined) headers.cookie = r.cookie;
          if (r.csrf !== undefined) headers['x-csrf-token'] = r.csrf;
          if (r.origin !== undefined) headers.origin = r.origin;
          if (r.authorization !== undefined) headers.authorization = r.authorization;
          const [method, path] = r.route;
          await probe(t.url, { method: r.method ?? method, path, headers, body: r.body });
        },
      ),
      fuzzParameters(25),
    );
    await assertStillAnswering(t.url, t.ownerKey);
  },
);
