import { randomBytes } from 'node:crypto';
import {
  McpServer,
  acceptedContent,
  createRequestStateCodec,
  inputRequired,
} from '@modelcontextprotocol/server';
import { z } from 'zod';

/** What the notes server calls when a note is added, so that each entry publishes the change its own way. */
export interface NotesEvents {
  notesChanged: () => void;
}

type GreetState = { step: 'asked-name' } | { step: 'asked-mood'; name: string };

const NAME = z.object({ name: z.string() });
const MOOD = z.object({ mood: z.string() });

/** The notes, shared by every connection and request of one process. */
const notes: string[] = [];
// Signed with a key of this process: requestState comes back from the client and is untrusted.
const greetState = createRequestStateCodec<GreetState>({ key: randomBytes(32), ttlSeconds: 600 });

/**
 * A small server written once for both protocol eras (official MCP SDK v2): 2026-07-28 callers reach it
 * with `server/discover` and per-request envelopes, 2025 callers with `initialize`. Its tools exercise
 * what differs between the eras: `greet` asks the caller twice (input_required with requestState, served
 * to 2025 callers as elicitation requests), `region` takes an argument mirrored into the `Mcp-Param-Region`
 * header, and `add-note` changes the `notes://all` resource and the prompt list, which listeners hear.
 */
export function createNotesServer(events: NotesEvents): McpServer {
  const server = new McpServer(
    { name: 'notes', version: '1.0.0' },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
      },
      requestState: { verify: greetState.verify },
    },
  );
  server.registerTool(
    'add',
    { description: 'Adds two numbers.', inputSchema: z.object({ a: z.number(), b: z.number() }) },
    async ({ a, b }) => ({ content: [{ type: 'text', text: `${a} + ${b} = ${a + b}` }] }),
  );
  server.registerTool(
    'pid',
    { description: 'The process id of this server (tells children apart).' },
    async () => ({ content: [{ type: 'text', text: String(process.pid) }] }),
  );
  server.registerTool(
    'region',
    {
      description: 'Echoes the region; the argument travels in the Mcp-Param-Region header too.',
      inputSchema: z.object({ region: z.string().meta({ 'x-mcp-header': 'Region' }) }),
    },
    async ({ region }) => ({ content: [{ type: 'text', text: `region ${region}` }] }),
  );
  server.registerTool(
    'greet',
    { description: 'Asks for a name, then for a mood, and greets.' },
    async (ctx) => {
      const state = ctx.mcpReq.requestState<GreetState>();
      switch (state?.step) {
        case undefined:
          return inputRequired({
            inputRequests: { name: inputRequired.elicit({ message: 'Your name?', requestedSchema: NAME }) },
            requestState: await greetState.mint({ step: 'asked-name' }),
          });
        case 'asked-name': {
          const name = acceptedContent(ctx.mcpReq.inputResponses, 'name', NAME)?.name ?? 'stranger';
          return inputRequired({
            inputRequests: { mood: inputRequired.elicit({ message: 'Your mood?', requestedSchema: MOOD }) },
            requestState: await greetState.mint({ step: 'asked-mood', name }),
          });
        }
        case 'asked-mood': {
          const mood = acceptedContent(ctx.mcpReq.inputResponses, 'mood', MOOD)?.mood ?? 'unknown';
          return { content: [{ type: 'text', text: `Hello, ${state.name} (${mood})` }] };
        }
      }
    },
  );
  server.registerTool(
    'add-note',
    { description: 'Adds a note.', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => {
      notes.push(text);
      events.notesChanged();
      return { content: [{ type: 'text', text: `${notes.length} notes` }] };
    },
  );
  server.registerResource(
    'notes',
    'notes://all',
    { description: 'Every note, one a line.', mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: notes.join('\n') }] }),
  );
  server.registerPrompt('summarize', { description: 'Summarize the notes.' }, async () => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Summarize:\n${notes.join('\n')}` } }],
  }));
  return server;
}
