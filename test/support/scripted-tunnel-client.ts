// The tunnel API as a tunnel-client speaks it (poll, then post responses), scripted by the test instead of
// run by the real tunnel-client, so a test decides exactly which answer arrives when. Works against any
// running tunnel-service.
import { api, type Runtime, type ServiceAddress } from './management-api.ts';
import { eventually } from './eventually.ts';

/** Answers are read field by field in assertions; a loose type keeps them short. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

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

/** One poll with `runtime`'s key; `headers` add to (or replace) the client headers a tunnel-client sends. */
export async function poll(
  url: string,
  runtime: Runtime,
  query = 'timeout_ms=5000',
  options: { signal?: AbortSignal; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: Loose }> {
  const response = await fetch(new URL(`/v1/tunnels/${runtime.tunnelId}/poll?${query}`, url), {
    headers: { authorization: `Bearer ${runtime.runtimeKey}`, ...CLIENT_HEADERS, ...options.headers },
    signal: options.signal,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/**
 * Resolves once the service counts `runtime`'s tunnel online, i.e. a poll just opened has reached it.
 * A connector call made before that is refused with 503 (offline), and on a loaded machine no fixed
 * pause after opening the poll is sure to be long enough.
 */
export async function waitOnline(
  service: ServiceAddress,
  runtime: Runtime,
  timeoutMs = 10_000,
): Promise<void> {
  await eventually(
    async () => {
      const tunnel = await api<{ online: boolean }>(
        service.url,
        service.ownerKey,
        'GET',
        `/v1/tunnels/${runtime.tunnelId}`,
      );
      return tunnel.online;
    },
    timeoutMs,
    `tunnel ${runtime.tunnelId} to be online`,
  );
}

/** Posts one response payload for `command`, echoing its shard token as a tunnel-client must. */
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

export interface ScriptedClient {
  /** Every command it polled, in order, for assertions. */
  seen: WireCommand[];
}

/**
 * Runs `work` while a scripted tunnel-client serves `runtime`'s tunnel: it polls and, for each command,
 * posts the payloads `handler` gives, in order. `work` starts once the service counts the tunnel online;
 * the client stops when `work` ends.
 */
export async function withScriptedClient<T>(
  service: ServiceAddress,
  runtime: Runtime,
  handler: CommandHandler,
  work: (client: ScriptedClient) => Promise<T>,
): Promise<T> {
  const client = startScriptedClient(service.url, runtime, handler);
  try {
    await waitOnline(service, runtime);
    return await work(client);
  } finally {
    await client.stop();
  }
}

function startScriptedClient(url: string, runtime: Runtime, handler: CommandHandler) {
  const stop = new AbortController();
  const seen: WireCommand[] = [];
  const loop = (async () => {
    while (!stop.signal.aborted) {
      let answer;
      try {
        answer = await poll(url, runtime, 'limit=5&timeout_ms=2000', { signal: stop.signal });
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
