// The `tunnel-service` operator commands (roles, service-accounts, tunnels, api-keys) run against a
// running service with its owner key, as the walkthrough types them.
import { shellQuote } from './client-process.ts';
import { runCliStreams, SERVICE_BIN } from './processes.ts';
import type { ServiceAddress } from './management-api.ts';

/** Runs `tunnel-service ARGS` against `service`; returns what it printed, and the command line to show. */
export async function operator(
  service: ServiceAddress,
  args: string[],
): Promise<{ value: string; command: string }> {
  const run = await runCliStreams([SERVICE_BIN, ...args], {
    TUNNEL_SERVICE_URL: service.url,
    TUNNEL_SERVICE_API_KEY: service.ownerKey,
  });
  if (run.code !== 0) throw new Error(`tunnel-service ${args[0]} ${args[1]} failed: ${run.stderr}`);
  return { value: run.stdout.trim(), command: `     $ tunnel-service ${args.map(shellQuote).join(' ')}` };
}
