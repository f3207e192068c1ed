// `npm run demo`: the seed walkthrough on one machine. Starts the tunnel-service (embedded: SQLite and an
// in-process broker, in a fresh data directory), creates a role and a runtime key with Tunnels Read + Use
// and a tunnel with the `tunnel-service` operator commands, runs `tunnel-client init` and `tunnel-client
// run --profile`, then calls the calculator's `add` tool through the tunnel with the official MCP SDK
// client. Ctrl-C stops everything; `--once` exits after the call. `--cluster` runs it on three nodes of a
// cluster instead (scripts/demo-cluster.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startService, type Service } from '../test/support/service-process.ts';
import { startClient, waitReady } from '../test/support/client-process.ts';
import { operator as runOperator } from '../test/support/operator.ts';
import { runClusterDemo } from './demo-cluster.ts';

const { values } = parseArgs({
  options: {
    once: { type: 'boolean', default: false },
    port: { type: 'string' },
    cluster: { type: 'boolean', default: false },
  },
});
if (values.cluster) await runClusterDemo(values.once);

const dataDir = mkdtempSync(join(tmpdir(), 'mcp-tunnel-demo-'));
const say = (line = '') => console.log(line);

async function startServiceOnPreferredPort(): Promise<Service> {
  const preferred = Number(values.port ?? (values.once ? 0 : 8787));
  try {
    return await startService({ dataDir, port: preferred });
  } catch (error) {
    if (preferred === 0 || !/EADDRINUSE/.test(String(error))) throw error;
    say(`Port ${preferred} is busy; using a free port instead.`);
    return startService({ dataDir, port: 0 });
  }
}

const operator = (args: string[]) => runOperator(service, args);

const service = await startServiceOnPreferredPort();
const cleanups: (() => Promise<void>)[] = [() => service.stop()];
const shutdown = async (code: number) => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(code);
};
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  say(`1. tunnel-service is running at ${service.url} (data in ${dataDir})`);
  const role = await operator([
    'roles',
    'create',
    'tunnel runtime',
    '--permission',
    'tunnel.read,tunnel.use',
  ]);
  const account = await operator(['service-accounts', 'create', 'laptop', '--role', role.value]);
  const tunnel = await operator(['tunnels', 'create', 'calculator']);
  const runtime = { runtimeKey: account.value, tunnelId: tunnel.value };
  say(`2. Created a role with Tunnels Read + Use, a runtime key holding it, and tunnel ${runtime.tunnelId}:`);
  for (const step of [role, account, tunnel]) say(step.command);

  const client = await startClient(service, runtime);
  cleanups.push(() => client.stop());
  say('3. Started the tunnel-client as the walkthrough does:');
  for (const command of client.commands) say(`     $ ${command}`);
  await waitReady(client.opsUrl);

  const connectorUrl = new URL(`/v1/mcp/${runtime.tunnelId}`, service.url);
  const caller = await operator(['api-keys', 'create', 'connector caller', '--permission', 'tunnel.use']);
  const mcp = new McpClient({ name: 'mcp-tunnel-demo', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(connectorUrl, {
    requestInit: { headers: { Authorization: `Bearer ${caller.value}` } },
  });
  await mcp.connect(transport);
  const { tools } = await mcp.listTools();
  say(
    `4. With a key for MCP callers, the MCP server offers through the tunnel: ${tools.map((t) => t.name).join(', ')}`,
  );
  say(caller.command);
  const result = await mcp.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
  const text = (result.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('');
  say(`5. tools/call add {"a":5,"b":3} -> ${text}`);
  await transport.terminateSession();
  await mcp.close();

  say();
  say(`Connector URL:  ${connectorUrl.href}`);
  say(`Caller key:     ${caller.value}   (Tunnels Use; send it as "Authorization: Bearer <key>")`);
  say(`Client ops UI:  ${new URL('/ui', client.opsUrl).href}`);
  say(`Owner key:      ${service.ownerKey}`);
  say(
    `Web console:    ${new URL('/console/', service.url).href}   (first visit: set up the owner's sign-in with the owner key)`,
  );
  if (values.once) {
    await shutdown(text === '5 + 3 = 8' ? 0 : 1);
  } else {
    say();
    say('Everything keeps running; press Ctrl-C to stop.');
  }
} catch (error) {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
}
