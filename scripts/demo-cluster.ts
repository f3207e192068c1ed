// `npm run demo -- --cluster`: the walkthrough on three tunnel-service nodes sharing one store and Redis.
// The operator commands go to node A, the tunnel-client polls node B, the MCP caller calls node C, and
// node A's live view shows the call: each line says which node served what. Redis is the machine's
// (127.0.0.1:6379, or TUNNEL_SERVICE_REDIS_URL) under a fresh key prefix deleted at the end, else a
// redis-server the demo starts on a free port.
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Redis } from 'ioredis';
import { clusterSkip, startCluster, type Cluster } from '../test/support/cluster.ts';
import { startClient, waitReady } from '../test/support/client-process.ts';
import { api } from '../test/support/management-api.ts';
import { operator } from '../test/support/operator.ts';

const say = (line = '') => console.log(line);

/** The machine's Redis when it answers, else undefined (the cluster then starts its own). */
async function machineRedis(): Promise<string | undefined> {
  const url = process.env.TUNNEL_SERVICE_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return url;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** Runs the cluster walkthrough; with `once`, exits after the call, else runs until Ctrl-C. */
export async function runClusterDemo(once: boolean): Promise<never> {
  let cluster: Cluster | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  const shutdown = async (code: number): Promise<never> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await cluster?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  try {
    const skip = await clusterSkip();
    if (skip) throw new Error(`the cluster demo ${skip}`);
    cluster = await startCluster({ redisUrl: await machineRedis() });
    const [a, b, c] = ['A', 'B', 'C'].map((name) => cluster!.node(name));
    const owner = { url: a!.url, ownerKey: cluster.ownerKey };
    say(
      `1. Three tunnel-service nodes share PostgreSQL database ${cluster.databaseUrl} (fresh) and Redis ${cluster.redisUrl} (keys under ${cluster.keyPrefix}):`,
    );
    for (const node of cluster.nodes) say(`     node ${node.name}  ${node.url}  (${node.nodeId})`);

    const role = await operator(owner, [
      'roles',
      'create',
      'tunnel runtime',
      '--permission',
      'tunnel.read,tunnel.use',
    ]);
    const account = await operator(owner, ['service-accounts', 'create', 'laptop', '--role', role.value]);
    const tunnel = await operator(owner, ['tunnels', 'create', 'calculator']);
    const runtime = { runtimeKey: account.value, tunnelId: tunnel.value };
    say(
      `2. Node A created a role, a runtime key and tunnel ${runtime.tunnelId} (TUNNEL_SERVICE_URL=${a!.url}):`,
    );
    for (const step of [role, account, tunnel]) say(step.command);

    const client = await startClient(b!, runtime);
    cleanups.push(() => client.stop());
    say('3. The tunnel-client polls node B:');
    for (const command of client.commands) say(`     $ ${command}`);
    await waitReady(client.opsUrl);

    const caller = await operator(owner, [
      'api-keys',
      'create',
      'connector caller',
      '--permission',
      'tunnel.use',
    ]);
    const connectorUrl = new URL(`/v1/mcp/${runtime.tunnelId}`, c!.url);
    const mcp = new McpClient({ name: 'mcp-tunnel-demo', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(connectorUrl, {
      requestInit: { headers: { Authorization: `Bearer ${caller.value}` } },
    });
    await mcp.connect(transport);
    const { tools } = await mcp.listTools();
    say(
      `4. An MCP caller on node C (${connectorUrl.href}) sees the tools ${tools.map((t) => t.name).join(', ')}`,
    );
    const result = await mcp.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
    const text = (result.content as { text?: string }[]).map((part) => part.text ?? '').join('');
    say(`5. tools/call add {"a":5,"b":3} on node C -> ${text}`);
    say(
      `     node C queued it in Redis; the client's poll on node B took it at once; the client posted the answer to node B, and Redis routed it to node C (${c!.nodeId}, named by the shard token)`,
    );
    await transport.terminateSession();
    await mcp.close();

    const live = await api<{
      online: boolean;
      recent_traffic: { method: string; tool?: string; status: number }[];
    }>(a!.url, cluster.ownerKey, 'GET', `/v1/tunnels/${runtime.tunnelId}/live`);
    const calls = live.recent_traffic.map((t) => `${t.method}${t.tool ? ` ${t.tool}` : ''} ${t.status}`);
    say(
      `6. Node A's live view: ${live.online ? 'online' : 'offline'}; last calls (newest first): ${calls.join(', ')}`,
    );
    say();
    say(
      `Web console on any node, e.g. ${new URL('/console/', a!.url).href} (owner key: ${cluster.ownerKey})`,
    );
    if (once) return await shutdown(text === '5 + 3 = 8' ? 0 : 1);
    say('Everything keeps running; press Ctrl-C to stop.');
    return await new Promise<never>(() => {});
  } catch (error) {
    console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
    return await shutdown(1);
  }
}
