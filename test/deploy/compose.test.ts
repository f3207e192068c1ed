// deploy/compose/compose.yaml read as compose does: our images built from deploy/docker, read-only with
// a tmpfs at /tmp, only loopback ports published, and every setting one the programs know.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { SETTINGS } from '@mcp-tunnel/client';
import { knownServiceEnvironment } from './support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const compose = parse(readFileSync(join(ROOT, 'deploy/compose/compose.yaml'), 'utf8')) as any;

test('compose runs the service, the calculator and the client', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), ['calculator', 'tunnel-client', 'tunnel-service']);
  assert.ok(
    existsSync(join(ROOT, compose.services.calculator.command[1])),
    'the calculator entry point exists',
  );
  // The service image's HEALTHCHECK gates the client's start.
  assert.equal(compose.services['tunnel-client'].depends_on['tunnel-service'].condition, 'service_healthy');
});

for (const program of ['tunnel-client', 'tunnel-service']) {
  test(`compose builds and runs ${program} read-only from its Dockerfile`, () => {
    const service = compose.services[program];
    assert.ok(existsSync(join(ROOT, 'deploy/compose', service.build.context, service.build.dockerfile)));
    assert.equal(service.build.dockerfile, `deploy/docker/${program}.Dockerfile`);
    assert.equal(service.read_only, true);
    assert.deepEqual(service.tmpfs, ['/tmp']);
    for (const port of service.ports) assert.match(port, /^127\.0\.0\.1:/);
    const known =
      program === 'tunnel-client'
        ? new Set(['CONTROL_PLANE_API_KEY', ...SETTINGS.map((s) => s.env)])
        : knownServiceEnvironment();
    for (const name of Object.keys(service.environment ?? {}))
      assert.ok(known.has(name), `${program}: ${name}`);
  });
}
