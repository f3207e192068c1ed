-- PostgreSQL: the same step as ../sqlite/0004_oauth.sql, in the same SQL; keep the two in step.
-- The service as OAuth authorization server for its connector URLs: the applications (clients) that ask,
-- the grants members approve, and each grant's codes and tokens. Secrets are stored only as hashes.

CREATE TABLE oauth_clients (
  -- A registered client's id (oauthc_...), or the URL of a Client ID Metadata Document.
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  redirect_uris TEXT NOT NULL,
  client_uri TEXT,
  created_at TEXT NOT NULL,
  -- When the metadata document was last fetched; NULL for registered clients.
  fetched_at TEXT
);

CREATE TABLE oauth_grants (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  client_id TEXT NOT NULL,
  client_name TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  tunnel_id TEXT NOT NULL REFERENCES tunnels (id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  resource TEXT NOT NULL,
  scope TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT,
  revoked_reason TEXT
);
CREATE INDEX oauth_grants_organization ON oauth_grants (organization_id, created_at);
CREATE INDEX oauth_grants_member ON oauth_grants (member_id, created_at);

CREATE TABLE oauth_codes (
  code_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
  code_challenge TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT
);
CREATE INDEX oauth_codes_grant ON oauth_codes (grant_id);

CREATE TABLE oauth_tokens (
  token_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  -- A refresh token is used once: the time it was exchanged for the next pair.
  used_at TEXT
);
CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);
CREATE INDEX oauth_tokens_expires ON oauth_tokens (expires_at);
