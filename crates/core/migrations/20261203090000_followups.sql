-- Follow-ups as the lists read them: derived from the follow-up records,
-- kept current as changes are applied (see store/followups.rs), with the
-- subject's name as the directory shows it. The open ones are found by
-- their day through a partial index, so "due today" costs what is due,
-- not what is stored, and reads no other table.
CREATE TABLE followups (
    id       TEXT PRIMARY KEY,
    subject  TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    display  TEXT NOT NULL,
    what     TEXT NOT NULL,
    due      TEXT NOT NULL,
    time     TEXT,
    assignee TEXT NOT NULL,
    by       TEXT NOT NULL,
    done_at  TEXT
) WITHOUT ROWID;
CREATE INDEX followups_open ON followups(due, time) WHERE done_at IS NULL;
CREATE INDEX followups_by_subject ON followups(subject);
