import type { CommandQueue, ReceivedCommand } from '../controlplane/command-queue.ts';
import { isListen, type ListenRelay } from './listens.ts';
import type { StreamRelay } from './streams.ts';
import type { WorkerPool } from './worker-pool.ts';

/**
 * The dispatch side of the polled command queue: a standalone stream goes to the stream relay and a
 * `subscriptions/listen` request to the listen relay, which hold them outside the worker pool (they last
 * minutes or hours and must not hold a worker); everything else is queued for a worker. Only the worker
 * pool's room limits polling.
 */
export class CommandRouter implements CommandQueue {
  private readonly pool: WorkerPool;
  private readonly streams: Pick<StreamRelay, 'start' | 'stop'>;
  private readonly listens: Pick<ListenRelay, 'start' | 'stop'>;

  constructor(
    pool: WorkerPool,
    streams: Pick<StreamRelay, 'start' | 'stop'>,
    listens: Pick<ListenRelay, 'start' | 'stop'>,
  ) {
    this.pool = pool;
    this.streams = streams;
    this.listens = listens;
  }

  freeSlots(): number {
    return this.pool.freeSlots();
  }

  waitForSpace(signal: AbortSignal): Promise<void> {
    return this.pool.waitForSpace(signal);
  }

  submit(received: ReceivedCommand): void {
    if (received.command.command_type === 'standalone_stream') this.streams.start(received);
    else if (isListen(received)) this.listens.start(received);
    else this.pool.submit(received);
  }

  async stop(): Promise<string[]> {
    const [unstarted] = await Promise.all([this.pool.stop(), this.streams.stop(), this.listens.stop()]);
    return unstarted;
  }
}
