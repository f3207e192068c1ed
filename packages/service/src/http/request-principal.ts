import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.ts';
import { invalidApiKey } from './errors.ts';

/** The caller, or the refusal of the key or cookie it presented. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal) return request.principal;
  throw (
    request.authRefusal ??
    invalidApiKey('This endpoint needs an API key ("Authorization: Bearer <key>") or a signed-in session.')
  );
}

/** What authorized a poll, as the broker knows it (PollingClient.credential): `key:<id>` or `member:<id>`. */
export function credentialOf(principal: Principal): string {
  return principal.key ? keyCredential(principal.key.id) : `member:${principal.owner.id}`;
}

export const keyCredential = (keyId: string) => `key:${keyId}`;
