/**
 * Permission atoms, as in OpenAI's platform: a role is a named set of them, a restricted key carries
 * its own subset, and what a key may do is its atoms intersected with its owner's.
 */
export const PERMISSION_ATOMS = [
  'tunnel.read',
  'tunnel.write',
  'tunnel.use',
  'api_key.write',
  'member.write',
  'role.write',
  'audit.read',
] as const;
export type PermissionAtom = (typeof PERMISSION_ATOMS)[number];

export const PERMISSION_LABELS: Record<PermissionAtom, string> = {
  'tunnel.read': 'Tunnels Read',
  'tunnel.write': 'Tunnels Manage',
  'tunnel.use': 'Tunnels Use',
  'api_key.write': 'API keys Manage',
  'member.write': 'Members Manage',
  'role.write': 'Roles Manage',
  'audit.read': 'Audit Read',
};

export function isPermissionAtom(value: unknown): value is PermissionAtom {
  return typeof value === 'string' && (PERMISSION_ATOMS as readonly string[]).includes(value);
}
