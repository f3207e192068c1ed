// What the benchmarks measure: `tools/call add` on the calculator, timed call by call, by a number of
// concurrent workers, after warm-up calls.
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';

export interface Result {
  p50: number;
  p99: number;
  throughput: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * `calls` calls of add(5, 3) by `concurrency` workers, after `warmup` calls; workers take the clients in
 * turn, so calls spread over every client (one per service node, say).
 */
export async function measure(
  clients: McpClient[],
  concurrency: number,
  calls: number,
  warmup: number,
): Promise<Result> {
  const call = (client: McpClient) => client.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
  for (let i = 0; i < warmup; i++) await call(clients[i % clients.length]!);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      const client = clients[worker % clients.length]!;
      while (next++ < calls) {
        const t0 = performance.now();
        const result = await call(client);
        latencies.push(performance.now() - t0);
        if ((result.content as { text: string }[])[0]?.text !== '5 + 3 = 8') throw new Error('wrong answer');
      }
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    throughput: (calls / elapsed) * 1000,
  };
}
