// The notes server serves both protocol eras from one factory, over stdio and Streamable HTTP: an SDK v2
// client negotiates 2026-07-28 (pinned or 'auto') and completes the multi-round greet, an SDK v1 client
// speaks 2025 and is asked the same questions as elicitation requests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const stdioServer = fileURLToPath(new URL('../src/server.ts', import.meta.url));
const httpServer = fileURLToPath(new URL('../src/http-server.ts', import.meta.url));
const ANSWERS: Record<string, string> = { name: 'Ada', mood: 'glad' };

let http: ChildProcess;
let url: URL;

before(async () => {
  http = spawn(process.execPath, [httpServer, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: http.stdout! }), 'line')) as [string];
  url = new URL(/http:\/\/\S+/.exec(line)![0]);
});

after(() => http?.kill());

const answer = (schema: { properties?: Record<string, unknown> } | undefined) => ({
  action: 'accept' as const,
  content: Object.fromEntries(Object.keys(schema?.properties ?? {}).map((key) => [key, ANSWERS[key]!])),
});

const text = (result: { content?: unknown }) => (result.content as { text: string }[])[0]!.text;

for (const [name, mode] of [
  ['pinned', { pin: '2026-07-28' }],
  ['auto', 'auto'],
] as const)
  for (const transport of ['stdio', 'http'] as const)
    test(`a 2026-07-28 client (${name}) over ${transport}`, { timeout: 30_000 }, async () => {
      const client = new Client(
        { name: 'notes-test', version: '1.0.0' },
        { versionNegotiation: { mode }, capabilities: { elicitation: { form: {} } } },
      );
      client.setRequestHandler('elicitation/create', async (request) =>
        answer(
          (request.params as { requestedSchema?: { properties?: Record<string, unknown> } }).requestedSchema,
        ),
      );
      await client.connect(
        transport === 'stdio'
          ? new StdioClientTransport({ command: process.execPath, args: [stdioServer] })
          : new StreamableHTTPClientTransport(url),
      );
      try {
        assert.equal(client.getProtocolEra(), 'modern');
        assert.equal(text(await client.callTool({ name: 'greet' })), 'Hello, Ada (glad)');
        assert.equal(
          text(await client.callTool({ name: 'region', arguments: { region: 'eu' } })),
          'region eu',
        );
      } finally {
        await client.close();
      }
    });

test(
  'a 2025 client (SDK v1) over stdio is asked through elicitation requests',
  { timeout: 30_000 },
  async () => {
    const client = new V1Client(
      { name: 'notes-test', version: '1.0.0' },
      { capabilities: { elicitation: {} } },
    );
    client.setRequestHandler(ElicitRequestSchema, async (request) =>
      answer(request.params.requestedSchema as { properties?: Record<string, unknown> }),
    );
    await client.connect(new V1StdioTransport({ command: process.execPath, args: [stdioServer] }));
    try {
      assert.equal(text(await client.callTool({ name: 'greet' })), 'Hello, Ada (glad)');
    } finally {
      await client.close();
    }
  },
);
