// Runs the real tunnel-service in this process on a loopback port with a fresh data directory, and talks
// to it as its users do: the management API with fetch (a scripted tunnel-client that speaks the public
// tunnel API is in test/support/scripted-tunnel-client.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, type Runtime } from '../../../../test/support/management-api.ts';
import type { Loose } from '../../../../test/support/scripted-tunnel-client.ts';
import { startService, type RunningService, type ServiceOptions } from '../../src/index.ts';

export interface TestService {
  service: RunningService;
  url: string;
  ownerKey: string;
  dataDir: string;
  /** One JSON call; returns status and parsed body (undefined when empty). */
  call: (method: string, path: string, key: string | undefined, body?: unknown) => Promise<Answer>;
  /** Like call, but fails the test unless the answer is 2xx. */
  ok: <T = Record<string, unknown>>(method: string, path: string, key: string, body?: unknown) => Promise<T>;
  stop: () => Promise<void>;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Loose;
}

export async function startTestService(options: Partial<ServiceOptions> = {}): Promise<TestService> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tunnel-service-test-'));
  const service = await startService({ port: 0, logLevel: 'silent', ...options, dataDir });
  const call = async (
    method: string,
    path: string,
    key: string | undefined,
    body?: unknown,
  ): Promise<Answer> => {
    const response = await fetch(new URL(path, service.url), {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };
  return {
    service,
    url: service.url,
    ownerKey: service.ownerKey ?? '',
    dataDir,
    call,
    async ok(method, path, key, body) {
      const answer = await call(method, path, key, body);
      if (answer.status < 200 || answer.status > 299)
        throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return answer.body;
    },
    async stop() {
      await service.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A service with one tunnel and the walkthrough's runtime key for it, as the tunnel and connector tests need. */
export async function startServiceWithTunnel(
  options: Partial<ServiceOptions> = {},
): Promise<{ t: TestService; runtime: Runtime }> {
  const t = await startTestService(options);
  try {
    return { t, runtime: await createRuntime(t) };
  } catch (error) {
    await t.stop();
    throw error;
  }
}
