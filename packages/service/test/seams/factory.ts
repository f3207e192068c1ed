// How a contract suite gets the implementation it checks: a fresh instance per test, and a cleanup that
// lets go of it (and of whatever it stored, for implementations backed by a shared server).

export interface Made<T> {
  instance: T;
  cleanup: () => Promise<void>;
}

export type Factory<T, Options> = (options: Options) => Promise<Made<T>>;

/** Runs `body` against a fresh instance and always cleans it up. */
export async function using<T, Options>(
  factory: Factory<T, Options>,
  options: Options,
  body: (instance: T) => Promise<void>,
): Promise<void> {
  const { instance, cleanup } = await factory(options);
  try {
    await body(instance);
  } finally {
    await cleanup();
  }
}

/** A unique tunnel id per test, so implementations on a shared server never see another test's keys. */
export function freshTunnelId(): string {
  return `tunnel_${crypto.randomUUID().replaceAll('-', '')}`;
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
