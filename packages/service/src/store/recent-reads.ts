import type { SqlRunner } from './runner.ts';
import type { Store } from './types.ts';

/**
 * How long a read that authenticates or routes a call is answered from memory. A change made through this
 * store ends every remembered read at once; a change made by another node of a cluster (or another
 * process on the same database) reaches this node's reads within this bound.
 */
export const RECENT_READ_MAX_AGE_MS = 1000;

const isRead = (sql: string) => /^\s*SELECT\b/i.test(sql);

/** Freezes a remembered row and what it holds: every caller gets the same object, so none may change it. */
function frozen<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) frozen(inner);
  }
  return value;
}

/**
 * The results of the hot reads, each kept RECENT_READ_MAX_AGE_MS from when it was read. A write forgets
 * them all, and a read that was running while a write began or ended is not kept (it may predate it).
 */
class RecentReads {
  #generation = 0;
  readonly #entries = new Map<string, { value: unknown; at: number }>();
  /** When aged entries are next dropped: once per RECENT_READ_MAX_AGE_MS, not on every read. */
  #sweepAt = 0;

  changed(): void {
    this.#generation += 1;
    this.#entries.clear();
  }

  async read<T>(key: string, load: () => Promise<T>): Promise<T> {
    const now = performance.now();
    const known = this.#entries.get(key);
    if (known && now - known.at < RECENT_READ_MAX_AGE_MS) return known.value as T;
    if (now >= this.#sweepAt) {
      for (const [aged, entry] of this.#entries)
        if (now - entry.at >= RECENT_READ_MAX_AGE_MS) this.#entries.delete(aged);
      this.#sweepAt = now + RECENT_READ_MAX_AGE_MS;
    }
    const generation = this.#generation;
    const value = await load();
    if (generation === this.#generation) this.#entries.set(key, { value: frozen(value), at: now });
    return value;
  }
}

/** The runner with every statement that may change something (anything but a SELECT) reported. */
function reportingWrites(sql: SqlRunner, changed: () => void): SqlRunner {
  const write = async <T>(statement: () => Promise<T>): Promise<T> => {
    changed();
    try {
      return await statement();
    } finally {
      changed();
    }
  };
  return {
    all: (text, params) => (isRead(text) ? sql.all(text, params) : write(() => sql.all(text, params))),
    one: (text, params) => (isRead(text) ? sql.one(text, params) : write(() => sql.one(text, params))),
    run: (text, params) => write(() => sql.run(text, params)),
    exec: (script) => write(() => sql.exec(script)),
    transaction: (work) => write(() => sql.transaction((inner) => work(reportingWrites(inner, changed)))),
  };
}

/**
 * The store built by `build` over `sql`, with the reads that authenticate and route every call (its key,
 * member, roles, OAuth token and grant, and tunnel) answered from memory for RECENT_READ_MAX_AGE_MS: a
 * revocation, removal, role change or deletion made here applies to the next call. MCP sessions are read
 * each time: a session ended on one node must be refused on every other at once.
 */
export function withRecentReads(sql: SqlRunner, build: (sql: SqlRunner) => Store): Store {
  const recent = new RecentReads();
  const store = build(reportingWrites(sql, () => recent.changed()));
  const { apiKeys, members, roles, tunnels, oauthGrants } = store;
  return {
    ...store,
    apiKeys: { ...apiKeys, findByHash: (hash) => recent.read(`key ${hash}`, () => apiKeys.findByHash(hash)) },
    members: { ...members, get: (id) => recent.read(`member ${id}`, () => members.get(id)) },
    roles: {
      ...roles,
      // A list of its own for each caller, who may sort it; the rows in it are shared.
      getMany: async (ids) => [...(await recent.read(`roles ${ids.join(' ')}`, () => roles.getMany(ids)))],
    },
    tunnels: { ...tunnels, get: (id) => recent.read(`tunnel ${id}`, () => tunnels.get(id)) },
    oauthGrants: {
      ...oauthGrants,
      findToken: (hash) => recent.read(`token ${hash}`, () => oauthGrants.findToken(hash)),
      get: (id) => recent.read(`grant ${id}`, () => oauthGrants.get(id)),
    },
  };
}
