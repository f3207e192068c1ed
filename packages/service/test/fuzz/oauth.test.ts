// Fuzzing the OAuth endpoints of the connector URLs as any OAuth client could: metadata, authorization,
// the consent decision, tokens, revocation and registration. Never a 5xx or a hang, and the service still
// answers afterwards. Client ids are never https URLs here: those would be fetched from the internet.
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { createRuntime, type Runtime } from '../../../../test/support/management-api.ts';
import { startTestService, type TestService } from '../support/service.ts';
import {
  anyValue,
  assertStillAnswering,
  bodyText,
  contentType,
  FUZZ_SERVICE,
  fuzzParameters,
  headerValue,
  pathSegment,
  probe,
} from './support.ts';

let t: TestService;
let runtime: Runtime;

before(async () => {
  t = await startTestService(FUZZ_SERVICE);
  runtime = await createRuntime(t);
});
after(() => t?.stop());

const PARAMETERS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'code_challenge',
  'code_challenge_method',
  'state',
  'scope',
  'resource',
  'grant_type',
  'code',
  'code_verifier',
  'refresh_token',
  'token',
  'token_type_hint',
  'client_secret',
];

const parameterValue = fc.oneof(
  headerValue,
  fc.constantFrom('code', 'S256', 'plain', 'authorization_code', 'refresh_token', 'http://127.0.0.1:1/cb'),
  fc.constant('<resource>'),
);

const parameters = fc.array(fc.tuple(fc.constantFrom(...PARAMETERS), parameterValue), { maxLength: 8 });

const encode = (pairs: [string, string][]) =>
  new URLSearchParams(
    pairs.map(([name, value]): [string, string] => [
      name,
      value.replace('<resource>', `${t.url}/v1/mcp/${runtime.tunnelId}`),
    ]),
  ).toString();

const registration = bodyText({
  redirect_uris: fc.oneof(
    fc.array(fc.oneof(headerValue, fc.constant('http://127.0.0.1:1/cb')), { maxLength: 3 }),
    anyValue,
  ),
  client_name: anyValue,
  token_endpoint_auth_method: fc.oneof(
    fc.constantFrom('none', 'client_secret_post', 'client_secret_basic'),
    anyValue,
  ),
  grant_types: anyValue,
  response_types: anyValue,
  scope: anyValue,
});

test('the OAuth endpoints answer any request without a 5xx or a hang', { timeout: 600_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        target: fc.constantFrom('authorize', 'decision', 'token', 'revoke', 'register', 'metadata'),
        parameters,
        suffix: pathSegment,
        method: fc.option(fc.constantFrom('GET', 'POST', 'DELETE'), { nil: undefined }),
        contentType,
        registration,
        key: fc.boolean(),
        basic: fc.option(headerValue, { nil: undefined }),
      }),
      async (r) => {
        const headers: Record<string, string> = {};
        if (r.key) headers.authorization = `Bearer ${t.ownerKey}`;
        if (r.basic !== undefined) headers.authorization = `Basic ${r.basic}`;
        const form = { 'content-type': r.contentType ?? 'application/x-www-form-urlencoded' };
        const query = encode(r.parameters);
        switch (r.target) {
          case 'authorize':
            await probe(t.url, { method: r.method ?? 'GET', path: `/oauth/authorize?${query}`, headers });
            break;
          case 'decision':
            await probe(t.url, {
              method: r.method ?? 'POST',
              path: `/v1/oauth/authorization?${query}`,
              headers: { ...headers, 'content-type': r.contentType ?? 'application/json' },
              body: r.registration,
            });
            break;
          case 'token':
          case 'revoke':
            await probe(t.url, {
              method: r.method ?? 'POST',
              path: `/v1/oauth/${r.target}`,
              headers: { ...headers, ...form },
              body: query,
            });
            break;
          case 'register':
            await probe(t.url, {
              method: r.method ?? 'POST',
              path: '/v1/oauth/register',
              headers: { ...headers, 'content-type': r.contentType ?? 'application/json' },
              body: r.registration,
            });
            break;
          case 'metadata':
            for (const path of [
              `/.well-known/oauth-authorization-server/${r.suffix}`,
              `/.well-known/oauth-protected-resource/v1/mcp/${runtime.tunnelId}/${r.suffix}`,
              `/.well-known/oauth-protected-resource/v1/mcp/${r.suffix}`,
            ])
              await probe(t.url, { method: r.method ?? 'GET', path, headers });
        }
      },
    ),
    fuzzParameters(60),
  );
  await assertStillAnswering(t.url, t.ownerKey);
});
