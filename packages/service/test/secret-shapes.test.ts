// Every secret the service mints has a shape both halves know (packages/protocol's SECRET_PREFIX), so
// that the tunnel-client's console and the service's live view redact it wherever it shows up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mintedSecretPattern, redactMintedSecrets, SESSION_COOKIE } from '@mcp-tunnel/protocol';
import { generateApiKey } from '../src/auth/api-keys.ts';
import { generateInvitationToken } from '../src/auth/invitations.ts';
import { newOAuthSecret, OAUTH_PREFIX } from '../src/auth/oauth-secrets.ts';
import { openBrowserSession } from '../src/auth/browser-sessions.ts';
import { startTestService } from './support/service.ts';

test('every secret the service mints is recognised by the shared shapes', async () => {
  const t = await startTestService();
  try {
    const owner = (await t.ok<{ owner: { id: string } }>('GET', '/v1/me', t.ownerKey)).owner;
    const member = (await t.service.store.members.get(owner.id))!;
    const minted = [
      generateApiKey().secret,
      generateInvitationToken().token,
      ...Object.keys(OAUTH_PREFIX).map((kind) => newOAuthSecret(kind as keyof typeof OAUTH_PREFIX).secret),
      `${SESSION_COOKIE}=${(await openBrowserSession(t.service.store, member)).token}`,
      t.ownerKey,
    ];
    for (const secret of minted) {
      const text = `before ${secret} after`;
      assert.match(text, mintedSecretPattern(), secret);
      const redacted = redactMintedSecrets(text);
      assert.ok(!redacted.includes(secret.slice(-20)), `${secret} is redacted: ${redacted}`);
    }
  } finally {
    await t.stop();
  }
});
