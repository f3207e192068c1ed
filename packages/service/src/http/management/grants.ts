import type { PermissionAtom } from '@mcp-tunnel/protocol';
import type { Principal } from '../../auth/principal.ts';
import { describeAtoms } from '../../auth/permissions.ts';
import { forbidden } from '../errors.ts';

/** Nobody hands out more than they hold: a role, key or account may only carry the caller's own atoms. */
export function requireHeld(
  principal: Principal,
  atoms: Iterable<PermissionAtom>,
  what: string,
  param: string,
): void {
  const missing = [...new Set(atoms)].filter((atom) => !principal.permissions.has(atom));
  if (missing.length === 0) return;
  throw forbidden(
    'permission_denied',
    `${what} would carry permissions this API key does not hold: ${describeAtoms(missing)}. Ask for only permissions your key has (GET /v1/me lists them), or use a key that holds them.`,
    param,
  );
}
