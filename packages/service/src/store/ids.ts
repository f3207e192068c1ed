import { randomBytes } from 'node:crypto';

/** Record ids: a short kind prefix and 24 random hex characters, e.g. `role_3f...`. */
export type IdKind = 'org' | 'member' | 'sa' | 'role' | 'key' | 'req' | 'audit' | 'inv' | 'conn' | 'grant';

export function newId(kind: IdKind): string {
  return `${kind}_${randomBytes(12).toString('hex')}`;
}

export function nowIso(): string {
  return new Date().toISOString();
}
