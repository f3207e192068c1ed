// Runs the real tunnel-service in this process on a loopback port with a fresh data directory, and talks
// to it as its users do: the management API with fetch, and a scripted tunnel-client that speaks the
// public tunnel API (poll, then post responses).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../../../test/support/eventually.ts';
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

/** Answers are read field by field in assertions; a loose type keeps them short. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

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

export interface Runtime {
  tunnelId: string;
  runtimeKey: string;
}

/** A tunnel and a service account holding a role with Tunnels Read + Use, as the walkthrough sets up. */
export async function createRuntime(t: TestService, responseTimeout?: string): Promise<Runtime> {
  const role = await t.ok<{ id: string }>('POST', '/v1/roles', t.ownerKey, {
    name: `runtime ${Math.random()}`,
    permissions: ['tunnel.read', 'tunnel.use'],
  });
  const account = await t.ok<{ api_key: { secret: string } }>('POST', '/v1/service_accounts', t.ownerKey, {
    name: 'tunnel-client',
    role_ids: [role.id],
  });
  const tunnel = await t.ok<{ id: string }>('POST', '/v1/tunnels', t.ownerKey, {
    name: 'test tunnel',
    ...(responseTimeout ? { response_timeout: responseTimeout } : {}),
  });
  return { tunnelId: tunnel.id, runtimeKey: account.api_key.secret };
}

export interface WireCommand {
  request_id: string;
  shard_token: string;
  command_type: string;
  channel: string;
  created_at: string;
  response_timeout: string;
  headers: Record<string, string[]>;
  jsonrpc?: Record<string, unknown>;
}

export const CLIENT_HEADERS = {
  'x-tunnel-client-name': 'scripted-client',
  'x-tunnel-client-version': '0.0.1',
  'x-tunnel-client-instance-id': 'instance-1',
  'x-tunnel-mcp-server-info': '{"version":1,"channels":[{"name":"main","proc_affinity":true}]}',
};

export async function poll(
  url: string,
  runtime: Runtime,
  query = 'timeout_ms=5000',
  signal?: AbortSignal,
): Promise<{ status: number; body: Loose }> {
  const response = await fetch(new URL(`/v1/tunnels/${runtime.tunnelId}/poll?${query}`, url), {
    headers: { authorization: `Bearer ${runtime.runtimeKey}`, ...CLIENT_HEADERS },
    signal,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Resolves once the service counts `runtime`'s tunnel online, i.e. a poll just opened has reached it.
 * A connector call made before that is refused with 503 (offline), and on a loaded machine no fixed
 * pause after opening the poll is sure to be long enough.
 */
export async function waitOnline(t: TestService, runtime: Runtime, timeoutMs = 10_000): Promise<void> {
  await eventually(
    async () => (await t.call('GET', `/v1/tunnels/${runtime.tunnelId}`, t.ownerKey)).body?.online === true,
    timeoutMs,
    `tunnel ${runtime.tunnelId} to be online`,
  );
}

export async function respond(
  url: string,
  runtime: Runtime,
  command: Pick<WireCommand, 'request_id' | 'shard_token'>,
  payload: Record<string, unknown>,
): Promise<{ status: number; body: Loose }> {
  const response = await fetch(new URL(`/v1/tunnels/${runtime.tunnelId}/response`, url), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${runtime.runtimeKey}`,
      'content-type': 'application/json',
      'x-tunnel-shard-token': command.shard_token,
      ...CLIENT_HEADERS,
    },
    body: JSON.stringify({ request_id: command.request_id, channel: 'main', ...payload }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

export type CommandHandler = (command: WireCommand) => Promise<Record<string, unknown>[]>;

/**
 * A scripted tunnel-client: polls until stopped and, for each command, posts the payloads `handler` gives,
 * in order. Every command it saw is kept for assertions.
 */
export function startScriptedClient(url: string, runtime: Runtime, handler: CommandHandler) {
  const stop = new AbortController();
  const seen: WireCommand[] = [];
  const loop = (async () => {
    while (!stop.signal.aborted) {
      let answer;
      try {
        answer = await poll(url, runtime, 'limit=5&timeout_ms=2000', stop.signal);
      } catch {
        return;
      }
      if (answer.status !== 200) continue;
      for (const command of answer.body.commands as WireCommand[]) {
        seen.push(command);
        void (async () => {
          for (const payload of await handler(command)) await respond(url, runtime, command, payload);
        })();
      }
    }
  })();
  return {
    seen,
    async stop() {
      stop.abort();
      await loop;
    },
  };
}

/** An echoing MCP server behind the scripted client: answers requests, acknowledges the rest. */
export const echoHandler: CommandHandler = async (command) => {
  if (command.command_type === 'session_termination')
    return [{ resp_type: 'session_termination_response', resp_code: 204 }];
  const message = command.jsonrpc!;
  if (message.id === undefined || message.method === undefined)
    return [{ resp_type: 'notify_ack', resp_code: 202 }];
  return [
    {
      resp_type: 'jsonrpc_response',
      resp_code: 200,
      resp_headers: { 'Content-Type': ['application/json'] },
      resp_json: { jsonrpc: '2.0', id: message.id, result: { echoed: message.method } },
    },
  ];
};

/** The data payloads of an SSE body, in order. */
export function sseMessages(text: string): unknown[] {
  return text
    .split(/\n\n/)
    .map((block) =>
      block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('\n'),
    )
    .filter(Boolean)
    .map((data) => JSON.parse(data));
}
