// Tracing end to end: a caller's traceparent continues through the tunnel-service, the tunnel-client and
// on to a Streamable HTTP MCP server, and both halves export their spans over OTLP/HTTP to a collector
// (here a receiver on loopback). Without an OTLP endpoint no OpenTelemetry module is loaded for tracing and
// nothing is exported.
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createCalculatorServer } from '../../examples/calculator/src/calculator.ts';
import { eventually } from '../support/eventually.ts';
import { FEATURES_SERVER } from '../support/mcp-servers.ts';
import { startOtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts';
import { startSystem } from '../support/system.ts';

const RECORD_LOADS = fileURLToPath(new URL('./fixtures/record-opentelemetry-loads.ts', import.meta.url));
const SERVER_KIND = 2;
const CLIENT_KIND = 3;
const PRODUCER_KIND = 4;
const CONSUMER_KIND = 5;

/** The calculator over Streamable HTTP in this process, keeping the traceparent of each tools/call it got. */
async function startCalculator(): Promise<{ url: string; traceparents: string[]; server: Server }> {
  const traceparents: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length
        ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown)
        : undefined;
      if ((body as { method?: string } | undefined)?.method === 'tools/call')
        traceparents.push(String(req.headers.traceparent));
      const mcp = createCalculatorServer();
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      res.on('close', () => void transport.close().then(() => mcp.close()));
      void mcp.connect(transport).then(() => transport.handleRequest(req, res, body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, traceparents, server };
}

/** A caller with the official SDK that sends `traceparent` on every request, as a traced MCP client does. */
async function callAdd(url: URL, key: string, traceparent?: string): Promise<string> {
  const mcp = new McpClient({ name: 'tracing-e2e', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${key}`, ...(traceparent ? { traceparent } : {}) } },
  });
  await mcp.connect(transport);
  try {
    const result = await mcp.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    return (result.content as { text: string }[])[0]!.text;
  } finally {
    await mcp.close();
  }
}

const calculator = await startCalculator();
after(() => calculator.server.close());

test('one trace from the caller through service and client to the HTTP MCP server', async () => {
  await using receiver = await startOtlpReceiver();
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'parentbased_always_on' };
  await using system = await startSystem({
    service: { env: otel },
    client: { mcpServerUrl: calculator.url, extraEnv: otel },
  });
  const traceId = randomBytes(16).toString('hex');
  const callerSpanId = randomBytes(8).toString('hex');
  const answer = await callAdd(
    system.connectorUrl,
    system.runtime.runtimeKey,
    `00-${traceId}-${callerSpanId}-01`,
  );
  assert.equal(answer, '2 + 3 = 5');

  const inTrace = () => receiver.spans.filter((span) => span.traceId === traceId);
  const named = (name: string, parent?: ReceivedSpan) =>
    inTrace().find((span) => span.name === name && (!parent || span.parentSpanId === parent.spanId));
  const connectorOf = () =>
    inTrace().find(
      (span) => span.name === 'POST /v1/mcp/{tunnel}' && span.attributes['mcp.method.name'] === 'tools/call',
    );
  await eventually(
    () => {
      const connector = connectorOf();
      const command =
        connector &&
        inTrace().find(
          (span) => span.name === 'tunnel.command' && span.attributes['mcp.method.name'] === 'tools/call',
        );
      const post = command && named('tunnel.response.post', command);
      return Boolean(
        post && named('tunnel.response.receive', post) && named('tunnel.caller.delivery', connector),
      );
    },
    30_000,
    () =>
      `the spans of the tools/call; received: ${inTrace()
        .map((s) => `${s.service}:${s.name}`)
        .join(', ')}`,
  );

  const connector = connectorOf()!;
  assert.equal(connector.service, 'tunnel-service');
  assert.equal(connector.kind, SERVER_KIND);
  assert.equal(connector.parentSpanId, callerSpanId, "the connector's span continues the caller's");
  assert.equal(connector.attributes['gen_ai.tool.name'], 'add');
  assert.equal(connector.attributes['http.response.status_code'], 200);
  const requestId = connector.attributes['tunnel.request_id'];

  const wait = named('tunnel.queue.wait', connector);
  assert.ok(wait, 'the queue wait is a child of the request');
  assert.equal(wait.attributes['tunnel.request_id'], requestId);
  const delivery = named('tunnel.command.delivery', connector)!;
  assert.equal(delivery.kind, PRODUCER_KIND);
  // Our client and service carry commands over the command stream (protocol extension command-stream).
  assert.equal(delivery.attributes['tunnel.carrier'], 'stream');
  assert.ok(named('tunnel.caller.delivery', connector));

  const command = named('tunnel.command', delivery);
  assert.ok(command, "the client's command span is a child of the service's hand-over");
  assert.equal(command.service, 'tunnel-client');
  assert.equal(command.kind, CONSUMER_KIND);
  assert.equal(command.attributes['tunnel.request_id'], requestId);
  assert.equal(command.attributes['tunnel.outcome'], 'answered');

  const call = named('tools/call add', command);
  assert.ok(call, 'the MCP call is a child of the command');
  assert.equal(call.kind, CLIENT_KIND);
  assert.equal(call.attributes['mcp.method.name'], 'tools/call');
  assert.equal(call.attributes['http.response.status_code'], 200);
  const post = named('tunnel.response.post', command)!;
  assert.equal(post.attributes['tunnel.delivery'], 'delivered');
  const received = named('tunnel.response.receive', post)!;
  assert.equal(received.service, 'tunnel-service');
  assert.equal(received.kind, SERVER_KIND);

  // The MCP server was called within the same trace, as a child of the client's call span.
  assert.ok(
    calculator.traceparents.includes(`00-${traceId}-${call.spanId}-01`),
    `traceparents the server saw: ${calculator.traceparents.join(', ')}`,
  );
});

test('a stdio MCP server gets the trace context in params._meta, beside the progress token', async () => {
  await using receiver = await startOtlpReceiver();
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
  await using system = await startSystem({
    service: { env: otel },
    client: { mcpCommand: `"${process.execPath}" "${FEATURES_SERVER}"`, extraEnv: otel },
  });
  const traceId = randomBytes(16).toString('hex');
  const mcp = new McpClient({ name: 'tracing-e2e', version: '1.0.0' });
  await mcp.connect(
    new StreamableHTTPClientTransport(system.connectorUrl, {
      requestInit: {
        headers: {
          Authorization: `Bearer ${system.runtime.runtimeKey}`,
          traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
        },
      },
    }),
  );
  const result = await mcp
    .callTool({ name: 'trace-context', arguments: {}, _meta: { progressToken: 'p-1' } })
    .finally(() => mcp.close());
  const seen = JSON.parse((result.content as { text: string }[])[0]!.text) as {
    traceparent?: string;
    progressToken?: string;
  };
  // The shared child sees a progress token of the multiplexer's own, kept beside the trace context.
  assert.notEqual(seen.progressToken, undefined);
  await eventually(
    () => receiver.spans.some((span) => span.traceId === traceId && span.name === 'tools/call trace-context'),
    30_000,
    'the MCP call span',
  );
  const call = receiver.spans.find(
    (span) => span.traceId === traceId && span.name === 'tools/call trace-context',
  )!;
  assert.equal(call.attributes['network.transport'], 'pipe');
  assert.equal(seen.traceparent, `00-${traceId}-${call.spanId}-01`);
});

test('without an OTLP endpoint no OpenTelemetry module is loaded for tracing and nothing is exported', async () => {
  await using receiver = await startOtlpReceiver();
  const dir = mkdtempSync(join(tmpdir(), 'mcp-tunnel-otel-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const loads = (who: string) => {
    const file = join(dir, who);
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
  };
  // The collector listens, but no variable names it.
  const unset = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' };
  const recording = (who: string) => ({
    ...unset,
    NODE_OPTIONS: `--import ${RECORD_LOADS}`,
    RECORD_OTEL_LOADS: join(dir, who),
  });
  await using system = await startSystem({
    service: { env: recording('service') },
    client: { mcpServerUrl: calculator.url, extraEnv: recording('client') },
  });
  const before = calculator.traceparents.length;
  const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
  assert.equal(await callAdd(system.connectorUrl, system.runtime.runtimeKey, traceparent), '2 + 3 = 5');
  await system.stop();

  for (const who of ['service', 'client']) {
    const loaded = loads(who);
    assert.ok(
      // The service serves with fastify; the client polls with undici (its ops server is Node's own).
      loaded.some((url) =>
        url.includes(who === 'service' ? '/node_modules/fastify/' : '/node_modules/undici/'),
      ),
      `${who}: the recording saw the process load its packages (${loaded.length} modules)`,
    );
    // prom-client (the client's metrics) loads @opentelemetry/api itself, traced or not.
    const ours = who === 'client' ? /\/@opentelemetry\/(?!api\/)/ : /\/@opentelemetry\//;
    assert.deepEqual(
      loaded.filter((url) => ours.test(url)),
      [],
      `${who} loaded no OpenTelemetry module of its own`,
    );
  }
  assert.equal(receiver.requests, 0, 'nothing was exported');
  // Untraced, the caller's own traceparent still reaches the MCP server as it was sent.
  assert.deepEqual(calculator.traceparents.slice(before), [traceparent]);
});
