// A tunnel-service cluster on this machine: three nodes (the real CLI, each on a port of its own) sharing
// a fresh PostgreSQL database on the machine's server (dropped at the end) and a Redis under a fresh key
// prefix: one the harness starts itself, which can be killed and
// started again (empty), or a running one whose keys under that prefix are deleted at the end. Nodes can
// be killed (-9) and started again on their port.
import { Redis } from 'ioredis';
import { createTestDatabase, postgresSkip } from './postgres.ts';
import { freePort } from './processes.ts';
import { freshKeyPrefix, redisSkip, startTestRedis, type TestRedis } from './redis.ts';
import { startService, type Service } from './service-process.ts';

/** A reason to skip cluster tests, or false (under CI=true what they need is mandatory). */
export async function clusterSkip(): Promise<string | false> {
  return redisSkip() || (await postgresSkip());
}

export interface ClusterNode {
  name: string;
  url: string;
  port: number;
  /** The node's id, which names it in shard tokens. */
  nodeId: string;
  service: Service;
  /** SIGKILL: the node is gone at once, as on a crash. */
  kill(): Promise<void>;
}

export interface Cluster extends AsyncDisposable {
  nodes: ClusterNode[];
  /** By name: A, B, C, … */
  node(name: string): ClusterNode;
  /** The owner key of the operator's organization (written by the first node on its first start). */
  ownerKey: string;
  /** The fresh PostgreSQL database of the run. */
  databaseUrl: string;
  redisUrl: string;
  /** The Redis the harness started; undefined when it was given one. */
  redis: TestRedis | undefined;
  keyPrefix: string;
  /** Starts a node again (after kill) on its port. */
  restart(name: string): Promise<ClusterNode>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** How many nodes; 3 unless told. */
  nodes?: number;
  /** More `tunnel-service start` arguments for every node. */
  extraArgs?: string[];
  /** A running Redis to use instead of starting one. */
  redisUrl?: string;
}

/** Deletes every key under `prefix`. */
async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>)
      if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

const NAMES = 'ABCDEFGH';

/**
 * Starts Redis, a fresh database and the nodes. The first node migrates the store and creates the owner;
 * the others start once it listens.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const redis = options.redisUrl ? undefined : await startTestRedis();
  const redisUrl = options.redisUrl ?? redis!.url;
  const keyPrefix = freshKeyPrefix();
  const database = await createTestDatabase();
  const nodes = new Map<string, ClusterNode>();
  const launch = async (name: string, port: number): Promise<ClusterNode> => {
    const service = await startService({
      databaseUrl: database.url,
      port,
      extraArgs: ['--redis-url', redisUrl, '--redis-key-prefix', keyPrefix, ...(options.extraArgs ?? [])],
    });
    const [, nodeId] = await service.proc.waitFor(/cluster node (\S+),/);
    const node: ClusterNode = {
      name,
      url: service.url,
      port,
      nodeId: nodeId!,
      service,
      kill: async () => {
        const { child } = service.proc;
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      },
    };
    nodes.set(name, node);
    return node;
  };
  const stop = async () => {
    await Promise.allSettled([...nodes.values()].map((node) => node.service.stop()));
    if (redis) await redis.stop();
    else await deleteKeys(redisUrl, keyPrefix);
    await database.drop();
  };
  try {
    const names = [...NAMES.slice(0, options.nodes ?? 3)];
    const ports = await Promise.all(names.map(() => freePort()));
    const first = await launch(names[0]!, ports[0]!);
    await Promise.all(names.slice(1).map((name, i) => launch(name, ports[i + 1]!)));
    const node = (name: string) => {
      const found = nodes.get(name);
      if (!found) throw new Error(`no node ${name}`);
      return found;
    };
    return {
      get nodes() {
        return [...nodes.values()];
      },
      node,
      ownerKey: first.service.ownerKey,
      databaseUrl: database.url,
      redisUrl,
      redis,
      keyPrefix,
      restart: (name) => launch(name, node(name).port),
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
