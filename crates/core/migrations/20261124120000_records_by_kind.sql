-- Purposes, consent entries, settings and disclosures are found by kind.
CREATE INDEX records_by_kind ON records(kind, created_hlc);
-- A subject's records of one kind, in creation order, without a sort: with
-- created_hlc in this index the planner never prefers records_by_kind (and
-- a scan of every record of the kind) for "subject = ? AND kind = ? ORDER
-- BY created_hlc".
DROP INDEX records_by_subject;
CREATE INDEX records_by_subject ON records(subject, kind, created_hlc);
