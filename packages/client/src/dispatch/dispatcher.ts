import type { PolledCommand } from '@mcp-tunnel/protocol';

/** One received command and its deadline on the monotonic clock (performance.now()), if it has one. */
export interface Job {
  command: PolledCommand;
  receivedAt: number;
  deadline: number | undefined;
}

/** The work queue the poller feeds; four methods, so tests can put their own behind the poller. */
export interface WorkQueue {
  /** Free places in the local queue; the poller asks for at most this many commands. */
  freeSlots(): number;
  /** Resolves once the queue has room again (or the signal aborts). */
  waitForSpace(signal: AbortSignal): Promise<void>;
  /** Accepts every command received, even beyond capacity: a received command is never dropped. */
  submit(job: Job): void;
  /** Cancels queued and running work and waits for the workers to finish. */
  stop(): Promise<void>;
}

export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}
export class ShuttingDown extends Error {
  override name = 'ShuttingDown';
}

export interface DispatcherOptions {
  capacity: number;
  concurrency: number;
  /** Does the work; `signal` aborts at the deadline (DeadlineExceeded) or at shutdown (ShuttingDown). */
  work: (job: Job, signal: AbortSignal) => Promise<void>;
  /** A queued command whose deadline passed before a worker took it. */
  expired: (job: Job) => void;
  changed?: (queued: number, active: number) => void;
}

/** A bounded local queue in front of a worker pool with a concurrency cap. */
export class Dispatcher implements WorkQueue {
  private readonly options: DispatcherOptions;
  private readonly queue: Job[] = [];
  private readonly running = new Map<AbortController, Promise<void>>();
  private readonly spaceWaiters = new Set<() => void>();
  private stopped = false;

  constructor(options: DispatcherOptions) {
    this.options = options;
  }

  freeSlots(): number {
    return Math.max(0, this.options.capacity - this.queue.length);
  }

  get queued(): number {
    return this.queue.length;
  }

  get active(): number {
    return this.running.size;
  }

  waitForSpace(signal: AbortSignal): Promise<void> {
    if (this.freeSlots() > 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.spaceWaiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.spaceWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  submit(job: Job): void {
    if (this.stopped) return;
    this.queue.push(job);
    this.pump();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    for (const controller of this.running.keys())
      controller.abort(new ShuttingDown('tunnel-client is stopping'));
    await Promise.allSettled([...this.running.values()]);
    for (const wake of [...this.spaceWaiters]) wake();
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.options.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      if (job.deadline !== undefined && performance.now() >= job.deadline) {
        this.options.expired(job);
        continue;
      }
      this.run(job);
    }
    if (this.freeSlots() > 0) for (const wake of [...this.spaceWaiters]) wake();
    this.options.changed?.(this.queue.length, this.running.size);
  }

  private run(job: Job): void {
    const controller = new AbortController();
    const timer =
      job.deadline === undefined
        ? undefined
        : setTimeout(
            () => controller.abort(new DeadlineExceeded('the command deadline passed')),
            Math.max(0, job.deadline - performance.now()),
          );
    const done = this.options
      .work(job, controller.signal)
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        this.running.delete(controller);
        this.pump();
      });
    this.running.set(controller, done);
  }
}
