// Fuzzing the management API as any key holder could: every route, any method, ids, query and body. Never a
// 5xx or a hang, and the service still answers afterwards.
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { keyWith } from '../../../../test/support/management-api.ts';
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
let readOnly: string;

before(async () => {
  t = await startTestService(FUZZ_SERVICE);
  readOnly = await keyWith(t, ['tunnel.read']);
});
after(() => t?.stop());

/** Each resource, with `:id` where a route takes one. */
const ROUTES = [
  '/v1/tunnels',
  '/v1/tunnels/:id',
  '/v1/tunnels/:id/live',
  '/v1/roles',
  '/v1/roles/:id',
  '/v1/members',
  '/v1/members/:id',
  '/v1/invitations',
  '/v1/invitations/:id',
  '/v1/service_accounts',
  '/v1/api_keys',
  '/v1/api_keys/:id',
  '/v1/connectors',
  '/v1/connectors/:id',
  '/v1/oauth/grants',
  '/v1/oauth/grants/:id',
  '/v1/audit',
  '/v1/audit/export',
  '/v1/me',
];

const fields = {
  name: anyValue,
  description: anyValue,
  email: fc.oneof(fc.emailAddress(), anyValue),
  permissions: fc.oneof(
    fc.array(fc.constantFrom('tunnel.read', 'tunnel.write', 'tunnel.use', 'x')),
    anyValue,
  ),
  role_ids: fc.oneof(fc.array(pathSegment, { maxLength: 3 }), anyValue),
  role_id: anyValue,
  organization_ids: anyValue,
  response_timeout: fc.oneof(fc.stringMatching(/^\d{1,25}(ns|us|ms|s|m|h)$/), anyValue),
  connector_access: fc.oneof(fc.constantFrom('key', 'public'), anyValue),
  tunnel_id: anyValue,
};

test('the management API answers any request without a 5xx or a hang', { timeout: 600_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        route: fc.constantFrom(...ROUTES),
        id: pathSegment,
        method: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH'),
        query: fc.dictionary(
          fc.constantFrom('limit', 'after', 'before', 'action', 'q', 'format'),
          headerValue,
          {
            maxKeys: 3,
          },
        ),
        key: fc.constantFrom('owner', 'readOnly', 'none', 'bogus'),
        contentType,
        body: bodyText(fields),
      }),
      async (r) => {
        const headers: Record<string, string> = {};
        if (r.contentType) headers['content-type'] = r.contentType;
        const key = { owner: t.ownerKey, readOnly, bogus: 'mcpt_not_a_key', none: undefined }[r.key];
        if (key) headers.authorization = `Bearer ${key}`;
        // The owner key deletes nothing it needs: only ids that are made up.
        const path = `${r.route.replace(':id', r.id)}?${new URLSearchParams(r.query).toString()}`;
        await probe(t.url, { method: r.method, path, headers, body: r.body });
      },
    ),
    fuzzParameters(60),
  );
  await assertStillAnswering(t.url, t.ownerKey);
});
