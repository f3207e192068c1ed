// The fixture of the end-to-end tests: the real tunnel-service and tunnel-client (their CLIs, as child
// processes), a tunnel with the walkthrough's runtime key, and the MCP server the client runs or reaches.
// Start it with `startSystem` (or `startTunnel` beside other tunnels on one service) and end it with
// `stop()` or `await using`; what started is stopped even when a later step fails.
import { startClient, waitReady, type Client, type ClientOptions } from './client-process.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from './management-api.ts';
import { startService, type Service, type ServiceOptions } from './service-process.ts';

export interface Tunnel extends AsyncDisposable {
  runtime: Runtime;
  /** The tunnel-client serving the tunnel; it answered /readyz, so its main binding is up. */
  client: Client;
  /** The tunnel's connector URL (channel main), where MCP callers connect. */
  connectorUrl: URL;
  stop: () => Promise<void>;
}

export interface TunnelOptions extends RuntimeOptions {
  /** What the tunnel-client serves: the calculator over stdio unless told otherwise. */
  client?: ClientOptions;
}

/** A new tunnel on `service` with its runtime key, served by a ready tunnel-client. */
export async function startTunnel(service: Service, options: TunnelOptions = {}): Promise<Tunnel> {
  const runtime = await createRuntime(service, options);
  const client = await startClient(service, runtime, options.client);
  try {
    await waitReady(client.opsUrl, options.client?.readyTimeoutMs);
  } catch (error) {
    await client.stop();
    throw error;
  }
  return {
    runtime,
    client,
    connectorUrl: new URL(`/v1/mcp/${runtime.tunnelId}`, service.url),
    stop: client.stop,
    [Symbol.asyncDispose]: client.stop,
  };
}

export interface System extends Tunnel {
  service: Service;
}

export interface SystemOptions extends TunnelOptions {
  service?: ServiceOptions;
}

/** A tunnel-service of its own with one tunnel served by a ready tunnel-client. */
export async function startSystem(options: SystemOptions = {}): Promise<System> {
  const service = await startService(options.service);
  let tunnel: Tunnel;
  try {
    tunnel = await startTunnel(service, options);
  } catch (error) {
    await service.stop();
    throw error;
  }
  const stop = async () => {
    await tunnel.stop();
    await service.stop();
  };
  return { ...tunnel, service, stop, [Symbol.asyncDispose]: stop };
}
