import type { PermissionAtom } from '@mcp-tunnel/protocol';
import type { ApiKeyRow } from '../store/repositories/api-keys.ts';
import type { BrowserSessionRow } from '../store/repositories/browser-sessions.ts';
import type { MemberRow } from '../store/repositories/members.ts';
import type { OAuthGrantRow } from '../store/repositories/oauth-grants.ts';
import type { Store } from '../store/types.ts';
import { hashApiKey } from './api-keys.ts';
import { hashSessionToken } from './browser-sessions.ts';
import { hashOAuthSecret } from './oauth-secrets.ts';
import { effectivePermissions, roleAtoms } from './permissions.ts';

/**
 * Who is calling: resolved from the API key, the browser session or the OAuth access token on every request,
 * so revocations, removals and role changes apply at once. Exactly one of `key`, `session` and `grant` is set.
 */
export interface Principal {
  key: ApiKeyRow | null;
  session: BrowserSessionRow | null;
  /** An OAuth access token's grant: the caller may use that one connector URL and nothing else. */
  grant: OAuthGrantRow | null;
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
    return { key, session: null, grant: null, owner, organizationId: key.organization_id, permissions };
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
    return { key: null, session, grant: null, owner, organizationId: session.organization_id, permissions };
  }

  /**
   * An OAuth access token acts for the member who approved it, on its one connector URL, with Tunnels Use
   * only while the member's roles still hold it. Undefined once expired or revoked, or its member removed.
   */
  async authenticateAccessToken(secret: string): Promise<Principal | undefined> {
    const token = await this.#store.oauthGrants.findToken(hashOAuthSecret(secret));
    if (!token || token.kind !== 'access' || Date.parse(token.expires_at) <= Date.now()) return undefined;
    const grant = await this.#store.oauthGrants.get(token.grant_id);
    if (!grant || grant.revoked_at) return undefined;
    const owner = await this.#store.members.get(grant.member_id);
    if (!owner || owner.deleted_at) return undefined;
    const held = roleAtoms(await this.#store.roles.getMany(owner.role_ids));
    const permissions = new Set<PermissionAtom>(held.has('tunnel.use') ? ['tunnel.use'] : []);
    await this.#touch(grant.id, (at) => this.#store.oauthGrants.touch(grant.id, at));
    return { key: null, session: null, grant, owner, organizationId: grant.organization_id, permissions };
  }

  async #touch(id: string, write: (at: string) => Promise<void> = (at) => this.#store.apiKeys.touch(id, at)) {
    const now = Date.now();
    if (now - (this.#touched.get(id) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.#touched.set(id, now);
    await write(new Date(now).toISOString());
  }
}

/** The bearer token of an `Authorization` header, or undefined when there is none. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
