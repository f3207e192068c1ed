import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PolledCommand } from '@mcp-tunnel/protocol';
import { retryAfterMs } from '../src/base/backoff.ts';
import type { ReceivedCommand } from '../src/controlplane/command-queue.ts';
import { DeadlineExceeded, ShuttingDown, WorkerPool } from '../src/dispatch/worker-pool.ts';

const job = (n: number, deadline?: number): ReceivedCommand => ({
  command: {
    request_id: `r${n}`,
    shard_token: 's',
    channel: 'main',
    created_at: '',
    headers: {},
    command_type: 'jsonrpc',
    jsonrpc: { jsonrpc: '2.0' },
  } as PolledCommand,
  receivedAt: performance.now(),
  deadline,
});

test('bounded queue, concurrency cap, deadlines and shutdown', { timeout: 10_000 }, async () => {
  const releases: (() => void)[] = [];
  const aborted: unknown[] = [];
  const expired: string[] = [];
  let running = 0;
  let peak = 0;
  const pool = new WorkerPool({
    capacity: 2,
    concurrency: 2,
    expired: (j) => expired.push(j.command.request_id),
    work: (_job, signal) =>
      new Promise<void>((resolve) => {
        running++;
        peak = Math.max(peak, running);
        const done = () => {
          running--;
          resolve();
        };
        releases.push(done);
        signal.addEventListener('abort', () => {
          aborted.push(signal.reason);
          done();
        });
      }),
  });
  for (let n = 0; n < 4; n++) pool.submit(job(n));
  assert.equal(pool.active, 2);
  assert.equal(pool.freeSlots(), 0, 'two running, two queued: the queue is full, so no poll');
  let space = false;
  const waiting = pool.waitForSpace(new AbortController().signal).then(() => (space = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(space, false);
  releases.shift()!();
  await waiting;
  assert.equal(pool.freeSlots(), 1);
  assert.equal(peak, 2, 'never more than the concurrency cap');

  // A job whose deadline passed while queued is dropped unseen; a running one is aborted at its deadline.
  releases.shift()!(); // the last queued job starts; two run, none wait
  pool.submit(job(9, performance.now() - 1));
  releases.shift()!();
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(expired, ['r9']);
  pool.submit(job(10, performance.now() + 30));
  await new Promise((r) => setTimeout(r, 80));
  assert.ok(aborted.some((reason) => reason instanceof DeadlineExceeded));

  await pool.stop();
  assert.ok(aborted.some((reason) => reason instanceof ShuttingDown));
  assert.equal(running, 0);
});

test('Retry-After: seconds or HTTP date, malformed ignored, large capped', () => {
  assert.equal(retryAfterMs('3'), 3000);
  assert.ok((retryAfterMs(new Date(Date.now() + 10_000).toUTCString()) ?? 0) > 8000);
  assert.equal(retryAfterMs('soon'), undefined);
  assert.equal(retryAfterMs('999999'), 300_000);
});
