// The command-stream extension (a WebSocket carrying commands and responses) as a tunnel-client speaks
// it, scripted by the test: open it, give credits, read frames, send responses and read their acks.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { WebSocket } from 'undici';
import { COMMAND_STREAM_PATH } from '@mcp-tunnel/protocol';
import type { Runtime } from './management-api.ts';
import { CLIENT_HEADERS, type Loose } from './scripted-tunnel-client.ts';

export interface ScriptedStream {
  /** The next frame the service sent that `matches` (by default any); frames before it are kept. */
  next: (matches?: (frame: Loose) => boolean, timeoutMs?: number) => Promise<Loose>;
  /** Sends one frame: an object as JSON, a string as it is. */
  send: (frame: unknown) => void;
  credit: (credits: number) => void;
  /** Sends a response frame and resolves with its ack. */
  respond: (command: { shard_token: string }, payload: Record<string, unknown>) => Promise<Loose>;
  /** Resolves with the close code and reason once the stream is closed (by either side). */
  closed: Promise<{ code: number; reason: string }>;
  close: () => void;
}

const streamUrl = (url: string, runtime: Runtime, query: string) =>
  new URL(`/v1/tunnels/${runtime.tunnelId}${COMMAND_STREAM_PATH}${query ? `?${query}` : ''}`, url);

/** Opens a command stream with `runtime`'s key and the scripted client's headers (`headers` add to them). */
export async function openStream(
  url: string,
  runtime: Runtime,
  options: { headers?: Record<string, string>; query?: string } = {},
): Promise<ScriptedStream> {
  const ws = new WebSocket(streamUrl(url, runtime, options.query ?? '').href.replace(/^http/, 'ws'), {
    headers: { authorization: `Bearer ${runtime.runtimeKey}`, ...CLIENT_HEADERS, ...options.headers },
  });
  const frames: Loose[] = [];
  let arrived: (() => void) | undefined;
  ws.onmessage = (event) => {
    frames.push(JSON.parse(String(event.data)));
    arrived?.();
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.onclose = (event) => {
      resolve({ code: event.code, reason: event.reason });
      arrived?.();
    };
  });
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('the command stream could not be opened'));
  });
  let ackId = 0;
  const next = async (matches: (frame: Loose) => boolean = () => true, timeoutMs = 10_000) => {
    const until = performance.now() + timeoutMs;
    for (;;) {
      const at = frames.findIndex(matches);
      if (at >= 0) return frames.splice(at, 1)[0];
      if (ws.readyState === WebSocket.CLOSED) throw new Error('the command stream closed');
      const left = until - performance.now();
      if (left <= 0) throw new Error(`no such frame within ${timeoutMs} ms; got ${JSON.stringify(frames)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        arrived = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  const send = (frame: unknown) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  return {
    next,
    send,
    credit: (credits) => send({ type: 'credit', credits }),
    respond: (command, payload) => {
      const id = ackId++;
      send({ type: 'response', id, shard_token: command.shard_token, payload });
      return next((frame) => frame.type === 'ack' && frame.id === id);
    },
    closed,
    close: () => ws.close(1000),
  };
}

/**
 * The answer to a stream's upgrade request with `key`: 101 when it would open, else the refusal's status
 * and JSON body (the poll's refusals).
 */
export function upgradeAnswer(
  url: string,
  runtime: Runtime,
  key: string | undefined,
  query = '',
): Promise<{ status: number; body: Loose }> {
  return new Promise((resolve, reject) => {
    // The service closes a refused upgrade's connection after the answer: none is kept for another request.
    const sent = request(streamUrl(url, runtime, query), {
      agent: false,
      headers: {
        ...CLIENT_HEADERS,
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
      },
    });
    sent.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 0, body: undefined });
    });
    sent.on('response', async (response) => {
      let text = '';
      for await (const chunk of response) text += String(chunk);
      resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
    });
    sent.on('error', reject);
    sent.end();
  });
}
