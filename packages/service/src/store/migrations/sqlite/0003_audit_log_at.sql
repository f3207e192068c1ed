-- Audit retention deletes by age across every organization; this index keeps that a range scan.
CREATE INDEX audit_log_at ON audit_log (at);
