import type { Store } from './types.ts';
import { StoreUnavailable } from './unavailable.ts';

/** How old a remembered read may be and still answer while the database cannot be reached. */
export const LAST_KNOWN_MAX_AGE_MS = 5 * 60_000;
/** Remembered reads per kind; the oldest goes first. */
const MAX_ENTRIES = 10_000;

/** The last successful result of each read, by its arguments. */
class Remembered<T> {
  readonly #values = new Map<string, { value: T; at: number }>();

  /** Reads through `load`; while the database cannot be reached, answers with a fresh enough earlier result. */
  async read(key: string, load: () => Promise<T>): Promise<T> {
    try {
      const value = await load();
      this.#values.delete(key);
      this.#values.set(key, { value, at: Date.now() });
      if (this.#values.size > MAX_ENTRIES) this.#values.delete(this.#values.keys().next().value!);
      return value;
    } catch (error) {
      const known = this.#values.get(key);
      if (error instanceof StoreUnavailable && known && Date.now() - known.at <= LAST_KNOWN_MAX_AGE_MS)
        return known.value;
      throw error;
    }
  }
}

/** A write that only records when something was last used: skipped while the database cannot be reached. */
async function bestEffort(write: Promise<void>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (!(error instanceof StoreUnavailable)) throw error;
  }
}

/**
 * The store as the hot path of a cluster node needs it: while the database cannot be reached, the reads
 * that authenticate callers and route their calls (keys, members, roles, OAuth tokens and grants, tunnels,
 * MCP sessions) answer with what this node read within the last LAST_KNOWN_MAX_AGE_MS, and "last used"
 * writes are skipped. So tunnel-clients keep polling and answering, and callers seen lately keep calling.
 * Every other read and every change fails with StoreUnavailable (a 503). The price: a key revoked on
 * another node just before the database went away still works here until its remembered read ages out.
 */
export function lastKnownStore(store: Store): Store {
  const keys = new Remembered<Awaited<ReturnType<Store['apiKeys']['findByHash']>>>();
  const members = new Remembered<Awaited<ReturnType<Store['members']['get']>>>();
  const roles = new Remembered<Awaited<ReturnType<Store['roles']['getMany']>>>();
  const tokens = new Remembered<Awaited<ReturnType<Store['oauthGrants']['findToken']>>>();
  const grants = new Remembered<Awaited<ReturnType<Store['oauthGrants']['get']>>>();
  const tunnels = new Remembered<Awaited<ReturnType<Store['tunnels']['get']>>>();
  const sessions = new Remembered<Awaited<ReturnType<Store['mcpSessions']['get']>>>();
  const minted = new Remembered<boolean>();
  return {
    ...store,
    apiKeys: {
      ...store.apiKeys,
      findByHash: (hash) => keys.read(hash, () => store.apiKeys.findByHash(hash)),
      touch: (id, at) => bestEffort(store.apiKeys.touch(id, at)),
    },
    members: { ...store.members, get: (id) => members.read(id, () => store.members.get(id)) },
    roles: {
      ...store.roles,
      getMany: (ids) => roles.read(JSON.stringify(ids), () => store.roles.getMany(ids)),
    },
    oauthGrants: {
      ...store.oauthGrants,
      findToken: (hash) => tokens.read(hash, () => store.oauthGrants.findToken(hash)),
      get: (id) => grants.read(id, () => store.oauthGrants.get(id)),
      touch: (id, at) => bestEffort(store.oauthGrants.touch(id, at)),
    },
    tunnels: { ...store.tunnels, get: (id) => tunnels.read(id, () => store.tunnels.get(id)) },
    mcpSessions: {
      ...store.mcpSessions,
      get: (tunnelId, id) => sessions.read(`${tunnelId} ${id}`, () => store.mcpSessions.get(tunnelId, id)),
      hasMinted: (tunnelId, channel) =>
        minted.read(`${tunnelId} ${channel}`, () => store.mcpSessions.hasMinted(tunnelId, channel)),
      touch: (tunnelId, id, at) => bestEffort(store.mcpSessions.touch(tunnelId, id, at)),
    },
  };
}
