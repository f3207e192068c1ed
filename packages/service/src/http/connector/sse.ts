import type { BufferedEvent } from '../../broker/event-buffer.ts';

/**
 * No Connection header: HTTP/1.1 keeps the connection by default, and an explicit `keep-alive` would
 * override a caller's `Connection: close`, leaving its socket open after the stream ends.
 */
export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
};

/** An event id names the stream and the event's place in it: `<streamId>:<seq>`. */
function eventId(streamId: string, seq: number): string {
  return `${streamId}:${seq}`;
}

export function parseEventId(id: string): { streamId: string; seq: number } | undefined {
  const colon = id.lastIndexOf(':');
  const seq = Number(id.slice(colon + 1));
  if (colon <= 0 || !/^\d+$/.test(id.slice(colon + 1)) || !Number.isSafeInteger(seq)) return undefined;
  return { streamId: id.slice(0, colon), seq };
}

/** One buffered event as SSE; a final marker (no message) is never written. */
export function sseFrame(event: BufferedEvent): string {
  return `event: message\nid: ${eventId(event.streamId, event.seq)}\ndata: ${event.data}\n\n`;
}
