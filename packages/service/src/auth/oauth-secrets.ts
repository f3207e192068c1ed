import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SECRET_PREFIX } from '@mcp-tunnel/protocol';

/**
 * The secrets of the OAuth flows. Each kind has its own prefix, distinct from API keys' `mcpt_`, so a bearer
 * token says what it is before any lookup, and a leaked one is recognisable. Only hashes are stored.
 */
export const OAUTH_PREFIX = {
  access: SECRET_PREFIX.oauthAccessToken,
  refresh: SECRET_PREFIX.oauthRefreshToken,
  code: SECRET_PREFIX.oauthCode,
} as const;

export function newOAuthSecret(kind: keyof typeof OAUTH_PREFIX): { secret: string; hash: string } {
  const secret = `${OAUTH_PREFIX[kind]}${randomBytes(32).toString('base64url')}`;
  return { secret, hash: hashOAuthSecret(secret) };
}

export function hashOAuthSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export const isAccessToken = (secret: string) => secret.startsWith(OAUTH_PREFIX.access);

/** RFC 7636 S256: the challenge is the unpadded base64url SHA-256 of the verifier. */
export function pkceMatches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/** A verifier of RFC 7636 §4.1: 43 to 128 unreserved characters. */
export const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** An S256 challenge: 43 base64url characters. */
export const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
