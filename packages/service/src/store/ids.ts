import { randomFillSync } from 'node:crypto';

/** Record ids: a short kind prefix and 24 random hex characters, e.g. `role_3f...`. */
export type IdKind = 'org' | 'member' | 'sa' | 'role' | 'key' | 'req' | 'audit' | 'inv' | 'conn' | 'grant';

const ID_BYTES = 12;
/**
 * Random bytes for ids, drawn from the system's generator a block at a time (as `randomUUID` does): every
 * call gets a request id, and one draw per id cost more than the rest of making it.
 */
const pool = Buffer.alloc(ID_BYTES * 256);
let drawn = pool.length;

export function newId(kind: IdKind): string {
  if (drawn + ID_BYTES > pool.length) {
    randomFillSync(pool);
    drawn = 0;
  }
  const hex = pool.toString('hex', drawn, drawn + ID_BYTES);
  drawn += ID_BYTES;
  return `${kind}_${hex}`;
}

export function nowIso(): string {
  return new Date().toISOString();
}
