// The conformance suite's reference MCP server: the tools, resources and prompts the
// @modelcontextprotocol/conformance server scenarios call, over Streamable HTTP: 2025-era requests with
// stateful sessions (SDK v1), 2026-07-28 requests per request (SDK v2, test/support/conformance-modern.ts),
// told apart as the SDK's own entry does (isLegacyRequest).
//
//   npx node test/support/conformance-server.ts <port>   (prints its URL)
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { createMcpHandler, isLegacyRequest } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { z } from 'zod';
import { CONTENT_TOOLS, PNG } from './conformance-content.ts';
import { modernReference } from './conformance-modern.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function reference(): McpServer {
  const server = new McpServer(
    { name: 'conformance-reference', version: '1.0.0' },
    { capabilities: { logging: {}, completions: {}, resources: { subscribe: true } } },
  );
  const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

  for (const [name, { description, result }] of Object.entries(CONTENT_TOOLS))
    server.registerTool(name, { description }, () => result);
  server.registerTool('test_tool_with_logging', { description: 'Logs three messages' }, async (extra) => {
    for (const [i, data] of [
      'Tool execution started',
      'Tool processing data',
      'Tool execution completed',
    ].entries()) {
      if (i) await sleep(50);
      await server.server.sendLoggingMessage({ level: 'info', data }, extra.sessionId);
    }
    return text('Logging tool completed');
  });
  server.registerTool('test_error_handling', { description: 'Always fails' }, () => {
    throw new Error('This tool intentionally returns an error for testing');
  });
  server.registerTool('test_tool_with_progress', { description: 'Reports progress' }, async (extra) => {
    const progressToken = extra._meta?.progressToken;
    for (const progress of [0, 50, 100]) {
      if (progress) await sleep(50);
      if (progressToken !== undefined)
        await extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken, progress, total: 100 },
        });
    }
    return text('Progress tool completed');
  });
  server.registerTool(
    'test_sampling',
    { description: 'Asks the client to sample', inputSchema: { prompt: z.string() } },
    async ({ prompt }, extra) => {
      // Related to the tool call, so the request travels on the call's own stream (as the spec recommends),
      // not on a standalone GET stream the caller may not have opened yet.
      const answer = await server.server.createMessage(
        { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 },
        { relatedRequestId: extra.requestId },
      );
      return text(`LLM response: ${answer.content.type === 'text' ? answer.content.text : ''}`);
    },
  );
  server.registerTool(
    'test_elicitation',
    { description: 'Asks the user', inputSchema: { message: z.string() } },
    async ({ message }, extra) => {
      const answer = await server.server.elicitInput(
        {
          message,
          requestedSchema: {
            type: 'object',
            properties: {
              username: { type: 'string', description: "User's response" },
              email: { type: 'string', description: "User's email address" },
            },
            required: ['username', 'email'],
          },
        },
        { relatedRequestId: extra.requestId },
      );
      return text(`User response: ${JSON.stringify(answer)}`);
    },
  );
  // SEP-1034: a default for every primitive type.
  server.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Asks the user, with defaults' },
    async (extra) => {
      const answer = await server.server.elicitInput(
        {
          message: 'Confirm your profile',
          requestedSchema: {
            type: 'object',
            properties: {
              name: { type: 'string', default: 'John Doe' },
              age: { type: 'integer', default: 30 },
              score: { type: 'number', default: 95.5 },
              status: { type: 'string', enum: ['active', 'inactive', 'pending'], default: 'active' },
              verified: { type: 'boolean', default: true },
            },
          },
        },
        { relatedRequestId: extra.requestId },
      );
      return text(
        `Elicitation completed: action=${answer.action}, content=${JSON.stringify(answer.content)}`,
      );
    },
  );
  // SEP-1330: the five ways to offer a choice.
  server.registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Asks the user to choose' },
    async (extra) => {
      const titled = [
        { const: 'value1', title: 'First' },
        { const: 'value2', title: 'Second' },
        { const: 'value3', title: 'Third' },
      ];
      const answer = await server.server.elicitInput(
        {
          message: 'Choose',
          requestedSchema: {
            type: 'object',
            properties: {
              untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
              titledSingle: { type: 'string', oneOf: titled },
              legacyEnum: {
                type: 'string',
                enum: ['opt1', 'opt2', 'opt3'],
                enumNames: ['Option one', 'Option two', 'Option three'],
              },
              untitledMulti: {
                type: 'array',
                items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
              },
              titledMulti: { type: 'array', items: { anyOf: titled } },
            },
          },
        },
        { relatedRequestId: extra.requestId },
      );
      return text(
        `Elicitation completed: action=${answer.action}, content=${JSON.stringify(answer.content)}`,
      );
    },
  );

  server.registerResource(
    'static-text',
    'test://static-text',
    { description: 'Static text', mimeType: 'text/plain' },
    (uri) => ({
      contents: [
        { uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' },
      ],
    }),
  );
  server.registerResource(
    'static-binary',
    'test://static-binary',
    { description: 'Static PNG', mimeType: 'image/png' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG }] }),
  );
  server.registerResource(
    'watched-resource',
    'test://watched-resource',
    { description: 'A resource to subscribe to', mimeType: 'text/plain' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content.' }] }),
  );
  server.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'Data by id', mimeType: 'application/json' },
    (uri, { id }) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'application/json',
          text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${String(id)}` }),
        },
      ],
    }),
  );

  server.registerPrompt('test_simple_prompt', { description: 'A simple prompt' }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
  }));
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with arguments',
      argsSchema: {
        arg1: completable(z.string(), (value) =>
          ['testValue1', 'test value two'].filter((v) => v.startsWith(value)),
        ),
        arg2: z.string(),
      },
    },
    ({ arg1, arg2 }) => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` },
        },
      ],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    { description: 'A prompt embedding a resource', argsSchema: { resourceUri: z.string() } },
    ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: resourceUri,
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  server.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' }, () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  }));
  // McpServer has no subscription handlers of its own; the scenarios only check that both are accepted.
  const subscribed = new Set<string>();
  server.server.setRequestHandler(SubscribeRequestSchema, (request) => {
    subscribed.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscribed.delete(request.params.uri);
    return {};
  });
  return server;
}

const transports = new Map<string, StreamableHTTPServerTransport>();
const modern = toNodeHandler(createMcpHandler(modernReference, { legacy: 'reject' }));

/** The JSON body of a POST (undefined when it is not JSON: the legacy transport then refuses it). */
async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = req.method === 'POST' ? await readBody(req) : undefined;
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers))
    if (typeof value === 'string') headers.set(name, value);
  const probe = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
    method: req.method,
    headers,
  });
  if (!(await isLegacyRequest(probe, body))) return modern(req, res, body);
  const sessionId = req.headers['mcp-session-id'];
  const known = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
  if (known) return known.handleRequest(req, res, body);
  if (sessionId !== undefined) return void res.writeHead(404).end('unknown session');
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: randomUUID,
    onsessioninitialized: (id) => void transports.set(id, transport),
  });
  transport.onclose = () => {
    if (transport.sessionId) transports.delete(transport.sessionId);
  };
  await reference().connect(transport);
  await transport.handleRequest(req, res, body);
}

const http = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    if (!res.headersSent) res.writeHead(500).end(String(error));
  });
});
http.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`);
});
