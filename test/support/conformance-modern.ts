// The 2026-07-28 half of the conformance reference server (test/support/conformance-server.ts): the same
// tools, resources and prompts on the official SDK v2, plus what the 2026-07-28 scenarios call
// (input_required rounds with signed requestState, a tool with an `x-mcp-header` argument). Served per
// request by createMcpHandler; 2025-era requests never reach it.
import { randomBytes } from 'node:crypto';
import {
  McpServer,
  ResourceTemplate,
  completable,
  createRequestStateCodec,
  inputRequired,
  inputResponse,
  type InputResponses,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import { CONTENT_TOOLS, PNG } from './conformance-content.ts';

type State = { tool: string; round: number; name?: string };
// Signed with a key of this process: requestState comes back from the client and is untrusted.
const state = createRequestStateCodec<State>({ key: randomBytes(32), ttlSeconds: 600 });

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });
const ask = (message: string, property: string, type: 'string' | 'boolean' = 'string') =>
  inputRequired.elicit({
    message,
    requestedSchema: {
      type: 'object',
      properties: { [property]: type === 'string' ? { type: 'string' } : { type: 'boolean' } },
      required: [property],
    },
  });
/** What an elicitation answer accepted for `key`, if it did. */
function accepted(responses: InputResponses | undefined, key: string): Record<string, unknown> | undefined {
  const view = responses ? inputResponse(responses, key) : { kind: 'missing' as const };
  return view.kind === 'elicit' && view.action === 'accept' ? (view.content ?? {}) : undefined;
}

/** The capabilities the caller declared in this request's envelope. */
function clientCapabilities(envelope: object | undefined): Record<string, unknown> {
  const fields = (envelope ?? {}) as Record<string, Record<string, unknown> | undefined>;
  return fields['io.modelcontextprotocol/clientCapabilities'] ?? fields.clientCapabilities ?? {};
}

export function modernReference(): McpServer {
  const server = new McpServer(
    { name: 'conformance-reference', version: '1.0.0' },
    {
      capabilities: { completions: {}, resources: {}, tools: {}, prompts: {} },
      requestState: { verify: state.verify },
    },
  );
  const responses = (ctx: { mcpReq: { inputResponses?: Record<string, unknown> } }) =>
    ctx.mcpReq.inputResponses as InputResponses | undefined;

  for (const [name, { description, result }] of Object.entries(CONTENT_TOOLS))
    server.registerTool(name, { description }, () => result);
  server.registerTool('test_error_handling', { description: 'Always fails' }, () => {
    throw new Error('This tool intentionally returns an error for testing');
  });
  server.registerTool('test_tool_with_progress', { description: 'Reports progress' }, async (ctx) => {
    const progressToken = ctx.mcpReq._meta?.progressToken;
    if (progressToken !== undefined)
      for (const progress of [0, 50, 100])
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken, progress, total: 100 },
        });
    return text('Progress tool completed');
  });
  server.registerTool(
    'test_headers',
    {
      description: 'Echoes an argument that also travels in the Mcp-Param-Region header',
      inputSchema: z.object({ region: z.string().meta({ 'x-mcp-header': 'Region' }) }),
    },
    ({ region }) => text(`region ${region}`),
  );

  server.registerTool(
    'test_input_required_result_elicitation',
    { description: 'Asks for a name' },
    async (ctx) => {
      const answer = accepted(responses(ctx), 'user_name');
      if (!answer) return inputRequired({ inputRequests: { user_name: ask('What is your name?', 'name') } });
      return text(`Hello, ${String(answer.name)}!`);
    },
  );
  server.registerTool(
    'test_input_required_result_sampling',
    { description: 'Asks to sample' },
    async (ctx) => {
      const view = responses(ctx) ? inputResponse(responses(ctx)!, 'capital_question') : undefined;
      if (view?.kind !== 'sampling')
        return inputRequired({
          inputRequests: {
            capital_question: inputRequired.createMessage({
              messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
              maxTokens: 100,
            }),
          },
        });
      const content = view.result.content;
      return text(
        `Sampling answer: ${!Array.isArray(content) && content.type === 'text' ? content.text : ''}`,
      );
    },
  );
  server.registerTool(
    'test_input_required_result_list_roots',
    { description: 'Asks for roots' },
    async (ctx) => {
      const view = responses(ctx) ? inputResponse(responses(ctx)!, 'client_roots') : undefined;
      if (view?.kind !== 'roots')
        return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
      return text(`Roots: ${view.roots.map((root) => root.uri).join(', ')}`);
    },
  );
  server.registerTool(
    'test_input_required_result_request_state',
    { description: 'Asks to confirm, keeping state' },
    async (ctx) => {
      const current = ctx.mcpReq.requestState<State>();
      if (current?.tool === 'request_state' && accepted(responses(ctx), 'confirm'))
        return text('Confirmed: state-ok');
      return inputRequired({
        inputRequests: { confirm: ask('Please confirm', 'ok', 'boolean') },
        requestState: await state.mint({ tool: 'request_state', round: 1 }),
      });
    },
  );
  server.registerTool(
    'test_input_required_result_tampered_state',
    { description: 'Keeps signed state' },
    async (ctx) => {
      if (ctx.mcpReq.requestState<State>()?.tool === 'tampered_state') return text('state verified');
      return inputRequired({
        inputRequests: { confirm: ask('Please confirm', 'ok', 'boolean') },
        requestState: await state.mint({ tool: 'tampered_state', round: 1 }),
      });
    },
  );
  server.registerTool(
    'test_input_required_result_multiple_inputs',
    { description: 'Asks three things at once' },
    async (ctx) => {
      const given = responses(ctx);
      const complete =
        given &&
        ctx.mcpReq.requestState<State>()?.tool === 'multiple_inputs' &&
        ['user_name', 'greeting', 'client_roots'].every(
          (key) => inputResponse(given, key).kind !== 'missing',
        );
      if (complete) return text('All inputs received');
      return inputRequired({
        inputRequests: {
          user_name: ask('What is your name?', 'name'),
          greeting: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }],
            maxTokens: 50,
          }),
          client_roots: inputRequired.listRoots(),
        },
        requestState: await state.mint({ tool: 'multiple_inputs', round: 1 }),
      });
    },
  );
  server.registerTool(
    'test_input_required_result_multi_round',
    { description: 'Asks two questions in turn' },
    async (ctx) => {
      const current = ctx.mcpReq.requestState<State>();
      if (current?.tool === 'multi_round' && current.round === 1) {
        const step1 = accepted(responses(ctx), 'step1');
        if (step1)
          return inputRequired({
            inputRequests: { step2: ask('Step 2: What is your favorite color?', 'color') },
            requestState: await state.mint({ tool: 'multi_round', round: 2, name: String(step1.name) }),
          });
      }
      if (current?.tool === 'multi_round' && current.round === 2) {
        const step2 = accepted(responses(ctx), 'step2');
        if (step2) return text(`${current.name ?? ''} likes ${String(step2.color)}`);
      }
      return inputRequired({
        inputRequests: { step1: ask('Step 1: What is your name?', 'name') },
        requestState: await state.mint({ tool: 'multi_round', round: 1 }),
      });
    },
  );

  server.registerTool(
    'test_logging_tool',
    { description: 'Logs at the level the request asks for' },
    async (ctx) => {
      // On 2026-07-28 a request without a logLevel in its envelope gets no log messages: the SDK drops them.
      await ctx.mcpReq.log('info', 'Tool execution started');
      return text('Logging tool completed');
    },
  );
  server.registerTool(
    'test_streaming_elicitation',
    { description: 'Asks in-band, never with a request' },
    async (ctx) => {
      if (accepted(responses(ctx), 'user_name')) return text('Thanks');
      return inputRequired({ inputRequests: { user_name: ask('What is your name?', 'name') } });
    },
  );
  // Asks only for what the caller declared it can give (its capabilities come with each request).
  server.registerTool(
    'test_input_required_result_capabilities',
    { description: 'Asks only what the caller can answer' },
    async (ctx) => {
      if (responses(ctx) && Object.keys(responses(ctx)!).length) return text('Inputs received');
      const declared = clientCapabilities(ctx.mcpReq.envelope);
      return inputRequired({
        inputRequests: {
          ...(declared.elicitation ? { user_name: ask('What is your name?', 'name') } : {}),
          ...(declared.sampling
            ? {
                greeting: inputRequired.createMessage({
                  messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }],
                  maxTokens: 50,
                }),
              }
            : {}),
          ...(declared.roots ? { client_roots: inputRequired.listRoots() } : {}),
        },
        requestState: await state.mint({ tool: 'capabilities', round: 1 }),
      });
    },
  );
  // Needs sampling: a caller that did not declare it gets -32021 from the SDK's input_required gate.
  server.registerTool('test_missing_capability', { description: 'Needs sampling' }, () =>
    inputRequired({
      inputRequests: {
        answer: inputRequired.createMessage({
          messages: [{ role: 'user', content: { type: 'text', text: 'Say hello' } }],
          maxTokens: 20,
        }),
      },
    }),
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
      argsSchema: z.object({
        arg1: completable(z.string(), (value) =>
          ['testValue1', 'test value two'].filter((v) => v.startsWith(value)),
        ),
        arg2: z.string(),
      }),
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
    { description: 'A prompt embedding a resource', argsSchema: z.object({ resourceUri: z.string() }) },
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
  server.registerPrompt(
    'test_input_required_result_prompt',
    { description: 'A prompt that asks for its context' },
    async (ctx) => {
      const answer = accepted(responses(ctx), 'user_context');
      if (!answer)
        return inputRequired({
          inputRequests: { user_context: ask('What context should the prompt use?', 'context') },
        });
      return {
        messages: [{ role: 'user', content: { type: 'text', text: `Context: ${String(answer.context)}` } }],
      };
    },
  );
  return server;
}
