/** Incremental `text/event-stream` parsing: feed chunks, get each event's data as it completes. */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  /** The last `id:` seen, for resuming the stream with Last-Event-ID. */
  lastEventId: string | undefined;
  /** The last `retry:` seen, in ms: how long to wait before resuming. */
  retryMs: number | undefined;

  /** Returns the data of every event completed by this chunk. */
  push(chunk: string): string[] {
    this.buffer += chunk;
    const events: string[] = [];
    let newline: number;
    while ((newline = this.buffer.search(/\r\n|\r|\n/)) !== -1) {
      const line = this.buffer.slice(0, newline);
      const width = this.buffer.startsWith('\r\n', newline) ? 2 : 1;
      // A lone \r at the end of the buffer may be the first half of \r\n: wait for more.
      if (width === 1 && this.buffer[newline] === '\r' && newline === this.buffer.length - 1) break;
      this.buffer = this.buffer.slice(newline + width);
      if (line === '') {
        if (this.data.length) events.push(this.data.join('\n'));
        this.data = [];
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      } else if (line.startsWith('id:')) {
        this.lastEventId = line.slice(line.startsWith('id: ') ? 4 : 3);
      } else if (/^retry: ?\d+$/.test(line)) {
        this.retryMs = Number(line.slice(6));
      }
    }
    return events;
  }
}
