import { PERMISSION_ATOMS, PERMISSION_LABELS, type PermissionAtom } from '@mcp-tunnel/protocol';
import type { RoleRow } from '../store/repositories/roles.ts';

/** What the owner's roles grant: the union of their atoms; the built-in Owner role grants every atom. */
export function roleAtoms(roles: RoleRow[]): Set<PermissionAtom> {
  const granted = new Set<PermissionAtom>();
  for (const role of roles) {
    const atoms = role.builtin === 'owner' ? PERMISSION_ATOMS : role.permissions;
    for (const atom of atoms) granted.add(atom);
  }
  return granted;
}

/** A key may do what its own atoms allow and its owner may do right now; an unrestricted key, all of the latter. */
export function effectivePermissions(
  keyAtoms: PermissionAtom[] | null,
  ownerAtoms: Set<PermissionAtom>,
): Set<PermissionAtom> {
  if (keyAtoms === null) return new Set(ownerAtoms);
  return new Set(keyAtoms.filter((atom) => ownerAtoms.has(atom)));
}

/** Atoms in canonical order, for stable output. */
export function sortedAtoms(atoms: Iterable<PermissionAtom>): PermissionAtom[] {
  const set = new Set(atoms);
  return PERMISSION_ATOMS.filter((atom) => set.has(atom));
}

export function describeAtoms(atoms: Iterable<PermissionAtom>): string {
  return [...atoms].map((atom) => `${PERMISSION_LABELS[atom]} (${atom})`).join(', ');
}
