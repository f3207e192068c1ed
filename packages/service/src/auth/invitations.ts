import { createHash, randomBytes } from 'node:crypto';
import { SECRET_PREFIX } from '@mcp-tunnel/protocol';

/** An invitation can be accepted for this long after it is made. */
export const INVITATION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

export const hashInvitationToken = (token: string) =>
  createHash('sha256').update(token, 'utf8').digest('hex');

/** The token travels once, in the link the inviter passes on; only its hash is stored. */
export function generateInvitationToken(): { token: string; hash: string } {
  const token = `${SECRET_PREFIX.invitation}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashInvitationToken(token) };
}
