-- Purposes, consent entries, settings and disclosures are found by kind.
CREATE INDEX records_by_kind ON records(kind, created_hlc);
