import type { CommandQueue, ReceivedCommand } from '../controlplane/command-queue.ts';

export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}
export class ShuttingDown extends Error {
  override name = 'ShuttingDown';
}

export interface WorkerPoolOptions {
  capacity: number;
  concurrency: number;
  /** Does the work; `signal` aborts at the deadline (DeadlineExceeded) or at shutdown (ShuttingDown). */
  work: (received: ReceivedCommand, signal: AbortSignal) => Promise<void>;
  /** A queued command whose deadline passed before a worker took it. */
  expired: (received: ReceivedCommand) => void;
  changed?: (queued: number, active: number) => void;
}

/** A bounded local queue of received commands in front of workers, at most `concurrency` at once. */
export class WorkerPool implements CommandQueue {
  private readonly options: WorkerPoolOptions;
  private readonly queue: ReceivedCommand[] = [];
  private readonly running = new Map<AbortController, Promise<void>>();
  private readonly spaceWaiters = new Set<() => void>();
  private stopped = false;

  constructor(options: WorkerPoolOptions) {
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

  submit(received: ReceivedCommand): void {
    if (this.stopped) return;
    this.queue.push(received);
    this.pump();
  }

  async stop(): Promise<string[]> {
    this.stopped = true;
    const unstarted = this.queue.splice(0).map((received) => received.command.request_id);
    for (const controller of this.running.keys())
      controller.abort(new ShuttingDown('tunnel-client is stopping'));
    await Promise.allSettled([...this.running.values()]);
    for (const wake of [...this.spaceWaiters]) wake();
    return unstarted;
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.options.concurrency && this.queue.length > 0) {
      const received = this.queue.shift()!;
      if (received.deadline !== undefined && performance.now() >= received.deadline) {
        this.options.expired(received);
        continue;
      }
      this.run(received);
    }
    if (this.freeSlots() > 0) for (const wake of [...this.spaceWaiters]) wake();
    this.options.changed?.(this.queue.length, this.running.size);
  }

  private run(received: ReceivedCommand): void {
    const controller = new AbortController();
    const timer =
      received.deadline === undefined
        ? undefined
        : setTimeout(
            () => controller.abort(new DeadlineExceeded('the command deadline passed')),
            Math.max(0, received.deadline - performance.now()),
          );
    const done = this.options
      .work(received, controller.signal)
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        this.running.delete(controller);
        this.pump();
      });
    this.running.set(controller, done);
  }
}
