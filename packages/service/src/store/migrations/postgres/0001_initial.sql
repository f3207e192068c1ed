-- PostgreSQL: the same step as ../sqlite/0001_initial.sql, in the same SQL; keep the two in step.
-- Timestamps are RFC 3339 text; permission lists are JSON arrays stored as text.

CREATE TABLE organizations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE members (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX members_organization ON members (organization_id);

CREATE TABLE roles (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  name TEXT NOT NULL,
  permissions TEXT NOT NULL,
  builtin TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (organization_id, name)
);

CREATE TABLE member_roles (
  member_id TEXT NOT NULL REFERENCES members (id) ON DELETE CASCADE,
  role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  PRIMARY KEY (member_id, role_id)
);
CREATE INDEX member_roles_role ON member_roles (role_id);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  owner_id TEXT NOT NULL REFERENCES members (id),
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  secret_hash TEXT NOT NULL UNIQUE,
  permissions TEXT,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
);
CREATE INDEX api_keys_organization ON api_keys (organization_id);

CREATE TABLE tunnels (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  response_timeout TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE tunnel_organizations (
  tunnel_id TEXT NOT NULL REFERENCES tunnels (id) ON DELETE CASCADE,
  organization_id TEXT NOT NULL REFERENCES organizations (id),
  PRIMARY KEY (tunnel_id, organization_id)
);
CREATE INDEX tunnel_organizations_organization ON tunnel_organizations (organization_id);

CREATE TABLE mcp_sessions (
  tunnel_id TEXT NOT NULL REFERENCES tunnels (id) ON DELETE CASCADE,
  id TEXT NOT NULL,
  channel TEXT NOT NULL,
  minted INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT NOT NULL,
  ended_at TEXT,
  PRIMARY KEY (tunnel_id, id)
);
CREATE INDEX mcp_sessions_tunnel_channel ON mcp_sessions (tunnel_id, channel);

CREATE TABLE service_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
