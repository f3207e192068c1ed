-- PostgreSQL: the same step as ../sqlite/0003_audit_log_at.sql, in the same SQL; keep the two in step.
-- Audit retention deletes by age across every organization; this index keeps that a range scan.
CREATE INDEX audit_log_at ON audit_log (at);
