// What the signed-in member may do, so the console can disable what the API would refuse anyway.
import {
  PERMISSION_ATOMS,
  PERMISSION_LABELS,
  type PermissionAtom,
} from '../../../protocol/src/permissions.ts';

export { PERMISSION_ATOMS, PERMISSION_LABELS, type PermissionAtom };

/** The atoms by what they allow; names checked against the protocol's list by the type checker. */
export const ATOM = {
  tunnelsRead: 'tunnel.read',
  tunnelsManage: 'tunnel.write',
  tunnelsUse: 'tunnel.use',
  apiKeysManage: 'api_key.write',
  membersManage: 'member.write',
  rolesManage: 'role.write',
  auditRead: 'audit.read',
} as const satisfies Record<string, PermissionAtom>;

/** Why a button is disabled, in the words the roles page uses. */
export const needs = (atom: PermissionAtom) => `Needs the ${PERMISSION_LABELS[atom]} permission.`;
