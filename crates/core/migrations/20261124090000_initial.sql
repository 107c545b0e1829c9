-- Initial schema. Never edit a migration after it has landed: peers on the
-- shared folder may still run the version that applied it.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Every change ever applied, in the form it was made. Values of compartmented
-- categories are sealed (compartment is then set); others are JSON text.
CREATE TABLE ops (
    id          TEXT PRIMARY KEY,
    hlc         INTEGER NOT NULL,
    device      TEXT NOT NULL,
    author      TEXT NOT NULL,
    record      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       BLOB,
    compartment TEXT
) WITHOUT ROWID;
CREATE INDEX ops_by_record ON ops(record, hlc);

CREATE TABLE records (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    subject     TEXT,
    created_hlc INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX records_by_subject ON records(subject, kind);

-- Current value of each field: the winner of last-writer-wins by (hlc, device, op).
CREATE TABLE fields (
    record      TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       BLOB,
    compartment TEXT,
    hlc         INTEGER NOT NULL,
    device      TEXT NOT NULL,
    op          TEXT NOT NULL,
    PRIMARY KEY (record, field)
) WITHOUT ROWID;
CREATE INDEX fields_company_ref ON fields(value) WHERE field = 'company';

-- Per-subject keys (crypto-shredding), wrapped with the subject-wrapping key.
CREATE TABLE subject_keys (
    subject TEXT PRIMARY KEY,
    wrapped BLOB NOT NULL
) WITHOUT ROWID;

-- Derived from open fields only, never from compartmented ones: the list and
-- the type-ahead index show the same to every role that may read contacts.
CREATE TABLE directory (
    rid      INTEGER PRIMARY KEY,
    id       TEXT NOT NULL UNIQUE,
    kind     TEXT NOT NULL,
    display  TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    company  TEXT,
    email    TEXT,
    phone    TEXT
);
CREATE INDEX directory_sort ON directory(kind, sort_key);

CREATE VIRTUAL TABLE directory_fts USING fts5(
    text,
    content = '',
    contentless_delete = 1,
    prefix = '2 3',
    tokenize = 'unicode61 remove_diacritics 2'
);
