import type { PermissionAtom } from '@mcp-tunnel/protocol';
import type { ApiKeyRow } from '../store/repositories/api-keys.ts';
import type { BrowserSessionRow } from '../store/repositories/browser-sessions.ts';
import type { MemberRow } from '../store/repositories/members.ts';
import type { Store } from '../store/types.ts';
import { hashApiKey } from './api-keys.ts';
import { hashSessionToken } from './browser-sessions.ts';
import { effectivePermissions, roleAtoms } from './permissions.ts';

/**
 * Who is calling: resolved from the API key or the browser session on every request, so revocations, removals
 * and role changes apply at once. Exactly one of `key` and `session` is set.
 */
export interface Principal {
  key: ApiKeyRow | null;
  session: BrowserSessionRow | null;
  /** The member acting: the key's owner, or the signed-in member. */
  owner: MemberRow;
  organizationId: string;
  permissions: Set<PermissionAtom>;
}

/** `last_used_at` is written at most this often per key, so long-polling does not write on every poll. */
const TOUCH_INTERVAL_MS = 10_000;

export class Authenticator {
  readonly #store: Store;
  readonly #touched = new Map<string, number>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** Undefined for a missing, unknown or revoked key, or one whose owner was removed. */
  async authenticate(secret: string): Promise<Principal | undefined> {
    const key = await this.#store.apiKeys.findByHash(hashApiKey(secret));
    if (!key || key.revoked_at) return undefined;
    const owner = await this.#store.members.get(key.owner_id);
    if (!owner || owner.deleted_at) return undefined;
    const roles = await this.#store.roles.getMany(owner.role_ids);
    const permissions = effectivePermissions(key.permissions, roleAtoms(roles));
    await this.#touch(key.id);
    return { key, session: null, owner, organizationId: key.organization_id, permissions };
  }

  /** A browser session acts as its member: the union of the member's roles. Undefined once expired or ended. */
  async authenticateSession(token: string): Promise<Principal | undefined> {
    const session = await this.#store.browserSessions.get(hashSessionToken(token));
    if (!session) return undefined;
    if (Date.parse(session.expires_at) <= Date.now()) {
      await this.#store.browserSessions.delete(session.id_hash);
      return undefined;
    }
    const owner = await this.#store.members.get(session.member_id);
    if (!owner || owner.deleted_at) return undefined;
    const permissions = roleAtoms(await this.#store.roles.getMany(owner.role_ids));
    return { key: null, session, owner, organizationId: session.organization_id, permissions };
  }

  async #touch(keyId: string): Promise<void> {
    const now = Date.now();
    if (now - (this.#touched.get(keyId) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.#touched.set(keyId, now);
    await this.#store.apiKeys.touch(keyId, new Date(now).toISOString());
  }
}

/** The bearer token of an `Authorization` header, or undefined when there is none. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
