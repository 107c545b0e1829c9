-- When each record falls due under a retention rule. Derived from the
-- records and the rules, kept current as changes are applied, so a sweep
-- reads only what is due: its cost is what expires, not what is stored.
-- `held` marks a person under a legal hold: due but not deleted.
CREATE TABLE due (
    record  TEXT NOT NULL,
    rule    TEXT NOT NULL,
    subject TEXT,
    due     INTEGER NOT NULL,
    held    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (record, rule)
) WITHOUT ROWID;
CREATE INDEX due_by_date ON due(due);
CREATE INDEX due_by_subject ON due(subject);
