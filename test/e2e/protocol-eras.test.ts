// Both MCP protocol eras through the real tunnel, exactly as directly: an SDK v2 client that pins
// 2026-07-28 and one that negotiates ('auto') reach a dual-era SDK v2 server (examples/dual-era), a
// 2025-only SDK v1 server (the calculator) and a 2026-only server, over stdio (shared and per-session
// children) and Streamable HTTP. Each outcome through the tunnel is compared with the same client's
// outcome directly; on modern connections the era's features are used through the tunnel too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client as V2Client, SdkError, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport as V2StdioTransport } from '@modelcontextprotocol/client/stdio';
import { eventually } from '../support/eventually.ts';
import { connectSdk, connectV2, postJsonRpc, type EraMode } from '../support/mcp-callers.ts';
import { CALCULATOR, CALCULATOR_HTTP, NOTES, NOTES_HTTP } from '../support/mcp-servers.ts';
import { startProcess, type Proc } from '../support/processes.ts';
import { startSystem, type System } from '../support/system.ts';

const node = process.execPath;
const PIN: EraMode = { pin: '2026-07-28' };
const MODES: [string, EraMode][] = [
  ['pin', PIN],
  ['auto', 'auto'],
];

interface Upstream {
  channel: string;
  /** Connects an SDK v2 client straight to the server, without the tunnel. */
  direct: (client: V2Client) => Promise<void>;
  /** Whether the server serves 2026-07-28 (its tools are then used through the tunnel). */
  modern: boolean;
  /** Whether it serves 2025 callers too (a v1 session is then opened through the tunnel beside). */
  legacy: boolean;
  /** A Streamable HTTP server's own URL. */
  url?: string;
}

const httpServers: Proc[] = [];
async function startHttp(args: string[]): Promise<string> {
  const proc = startProcess([...args, '0']);
  httpServers.push(proc);
  return (await proc.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1]!;
}

const stdio = (args: string[]) => async (client: V2Client) =>
  client.connect(new V2StdioTransport({ command: node, args, stderr: 'ignore' }));

let system: System;
let upstreams: Upstream[];

before(async () => {
  const [notesUrl, modernUrl, calculatorUrl] = await Promise.all([
    startHttp([NOTES_HTTP]),
    startHttp([NOTES_HTTP, '--modern-only']),
    startHttp([CALCULATOR_HTTP]),
  ]);
  const http = (url: string) => async (client: V2Client) =>
    client.connect(new StreamableHTTPClientTransport(new URL(url)));
  upstreams = [
    { channel: 'main', direct: stdio([NOTES]), modern: true, legacy: true },
    { channel: 'per', direct: stdio([NOTES]), modern: true, legacy: true },
    { channel: 'modern', direct: stdio([NOTES, '--modern-only']), modern: true, legacy: false },
    { channel: 'v1', direct: stdio([CALCULATOR]), modern: false, legacy: true },
    { channel: 'http', direct: http(notesUrl), modern: true, legacy: true, url: notesUrl },
    { channel: 'http-modern', direct: http(modernUrl), modern: true, legacy: false },
    { channel: 'http-v1', direct: http(calculatorUrl), modern: false, legacy: true },
  ];
  system = await startSystem({
    client: {
      // Four children (SDK v2 servers load slowly) start at once beside three HTTP servers.
      readyTimeoutMs: 60_000,
      extraEnv: {
        MCP_COMMAND: [
          `channel=main,command="${node}" "${NOTES}"`,
          `channel=per,command="${node}" "${NOTES}",session-mode=per_session`,
          `channel=modern,command="${node}" "${NOTES}" --modern-only`,
          `channel=v1,command="${node}" "${CALCULATOR}"`,
        ].join('\n'),
        MCP_SERVER_URL: [
          `channel=http,url=${notesUrl}`,
          `channel=http-modern,url=${modernUrl}`,
          `channel=http-v1,url=${calculatorUrl}`,
        ].join('\n'),
      },
    },
  });
});

after(async () => {
  await system?.stop();
  await Promise.all(httpServers.map((proc) => proc.stop()));
});

const urlOf = (channel: string) =>
  new URL(channel === 'main' ? system.connectorUrl.href : `${system.connectorUrl.href}/${channel}`);

/** What connecting gave: the era and version, or the SDK's error code. */
async function outcome(connect: (client: V2Client) => Promise<unknown>, mode: EraMode): Promise<string> {
  const client = new V2Client({ name: 'eras', version: '1.0.0' }, { versionNegotiation: { mode } });
  try {
    await connect(client);
    return `${client.getProtocolEra()} ${client.getNegotiatedProtocolVersion()}`;
  } catch (error) {
    return SdkError.isInstance(error) ? `refused ${String(error.code)}` : `failed ${String(error)}`;
  } finally {
    await client.close().catch(() => {});
  }
}

const text = (result: { content?: unknown }) => (result.content as { text: string }[])[0]!.text;

const tunnelTransport = (channel: string) =>
  new StreamableHTTPClientTransport(urlOf(channel), {
    requestInit: { headers: { Authorization: `Bearer ${system.runtime.runtimeKey}` } },
  });

describe('protocol eras through the tunnel', { timeout: 400_000 }, () => {
  for (const [modeName, mode] of MODES)
    test(`an SDK v2 client (${modeName}) negotiates through the tunnel as it does directly`, async (t) => {
      const direct: string[] = [];
      const through: string[] = [];
      for (const upstream of upstreams) {
        direct.push(`${upstream.channel}: ${await outcome(upstream.direct, mode)}`);
        through.push(
          `${upstream.channel}: ${await outcome((client) => client.connect(tunnelTransport(upstream.channel)), mode)}`,
        );
      }
      assert.deepEqual(through, direct);
      t.diagnostic(through.join('; '));
    });

  for (const channel of ['main', 'per', 'modern', 'http', 'http-modern'])
    test(`2026-07-28 through the tunnel on channel ${channel}: multi-round calls, mirrored headers, listen`, async () => {
      const key = system.runtime.runtimeKey;
      const first = await connectV2(urlOf(channel), key, PIN, { name: 'Ada', mood: 'curious' });
      const second = await connectV2(urlOf(channel), key, 'auto');
      try {
        assert.equal(second.getProtocolEra(), 'modern');
        // The server's own discover answer, the same for every caller (one shared child on stdio).
        assert.deepEqual(second.getDiscoverResult(), first.getDiscoverResult());
        const pids = await Promise.all(
          [first, second].map(async (c) => text(await c.callTool({ name: 'pid' }))),
        );
        assert.equal(pids[0], pids[1], 'modern callers share one child');
        // input_required with requestState, two rounds.
        assert.equal(text(await first.callTool({ name: 'greet' })), 'Hello, Ada (curious)');
        // The region argument travels in Mcp-Param-Region too; a Streamable HTTP server checks both agree.
        assert.equal(
          text(await first.callTool({ name: 'region', arguments: { region: 'eu' } })),
          'region eu',
        );
        const updates: string[] = [];
        first.setNotificationHandler(
          'notifications/resources/updated',
          (n) => void updates.push(n.params.uri),
        );
        const subscription = await first.listen({ resourceSubscriptions: ['notes://all'] });
        await second.callTool({ name: 'add-note', arguments: { text: `from ${channel}` } });
        await eventually(() => updates.length > 0, 10_000, 'the listen stream to carry the update');
        assert.deepEqual(updates, ['notes://all']);
        await subscription.close();
        assert.equal(await subscription.closed, 'local');
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });

  test('a header that disagrees with the body gets the server’s own 400 and -32020, as directly', async () => {
    const envelope = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const call = {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'region', arguments: { region: 'eu' }, _meta: envelope },
    };
    const headers = {
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'region',
      'mcp-param-region': 'us',
    };
    const answers = [];
    for (const [url, key] of [
      [new URL(upstreams.find((u) => u.channel === 'http')!.url!), ''],
      [urlOf('http'), system.runtime.runtimeKey],
    ] as const) {
      const response = await postJsonRpc(url, key, call, headers);
      const body = (await response.json()) as { id?: unknown; error?: { code?: number } };
      answers.push({ status: response.status, id: body.id, code: body.error?.code });
    }
    assert.deepEqual(answers[0], { status: 400, id: 3, code: -32020 });
    assert.deepEqual(answers[1], answers[0]);
  });

  test('a 2025 session and 2026-07-28 callers share the tunnel and the channel; no session is minted for the modern era', async () => {
    const key = system.runtime.runtimeKey;
    const modern = await connectV2(urlOf('main'), key, PIN);
    const legacy = await connectSdk(urlOf('main'), key);
    try {
      assert.ok(legacy.transport.sessionId, 'the 2025 caller has its session');
      assert.equal(modern.getProtocolEra(), 'modern');
      const [a, b] = await Promise.all([
        modern.callTool({ name: 'add', arguments: { a: 2, b: 3 } }),
        legacy.mcp.callTool({ name: 'add', arguments: { a: 2, b: 3 } }),
      ]);
      assert.equal(text(a), '2 + 3 = 5');
      assert.equal(text(b as { content?: unknown }), '2 + 3 = 5');
      const discover = await postJsonRpc(
        urlOf('main'),
        key,
        {
          jsonrpc: '2.0',
          id: 7,
          method: 'server/discover',
          params: {
            _meta: {
              'io.modelcontextprotocol/protocolVersion': '2026-07-28',
              'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
              'io.modelcontextprotocol/clientCapabilities': {},
            },
          },
        },
        { accept: 'application/json', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' },
      );
      assert.equal(discover.status, 200);
      assert.equal(discover.headers.get('mcp-session-id'), null, 'no session for a modern exchange');
      const body = (await discover.json()) as { result?: { supportedVersions?: string[] } };
      assert.ok(body.result?.supportedVersions?.includes('2026-07-28'), JSON.stringify(body));
    } finally {
      await modern.close();
      await legacy.end();
    }
  });
});
