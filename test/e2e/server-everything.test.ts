// Every tool, resource and prompt of the reference server (@modelcontextprotocol/server-everything) gives the
// same answer through the tunnel as when called directly, with the tunnel-client reaching the server over
// stdio (mcp.commands) and over Streamable HTTP (mcp.server_urls). Both sides use the official SDK client
// with the same capabilities and the same fixed sampling, elicitation and roots answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { takeResult } from '@modelcontextprotocol/sdk/shared/responseMessage.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { ROOT, freePort, startProcess, type Proc } from '../support/processes.ts';
import { startService, type Service } from '../support/service-process.ts';
import { keyWith } from '../support/management-api.ts';
import { startTunnel, type Tunnel } from '../support/system.ts';

const EVERYTHING = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const RESOURCES_READ = 12;

/**
 * Arguments for tools whose schema alone does not give a useful, quick and loopback-only call; every other
 * tool gets arguments generated from its input schema.
 */
const EXPLICIT_ARGUMENTS: Record<string, Record<string, unknown>> = {
  // Kept short: two steps of 0.1 s.
  'trigger-long-running-operation': { duration: 0.2, steps: 2 },
  // A data URI, so nothing is fetched from the network.
  'gzip-file-as-resource': { name: 'greeting.txt', data: 'data:text/plain;base64,aGVsbG8gdHVubmVs' },
  'trigger-url-elicitation': { url: 'https://example.com/consent', elicitationId: 'elicit-1' },
  'get-resource-reference': { resourceType: 'Text', resourceId: 3 },
  'get-resource-links': { count: 4 },
};

const STRING_FORMATS: Record<string, string> = {
  email: 'caller@example.com',
  uri: 'https://example.com/caller',
  date: '2026-01-02',
  'date-time': '2026-01-02T03:04:05Z',
};

/** Values from a JSON schema: the default, else the first enum value, else a fixed value of the type. */
function generate(schema: Record<string, unknown>): unknown {
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  switch (schema.type) {
    case 'string':
      return STRING_FORMATS[schema.format as string] ?? 'tunnel';
    case 'number':
    case 'integer':
      return typeof schema.minimum === 'number' ? schema.minimum : 2;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      return Object.fromEntries(Object.entries(properties).map(([key, sub]) => [key, generate(sub)]));
    }
    default:
      return 'tunnel';
  }
}

function argumentsFor(tool: Tool): Record<string, unknown> {
  return EXPLICIT_ARGUMENTS[tool.name] ?? (generate(tool.inputSchema) as Record<string, unknown>);
}

/**
 * Fields that legitimately differ between two runs of the server, replaced by a marker before comparing.
 * Each is named in the test output.
 */
const EXCEPTIONS: { what: string; why: string; replace: (path: string[], value: unknown) => unknown }[] = [
  {
    what: 'get-env text',
    why: "the server process's environment: the tunnel-client's child inherits a different environment",
    replace: (path) => (path.join('.') === 'tool:get-env.content.0.text' ? '<environment>' : undefined),
  },
  {
    what: 'session ids in text',
    why: 'over Streamable HTTP each session gets a random id, which the toggle-* tools quote back',
    replace: (path, value) => {
      const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
      return path[0]!.startsWith('tool:toggle-') && typeof value === 'string' && uuid.test(value)
        ? value.replace(uuid, '<session id>')
        : undefined;
    },
  },
  {
    what: 'task id',
    why: 'a task-based tool result names its task, whose id the server picks at random',
    replace: (path) =>
      path.slice(-2).join() === 'io.modelcontextprotocol/related-task,taskId' ? '<task id>' : undefined,
  },
  {
    what: 'dynamic resource creation time',
    why: 'dynamic text and blob resources embed the wall-clock time they were generated at',
    replace: (path, value) => {
      if (typeof value !== 'string') return undefined;
      const stamp = / created at [\d:]+\s?[AP]M$/;
      if (stamp.test(value)) return value.replace(stamp, ' created at <time>');
      if (path.at(-1) !== 'blob') return undefined;
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      return stamp.test(decoded) ? decoded.replace(stamp, ' created at <time>') : undefined;
    },
  },
];

/**
 * tools/list is compared by name, not by position: a shared stdio child is first initialized by the
 * tunnel-client itself, without the caller's capabilities, so server-everything adds the tools that depend
 * on them (get-roots-list, trigger-*) only at the caller's initialize and lists them last.
 */
const ORDER_EXCEPTION =
  "tools/list order (a shared stdio child adds the capability-dependent tools at the caller's initialize)";

/** Replaces the excepted fields with a marker; records which exceptions were applied. */
function normalize(value: unknown, path: string[], used: Set<string>): unknown {
  for (const exception of EXCEPTIONS) {
    const replaced = exception.replace(path, value);
    if (replaced !== undefined) {
      used.add(exception.what);
      return replaced;
    }
  }
  if (Array.isArray(value)) return value.map((item, i) => normalize(item, [...path, String(i)], used));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, normalize(item, [...path, key], used)]),
    );
  return value;
}

/** A caller with sampling, elicitation (form and URL) and roots, answering each with a fixed value. */
async function connect(transport: Transport): Promise<McpClient> {
  const mcp = new McpClient(
    { name: 'everything-compare', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } } },
  );
  mcp.setRequestHandler(CreateMessageRequestSchema, async () => ({
    role: 'assistant',
    model: 'fixed-model',
    stopReason: 'endTurn',
    content: { type: 'text', text: 'a fixed sampled answer' },
  }));
  // A form is accepted with values generated from its schema; a URL elicitation is accepted as opened.
  mcp.setRequestHandler(ElicitRequestSchema, async (request) =>
    request.params.mode === 'url'
      ? { action: 'accept' }
      : {
          action: 'accept',
          content: generate(request.params.requestedSchema) as Record<string, string | number | boolean>,
        },
  );
  mcp.setRequestHandler(ListRootsRequestSchema, async () => ({
    roots: [{ uri: 'file:///srv/project', name: 'project' }],
  }));
  await mcp.connect(transport);
  return mcp;
}

/** A successful result, or the error's code and message (an error is an answer to compare too). */
async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return await call();
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: string };
    return { error: { code, message } };
  }
}

/**
 * For a task-based tool only the final result is compared: how many status updates the caller sees
 * before it depends on when its polls land.
 */
const TASK_EXCEPTION = 'status updates before the result of task-based tools (poll timing)';

/** The task-based tools called, to name them with TASK_EXCEPTION. */
const taskTools = new Set<string>();

/** The order each session's tools/list came in, to report when ORDER_EXCEPTION was needed. */
const toolOrder = new Map<McpClient, string[]>();

/** Everything the server offers, called in a fixed order; keys name what was called. */
async function survey(mcp: McpClient): Promise<Map<string, unknown>> {
  const results = new Map<string, unknown>();
  const record = async (key: string, call: () => Promise<unknown>) => results.set(key, await outcome(call));
  const capabilities = mcp.getServerCapabilities() ?? {};
  results.set('capabilities', capabilities);
  results.set('instructions', mcp.getInstructions());
  await record('ping', () => mcp.ping());
  if (capabilities.logging) await record('logging/setLevel', () => mcp.setLoggingLevel('error'));

  const listed = (await mcp.listTools()).tools;
  toolOrder.set(
    mcp,
    listed.map((tool) => tool.name),
  );
  // Compared sorted by name: see ORDER_EXCEPTION.
  const tools = [...listed].sort((a, b) => a.name.localeCompare(b.name));
  results.set('tools/list', tools);
  for (const tool of tools) {
    const params = { name: tool.name, arguments: argumentsFor(tool) };
    // A tool that requires task-based execution is called as a task; its final result is compared (see
    // TASK_EXCEPTION for the status updates before it).
    if (tool.execution?.taskSupport === 'required') taskTools.add(tool.name);
    await record(`tool:${tool.name}`, () =>
      tool.execution?.taskSupport === 'required'
        ? takeResult(mcp.experimental.tasks.callToolStream(params))
        : mcp.callTool(params),
    );
  }

  const { resources } = await mcp.listResources();
  results.set('resources/list', resources);
  const { resourceTemplates } = await mcp.listResourceTemplates();
  results.set('resources/templates/list', resourceTemplates);
  // Every listed resource, and each template filled in with 1 for its variables.
  const uris = [
    ...resources.slice(0, RESOURCES_READ).map((resource) => resource.uri),
    ...resourceTemplates.map((template) => template.uriTemplate.replace(/\{[^}]+\}/g, '1')),
  ];
  for (const uri of uris) await record(`resource:${uri}`, () => mcp.readResource({ uri }));

  const { prompts } = await mcp.listPrompts();
  results.set('prompts/list', prompts);
  for (const prompt of prompts) {
    const args = Object.fromEntries(
      (prompt.arguments ?? []).map((arg) => [arg.name, PROMPT_ARGUMENTS[arg.name] ?? 'tunnel']),
    );
    await record(`prompt:${prompt.name}`, () => mcp.getPrompt({ name: prompt.name, arguments: args }));
    if (capabilities.completions)
      for (const arg of prompt.arguments ?? [])
        await record(`complete:${prompt.name}.${arg.name}`, () =>
          mcp.complete({
            ref: { type: 'ref/prompt', name: prompt.name },
            argument: { name: arg.name, value: '' },
          }),
        );
  }
  return results;
}

/** Prompt arguments that must be specific values (a resource type, an id convertible to an integer). */
const PROMPT_ARGUMENTS: Record<string, string> = { resourceType: 'Text', resourceId: '2' };

/**
 * server-everything over Streamable HTTP. It listens on $PORT and prints $PORT, so it cannot take port 0
 * and tell which port it got: the port is picked here, and another process may take it before the server
 * binds it. Express then still prints "listening" before the server exits, so the port must answer as
 * server-everything does; if it does not, another port is tried.
 */
async function startEverythingHttp(): Promise<{ proc: Proc; url: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc = startProcess([EVERYTHING, 'streamableHttp'], { PORT: String(port) });
    const url = `http://127.0.0.1:${port}/mcp`;
    try {
      await proc.waitFor(/listening on port/);
      const probe = await fetch(url);
      const body = await probe.text();
      if (probe.status === 400 && body.includes('No valid session ID') && proc.child.exitCode === null)
        return { proc, url };
    } catch {
      // Not up, or not the server: try another port.
    }
    await proc.stop();
    if (attempt === 5) throw new Error(`server-everything did not start on a free port:\n${proc.output()}`);
  }
}

/** Compares the direct and the tunnelled survey key by key; returns the exceptions applied. */
function compareSurveys(label: string, direct: Map<string, unknown>, tunnel: Map<string, unknown>): string[] {
  assert.deepEqual([...tunnel.keys()], [...direct.keys()], `${label}: the same calls were made`);
  const used = new Set<string>();
  for (const [key, value] of direct)
    assert.deepEqual(
      normalize(tunnel.get(key), [key], used),
      normalize(value, [key], used),
      `${label}: ${key} differs through the tunnel`,
    );
  return [...used];
}

test(
  'server-everything: every tool, resource and prompt answers the same through the tunnel as directly',
  { timeout: 170_000 },
  async () => {
    const started = performance.now();
    let service: Service | undefined;
    let everythingHttp: Proc | undefined;
    const tunnels: Tunnel[] = [];
    const sessions: McpClient[] = [];
    try {
      const everything = await startEverythingHttp();
      everythingHttp = everything.proc;
      const directUrl = everything.url;
      service = await startService();
      const caller = await keyWith(service, ['tunnel.use']);

      const sides = {
        stdio: {
          direct: () => new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'] }),
          client: { mcpCommand: `"${process.execPath}" "${EVERYTHING}" stdio` },
        },
        http: {
          direct: () => new StreamableHTTPClientTransport(new URL(directUrl)),
          client: { mcpServerUrl: directUrl },
        },
      };
      for (const [transport, side] of Object.entries(sides)) {
        const tunnel = await startTunnel(service, {
          tunnelName: `everything-${transport}`,
          client: side.client,
        });
        tunnels.push(tunnel);

        const direct = await connect(side.direct());
        sessions.push(direct);
        const tunnelled = await connect(
          new StreamableHTTPClientTransport(tunnel.connectorUrl, {
            requestInit: { headers: { Authorization: `Bearer ${caller}` } },
          }),
        );
        sessions.push(tunnelled);
        const directSurvey = await survey(direct);
        const tunnelSurvey = await survey(tunnelled);
        const excepted = compareSurveys(transport, directSurvey, tunnelSurvey).map(
          (what) => `${what} (${EXCEPTIONS.find((e) => e.what === what)!.why})`,
        );
        if (toolOrder.get(direct)!.join() !== toolOrder.get(tunnelled)!.join())
          excepted.unshift(ORDER_EXCEPTION);
        if (taskTools.size) excepted.push(`${TASK_EXCEPTION}: ${[...taskTools].join(', ')}`);
        const names = (key: string) =>
          [...directSurvey.keys()].filter((k) => k.startsWith(`${key}:`)).map((k) => k.slice(key.length + 1));
        console.log(
          `${transport}: compared ${directSurvey.size} answers\n` +
            `  tools: ${names('tool').join(', ')}\n` +
            `  resources: ${names('resource').join(', ')}\n` +
            `  prompts: ${names('prompt').join(', ')}\n` +
            `  completions: ${names('complete').join(', ') || 'none offered'}\n` +
            `  excepted: ${excepted.join('; ') || 'nothing'}`,
        );
        // Equal answers prove little if they are equal failures: every call must have succeeded.
        const failed = [...directSurvey].filter(
          ([, answer]) =>
            (answer as { error?: unknown })?.error || (answer as { isError?: boolean })?.isError,
        );
        assert.deepEqual(failed, [], `${transport}: calls that failed directly`);
        assert.ok(names('tool').length >= 10, `${transport}: the tools were called`);
        assert.ok(names('resource').length > 0, `${transport}: resources were read`);
        assert.ok(names('prompt').length >= 4, `${transport}: the prompts were got`);
      }
      console.log(`compared in ${Math.round(performance.now() - started)} ms`);
    } finally {
      await Promise.allSettled(sessions.map((session) => session.close()));
      for (const tunnel of tunnels) await tunnel.stop();
      await service?.stop();
      await everythingHttp?.stop();
    }
  },
);
