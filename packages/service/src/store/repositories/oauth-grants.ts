import { nullable, oneOf, Table, text, type RowOf } from '../columns.ts';
import type { SqlRunner } from '../runner.ts';

/**
 * A member's approval of one application for one connector URL (a tunnel and channel): the family that its
 * authorization codes, access tokens and refresh tokens belong to. Revoking the grant ends all of them.
 */
const OAUTH_GRANTS = new Table('oauth_grants', {
  id: text,
  organization_id: text,
  member_id: text,
  client_id: text,
  client_name: text,
  redirect_uri: text,
  tunnel_id: text,
  channel: text,
  /** The connector URL the tokens are bound to (RFC 8707). */
  resource: text,
  scope: text,
  created_at: text,
  last_used_at: nullable(text),
  revoked_at: nullable(text),
  /** Why: `member`, `revoked_by_client`, `refresh_token_reused`, `code_reused`. */
  revoked_reason: nullable(text),
});
export type OAuthGrantRow = RowOf<typeof OAUTH_GRANTS>;

const OAUTH_CODES = new Table('oauth_codes', {
  code_hash: text,
  grant_id: text,
  /** The PKCE S256 challenge the code was asked with. */
  code_challenge: text,
  expires_at: text,
  used_at: nullable(text),
});
export type OAuthCodeRow = RowOf<typeof OAUTH_CODES>;

const OAUTH_TOKENS = new Table('oauth_tokens', {
  token_hash: text,
  grant_id: text,
  kind: oneOf('access', 'refresh'),
  created_at: text,
  expires_at: text,
  used_at: nullable(text),
});
export type OAuthTokenRow = RowOf<typeof OAUTH_TOKENS>;

/** What a code or refresh token was when it was presented: first use, or a second one. */
export type Redemption<T> = { row: T; firstUse: boolean } | undefined;

export interface OAuthGrantRepository {
  create(grant: OAuthGrantRow): Promise<void>;
  get(id: string): Promise<OAuthGrantRow | undefined>;
  /** The grants of an organization, or of one member of it, revoked ones included, newest first. */
  list(organizationId: string, memberId?: string): Promise<OAuthGrantRow[]>;
  /** Revokes the grant unless it already is; the first revocation's time and reason stay. */
  revoke(id: string, at: string, reason: string): Promise<void>;
  /** Records when a token of the grant was last used. */
  touch(id: string, at: string): Promise<void>;
  addCode(code: OAuthCodeRow): Promise<void>;
  /** Marks the code used at `at`; says whether this was its first use. Undefined for an unknown code. */
  redeemCode(codeHash: string, at: string): Promise<Redemption<OAuthCodeRow>>;
  addToken(token: OAuthTokenRow): Promise<void>;
  findToken(tokenHash: string): Promise<OAuthTokenRow | undefined>;
  /** Marks a refresh token used at `at`; says whether this was its first use. Undefined when unknown. */
  redeemRefreshToken(tokenHash: string, at: string): Promise<Redemption<OAuthTokenRow>>;
  /** Deletes codes and tokens that expired before `at`. */
  deleteExpired(at: string): Promise<void>;
}

export function sqlOAuthGrants(sql: SqlRunner): OAuthGrantRepository {
  /** One statement decides the first use, so two concurrent redemptions cannot both win. */
  const redeem = async <T>(
    table: Table<T & object>,
    key: string,
    keyValue: string,
    at: string,
    extra = '',
  ): Promise<Redemption<T>> => {
    const row = await table.one(sql, `WHERE ${key} = ?${extra}`, [keyValue]);
    if (!row) return undefined;
    const changed = await sql.run(
      `UPDATE ${table.name} SET used_at = ? WHERE ${key} = ? AND used_at IS NULL${extra}`,
      [at, keyValue],
    );
    return { row: row as T, firstUse: changed === 1 };
  };
  return {
    create: (grant) => OAUTH_GRANTS.insert(sql, grant),
    get: (id) => OAUTH_GRANTS.one(sql, 'WHERE id = ?', [id]),
    list: (organizationId, memberId) =>
      memberId
        ? OAUTH_GRANTS.all(
            sql,
            'WHERE organization_id = ? AND member_id = ? ORDER BY created_at DESC, id DESC',
            [organizationId, memberId],
          )
        : OAUTH_GRANTS.all(sql, 'WHERE organization_id = ? ORDER BY created_at DESC, id DESC', [
            organizationId,
          ]),
    revoke: async (id, at, reason) => {
      await sql.run(
        'UPDATE oauth_grants SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL',
        [at, reason, id],
      );
    },
    touch: async (id, at) => {
      await sql.run('UPDATE oauth_grants SET last_used_at = ? WHERE id = ?', [at, id]);
    },
    addCode: (code) => OAUTH_CODES.insert(sql, code),
    redeemCode: (codeHash, at) => redeem(OAUTH_CODES, 'code_hash', codeHash, at),
    addToken: (token) => OAUTH_TOKENS.insert(sql, token),
    findToken: (tokenHash) => OAUTH_TOKENS.one(sql, 'WHERE token_hash = ?', [tokenHash]),
    redeemRefreshToken: (tokenHash, at) =>
      redeem(OAUTH_TOKENS, 'token_hash', tokenHash, at, " AND kind = 'refresh'"),
    deleteExpired: async (at) => {
      await sql.run('DELETE FROM oauth_codes WHERE expires_at < ?', [at]);
      await sql.run('DELETE FROM oauth_tokens WHERE expires_at < ?', [at]);
    },
  };
}
