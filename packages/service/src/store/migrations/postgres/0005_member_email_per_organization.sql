-- PostgreSQL: the same step as ../sqlite/0005_member_email_per_organization.sql, in the same SQL; keep the two in step.
-- An address signs in to one member per organization, not one per service: whether an address is used
-- in another organization is then nothing an inviter can learn. Sign-in finds the member by address and
-- password, and no two members with one address share a password.
DROP INDEX members_email;
CREATE UNIQUE INDEX members_organization_email ON members (organization_id, email);
CREATE INDEX members_email ON members (email);
