import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export interface StdioChildOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  /** The longest line accepted from the child; a longer one is an error and closes the transport. */
  maxLineBytes: number;
  /** Called with each line the child writes to its stderr. */
  onStderrLine: (line: string) => void;
}

/** How long close() waits for the child after ending its stdin, and again after SIGTERM. */
const EXIT_WAIT_MS = 2000;
const NEWLINE = 0x0a;

/**
 * A child process speaking newline-delimited JSON-RPC on its stdin/stdout (the MCP stdio transport).
 * The tunnel relays messages, so a line is parsed as JSON and checked to be a JSON-RPC 2.0 object, not
 * validated against every MCP schema (the SDK's StdioClientTransport does that on each message, and its
 * module loads them all). Lines are collected as chunks and joined once, so a big message costs linear time.
 */
export class StdioChildTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly options: StdioChildOptions;
  private child?: ChildProcess;
  /** The bytes of the line being read, as received. */
  private partial: Buffer[] = [];
  private partialBytes = 0;

  constructor(options: StdioChildOptions) {
    this.options = options;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  start(): Promise<void> {
    if (this.child) throw new Error('the MCP server process is already started');
    return new Promise((resolve, reject) => {
      const child = spawn(this.options.command, this.options.args, {
        env: this.options.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        shell: false,
        windowsHide: true,
      });
      this.child = child;
      child.on('error', (error) => {
        reject(error);
        this.onerror?.(error);
      });
      child.on('spawn', () => resolve());
      child.on('close', () => {
        if (this.child === child) this.child = undefined;
        this.onclose?.();
      });
      child.stdin!.on('error', (error) => this.onerror?.(error));
      child.stdout!.on('error', (error) => this.onerror?.(error));
      child.stdout!.on('data', (chunk: Buffer) => this.receive(chunk));
      createInterface({ input: child.stderr! }).on('line', this.options.onStderrLine);
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin) return Promise.reject(new Error('the MCP server process is not running'));
    return new Promise((resolve) => {
      if (stdin.write(JSON.stringify(message) + '\n')) resolve();
      else stdin.once('drain', resolve);
    });
  }

  /** Ends the child's stdin, then signals it (SIGTERM, then SIGKILL) if it does not exit in time. */
  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.partial = [];
    this.partialBytes = 0;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const exitedWithin = () =>
      Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, EXIT_WAIT_MS).unref())]);
    child.stdin?.end();
    await exitedWithin();
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exitedWithin();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  private receive(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      const tail = chunk.subarray(start, end);
      const line =
        this.partial.length === 0
          ? tail
          : Buffer.concat([...this.partial, tail], this.partialBytes + tail.length);
      this.partial = [];
      this.partialBytes = 0;
      start = end + 1;
      if (line.length > this.options.maxLineBytes) return this.overflow(line.length);
      this.deliver(line);
      // A handler may have closed the transport.
      if (!this.child) return;
    }
    if (start === chunk.length) return;
    this.partial.push(start === 0 ? chunk : chunk.subarray(start));
    this.partialBytes += chunk.length - start;
    if (this.partialBytes > this.options.maxLineBytes) this.overflow(this.partialBytes);
  }

  private deliver(bytes: Buffer): void {
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    const text = bytes.toString('utf8', 0, end);
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (error) {
      this.onerror?.(
        new SyntaxError(
          `the MCP server wrote a line that is not JSON (${(error as Error).message}): ${excerpt(text)}`,
        ),
      );
      return;
    }
    if (
      typeof message !== 'object' ||
      message === null ||
      (message as { jsonrpc?: unknown }).jsonrpc !== '2.0'
    ) {
      this.onerror?.(
        new SyntaxError(`the MCP server wrote a line that is not a JSON-RPC 2.0 message: ${excerpt(text)}`),
      );
      return;
    }
    try {
      this.onmessage?.(message as JSONRPCMessage);
    } catch (error) {
      // A handler's failure must not escape the child's stream (it would end the client).
      this.onerror?.(error as Error);
    }
  }

  private overflow(bytes: number): void {
    this.onerror?.(
      new Error(
        `the MCP server wrote a line of more than ${this.options.maxLineBytes} bytes (${bytes} so far); ` +
          'raise mcp.max_message_bytes if its messages are that big',
      ),
    );
    void this.close();
  }
}

function excerpt(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
