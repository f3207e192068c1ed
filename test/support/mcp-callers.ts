// Callers of an MCP server through the tunnel: the official SDK client on a connector URL.
import { Client as McpClient, type ClientOptions } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2HttpTransport,
} from '@modelcontextprotocol/client';

export interface McpSession {
  mcp: McpClient;
  transport: StreamableHTTPClientTransport;
  /** Ends the session (DELETE) and closes the client. */
  end: () => Promise<void>;
}

/** An official SDK client, connected over Streamable HTTP with a bearer key (a tunnel's connector URL). */
export async function connectSdk(
  url: URL,
  key: string | undefined,
  options: ClientOptions = {},
  setUp: (mcp: McpClient) => void = () => {},
): Promise<McpSession> {
  const mcp = new McpClient({ name: 'tunnel-e2e', version: '1.0.0' }, options);
  setUp(mcp);
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: key ? { headers: { Authorization: `Bearer ${key}` } } : {},
  });
  await mcp.connect(transport);
  return {
    mcp,
    transport,
    async end() {
      await transport.terminateSession().catch(() => {});
      await mcp.close();
    },
  };
}

/**
 * One POST to a connector URL as a caller without an SDK: a bearer key, a JSON-RPC body (a string is sent
 * as it is, so malformed JSON can be tried) and the Accept header of a Streamable HTTP client, unless
 * `headers` say otherwise.
 */
export function postJsonRpc(
  url: URL,
  key: string,
  body: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${key}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

/** How an SDK v2 client picks the protocol era: probe and fall back, or 2026-07-28 only. */
export type EraMode = 'auto' | { pin: string };

/**
 * An official SDK v2 client over Streamable HTTP with a bearer key, negotiating the era as `mode` says. It
 * declares form elicitation and answers it with `answers` (by the requested property name), so that
 * input_required rounds can complete.
 */
export async function connectV2(
  url: URL,
  key: string | undefined,
  mode: EraMode,
  answers: Record<string, string> = {},
): Promise<V2Client> {
  const client = new V2Client(
    { name: 'tunnel-e2e-v2', version: '1.0.0' },
    { versionNegotiation: { mode }, capabilities: { elicitation: { form: {} } } },
  );
  client.setRequestHandler('elicitation/create', async (request) => {
    const schema = (request.params as { requestedSchema?: { properties?: Record<string, unknown> } })
      .requestedSchema;
    const content = Object.fromEntries(
      Object.keys(schema?.properties ?? {}).map((name) => [name, answers[name] ?? '']),
    );
    return { action: 'accept', content };
  });
  await client.connect(
    new V2HttpTransport(url, { requestInit: key ? { headers: { Authorization: `Bearer ${key}` } } : {} }),
  );
  return client;
}
