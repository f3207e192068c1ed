// Reading an MCP caller's SSE stream: whole bodies into their messages, or events one by one as they
// arrive, with the ids a caller resumes from.

/** The data payloads of an SSE body, in order. */
export function sseMessages(text: string): unknown[] {
  return text
    .split(/\n\n/)
    .map((block) =>
      block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('\n'),
    )
    .filter(Boolean)
    .map((data) => JSON.parse(data));
}

export interface SseEvent {
  id: string | undefined;
  message: { id?: unknown; method?: string; params?: { progress?: number }; result?: unknown };
}

/**
 * Reads SSE events as they arrive; `stop` says when to stop reading. Events after the one that satisfies
 * `stop` count as unseen even when they came in the same chunk: on a loaded machine one read can hold
 * several events, and the caller must see exactly the events it stopped at.
 */
export async function readEvents(
  response: Response,
  stop: (events: SseEvent[]) => boolean,
): Promise<SseEvent[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  let buffer = '';
  while (!stop(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while (!stop(events) && (end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      if (!data) continue;
      const id = block.split('\n').find((line) => line.startsWith('id: '));
      events.push({ id: id?.slice(4), message: JSON.parse(data.slice(6)) });
    }
  }
  await reader.cancel().catch(() => {});
  return events;
}

/** The id of the stream's first event that carries data; fails if the stream ends before one. */
export async function firstEventId(response: Response): Promise<string> {
  const [first] = await readEvents(response, (events) => events.length > 0);
  if (!first?.id) throw new Error(`the stream ended without an event id: ${JSON.stringify(first)}`);
  return first.id;
}
