import { createHash, randomBytes } from 'node:crypto';
import { SECRET_PREFIX } from '@mcp-tunnel/protocol';

/** Every secret starts with this, so leaked keys are recognisable (secret scanners, log scrubbing). */
export const API_KEY_PREFIX = SECRET_PREFIX.apiKey;
/** How much of the secret is kept in clear to tell keys apart in listings: the prefix and 6 characters. */
const DISPLAY_LENGTH = API_KEY_PREFIX.length + 6;

export interface NewApiKeySecret {
  secret: string;
  prefix: string;
  hash: string;
}

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function generateApiKey(): NewApiKeySecret {
  const secret = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { secret, prefix: secret.slice(0, DISPLAY_LENGTH), hash: hashApiKey(secret) };
}
