// Embedding: one call puts an MCP server built with the official TypeScript SDK (an McpServer or a
// low-level Server) on a tunnel, in the process that built it. The server gets no port and no child
// process: the tunnel-client talks to it over an in-process transport.
import type { InProcessServer } from './bindings/memory.ts';
import { startTunnelClient, type TunnelClientHandle, type TunnelClientOptions } from './runtime/client.ts';
import { ConfigError } from './config/errors.ts';
import { defineConfig } from './config/schema.ts';

export interface ServeOverTunnelOptions {
  /** The tunnel to serve, `tunnel_...`. */
  tunnelId: string;
  /** A runtime key with Tunnels Read + Use. It stays in memory and is sent only to `baseUrl`. */
  apiKey: string;
  /** The tunnel service; default `https://api.openai.com` (OpenAI's hosted service). */
  baseUrl?: string;
  /**
   * Any other setting, as a profile file spells it, e.g. `{ log: { level: 'warn' } }` or
   * `{ health: { listen_addr: '0.0.0.0:8080' } }` (docs/client-config.md). The process environment is
   * not read. The ops server (/healthz, /readyz, /metrics, /ui) listens on a free loopback port unless
   * `health.listen_addr` says otherwise.
   */
  settings?: Record<string, unknown>;
  /** Where the tunnel-client logs; default JSON lines on stdout at `log.level`. */
  logger?: TunnelClientOptions['logger'];
}

export interface TunnelServing {
  /** Live state: the control plane's answer to the last poll, the server's channel, readiness. */
  readonly status: TunnelClientHandle['status'];
  /** Resolves once the tunnel service accepted the first poll (it keeps retrying until then). */
  readonly started: Promise<void>;
  /** Base URL of the ops server. */
  readonly opsUrl: string;
  /** Stops polling, ends the work in flight, disconnects the server and closes the ops server. Safe to call twice. */
  close(): Promise<void>;
}

/** A section of `settings` (control_plane, health) that the call adds to; it must be an object if given. */
function section(settings: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = settings[name] ?? {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(
      `settings.${name} must be an object of ${name} settings, got ${JSON.stringify(value)}`,
    );
  return value as Record<string, unknown>;
}

/**
 * Serves `server` on the tunnel `tunnelId` until `close()`. Returns once the server is connected and
 * polling has begun; a bad setting throws ConfigError before anything starts.
 */
export async function serveOverTunnel(
  server: InProcessServer,
  options: ServeOverTunnelOptions,
): Promise<TunnelServing> {
  const settings = options.settings ?? {};
  const config = defineConfig({
    ...settings,
    control_plane: {
      ...section(settings, 'control_plane'),
      tunnel_id: options.tunnelId,
      api_key: options.apiKey,
      ...(options.baseUrl !== undefined && { base_url: options.baseUrl }),
    },
    health: { listen_addr: '127.0.0.1:0', ...section(settings, 'health') },
  });
  const client = await startTunnelClient(config, { servers: { main: server }, logger: options.logger });
  return {
    status: client.status,
    started: client.started,
    opsUrl: client.opsUrl,
    close: () => client.stop(),
  };
}
