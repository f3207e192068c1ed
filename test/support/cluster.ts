// A tunnel-service cluster on this machine: three nodes (the real CLI, each on a port of its own) sharing
// one store and a Redis the harness starts itself under a fresh key prefix. Nodes can be killed (-9) and
// started again on their port; the Redis can be killed and started again, empty.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes.ts';
import { freshKeyPrefix, redisSkip, startTestRedis, type TestRedis } from './redis.ts';
import { startService, type Service } from './service-process.ts';

/** A reason to skip cluster tests, or false (under CI=true what they need is mandatory). */
export function clusterSkip(): string | false {
  return redisSkip();
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
  redis: TestRedis;
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
}

const NAMES = 'ABCDEFGH';

/**
 * Starts Redis and the nodes. The first node creates the store (and the owner); the others start once it
 * listens. The store is one SQLite data directory all nodes open.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const redis = await startTestRedis();
  const keyPrefix = freshKeyPrefix();
  const dataDir = mkdtempSync(join(tmpdir(), 'mcp-tunnel-cluster-'));
  const nodes = new Map<string, ClusterNode>();
  const launch = async (name: string, port: number): Promise<ClusterNode> => {
    const service = await startService({
      dataDir,
      port,
      extraArgs: ['--redis-url', redis.url, '--redis-key-prefix', keyPrefix, ...(options.extraArgs ?? [])],
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
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
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
