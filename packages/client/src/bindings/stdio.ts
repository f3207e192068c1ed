import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { SessionMode } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { Binding } from './binding.ts';
import { splitCommandLine } from './command-line.ts';
import { EraRoutingBinding, ModernConnection } from './eras.ts';
import { PerSessionBinding, SessionProcessBudget } from './per-session.ts';
import { SharedConnectionBinding } from './shared-connection.ts';
import { StdioChildTransport } from './stdio-transport.ts';

export interface StdioBindingOptions {
  channel: string;
  command: string;
  log: Logger;
  /** Environment variables withheld from the server (the tunnel's own secrets). */
  withheldEnv?: string[];
  onRestart?: () => void;
  startupWaitMs?: number;
  /** `shared` (default): one child for every session; `per_session`: one child per MCP session. */
  sessionMode?: SessionMode;
  /** per_session: a child whose session sent nothing for this long is stopped. */
  sessionIdleTimeoutMs?: number;
  /** per_session: the cap on children running at once, shared by every per_session channel. */
  sessionBudget?: SessionProcessBudget;
  /** The longest line read from the child (mcp.max_message_bytes). */
  maxMessageBytes?: number;
}

/** The longest line read from a child when the binding is given no limit (the MCP SDK's default). */
const DEFAULT_MAX_LINE_BYTES = 10 * 1024 * 1024;

/**
 * Children speaking newline-delimited JSON-RPC on their stdin/stdout. The command is split into words and
 * run without a shell. The child's stderr lines go to the client's log. A shared child that exits is
 * restarted with backoff; a per-session child that exits ends its session. Callers of the 2026-07-28 era
 * share one more child, whatever the session mode (that era has no sessions).
 */
export function createStdioBinding(options: StdioBindingOptions): Binding {
  const [file, ...args] = splitCommandLine(options.command);
  if (!file) throw new Error(`the MCP command for channel ${options.channel} is empty`);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && !options.withheldEnv?.includes(key)) env[key] = value;
  const log = options.log.child({ channel: options.channel });

  async function open(): Promise<Transport> {
    return new StdioChildTransport({
      command: file!,
      args,
      env,
      maxLineBytes: options.maxMessageBytes ?? DEFAULT_MAX_LINE_BYTES,
      onStderrLine: (line) => log.info({ stream: 'stderr' }, line),
    });
  }

  // Callers of the 2026-07-28 era reach a child of their own (see ModernConnection).
  const modern = new ModernConnection(open, log);
  if (options.sessionMode === 'per_session') {
    const perSession = new PerSessionBinding({
      channel: options.channel,
      open,
      log,
      idleTimeoutMs: options.sessionIdleTimeoutMs ?? 600_000,
      budget: options.sessionBudget ?? new SessionProcessBudget(20),
    });
    return new EraRoutingBinding(perSession, modern, log);
  }
  const shared = new SharedConnectionBinding(
    options.channel,
    {
      kind: 'stdio',
      restarts: true,
      onRestart: options.onRestart,
      startupWaitMs: options.startupWaitMs,
      open,
    },
    log,
  );
  return new EraRoutingBinding(shared, modern, log);
}
