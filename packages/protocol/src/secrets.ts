/**
 * The shapes of the secrets tunnel-service mints: API keys, invitation tokens, OAuth access and refresh
 * tokens and authorization codes, each a prefix and 32 random bytes in base64url, and the browser
 * session cookie. The service mints them from here and the tunnel-client's console redacts them from
 * here, so a new kind of secret cannot be minted without both halves knowing its shape.
 */
export const SECRET_PREFIX = {
  apiKey: 'mcpt_',
  invitation: 'mcpti_',
  oauthAccessToken: 'mcpo_at_',
  oauthRefreshToken: 'mcpo_rt_',
  oauthCode: 'mcpo_ac_',
} as const;

/** The browser session cookie's name; its value is the session's secret. */
export const SESSION_COOKIE = 'mcpt_session';

/** Matches every minted secret in a text (global: use with `replace`). */
export function mintedSecretPattern(): RegExp {
  const prefixes = Object.values(SECRET_PREFIX)
    .sort((a, b) => b.length - a.length)
    .join('|');
  return new RegExp(String.raw`(?:${prefixes})[A-Za-z0-9_-]{12,}|(?<=${SESSION_COOKIE}=)[A-Za-z0-9_-]+`, 'g');
}

/** Made once: `replace` with a global pattern starts from the beginning and leaves it as it found it. */
const MINTED_SECRETS = mintedSecretPattern();

/** The text with every minted secret replaced, for what a console shows of a caller's text. */
export function redactMintedSecrets(text: string): string {
  return text.replace(MINTED_SECRETS, '[redacted]');
}
