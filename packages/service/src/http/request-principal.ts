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
