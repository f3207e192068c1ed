-- PostgreSQL: the same step as ../sqlite/0002_accounts_audit_connectors.sql, in the same SQL; keep the two in step.
-- Sign-in for members, browser sessions, invitations, sign-in attempts, the audit log, a tunnel's
-- connector access and the console's connectors.

UPDATE members SET kind = 'user' WHERE kind = 'human';
ALTER TABLE members ADD COLUMN email TEXT;
ALTER TABLE members ADD COLUMN password_hash TEXT;
ALTER TABLE members ADD COLUMN deleted_at TEXT;
-- One sign-in per address across the service; NULLs (service accounts, removed members) do not collide.
CREATE UNIQUE INDEX members_email ON members (email);

CREATE TABLE browser_sessions (
  id_hash TEXT PRIMARY KEY,
  member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  csrf_token TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX browser_sessions_member ON browser_sessions (member_id);

CREATE TABLE invitations (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  email TEXT NOT NULL,
  role_ids TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  accepted_at TEXT
);
CREATE INDEX invitations_organization ON invitations (organization_id);

CREATE TABLE sign_in_attempts (
  email TEXT,
  ip TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX sign_in_attempts_email ON sign_in_attempts (email, at);
CREATE INDEX sign_in_attempts_ip ON sign_in_attempts (ip, at);

CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  at TEXT NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT,
  actor_name TEXT,
  action TEXT NOT NULL,
  target TEXT,
  outcome TEXT NOT NULL,
  reason TEXT,
  ip TEXT
);
CREATE INDEX audit_log_organization_at ON audit_log (organization_id, at);

ALTER TABLE tunnels ADD COLUMN connector_access TEXT NOT NULL DEFAULT 'key';

CREATE TABLE connectors (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  tunnel_id TEXT NOT NULL REFERENCES tunnels (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  authentication TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX connectors_organization ON connectors (organization_id);
