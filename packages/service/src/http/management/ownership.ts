import type { MemberRow } from '../../store/repositories/members.ts';
import type { RoleRow } from '../../store/repositories/roles.ts';
import type { Store } from '../../store/types.ts';
import type { Principal } from '../../auth/principal.ts';
import { conflict, forbidden } from '../errors.ts';

// Ownership is more than its atoms: an owner may take ownership from others and nobody may take it from
// the last one. So granting, taking or removing the built-in Owner role needs an owner, however many
// atoms a custom role hands the caller; otherwise a member holding every atom could make itself Owner
// and then remove the original owners.

export async function holdsOwnerRole(store: Store, member: MemberRow): Promise<boolean> {
  return (await store.roles.getMany(member.role_ids)).some((role) => role.builtin === 'owner');
}

/** Only an owner grants, takes or removes ownership: Members Manage alone must not be a way to take over. */
export async function requireOwner(
  store: Store,
  principal: Principal,
  what: string,
  param?: string,
): Promise<void> {
  if (await holdsOwnerRole(store, principal.owner)) return;
  throw forbidden('owner_required', `${what} needs the Owner role; ask an owner to do it.`, param);
}

/** Refuses handing out the Owner role (to a member, a service account or an invitation) unless the caller is an owner. */
export async function requireOwnerToGrant(
  store: Store,
  principal: Principal,
  roles: RoleRow[],
  what: string,
): Promise<void> {
  if (roles.some((role) => role.builtin === 'owner')) await requireOwner(store, principal, what, 'role_ids');
}

/** Refuses a change that would leave the organization without an owner who can sign in or use a key. */
export async function keepAnOwner(store: Store, organizationId: string, leaving: string): Promise<void> {
  for (const other of await store.members.list(organizationId))
    if (other.id !== leaving && (await holdsOwnerRole(store, other))) return;
  throw conflict(
    'last_owner',
    'This is the organization’s last owner: give the Owner role to another member first.',
    'role_ids',
  );
}
