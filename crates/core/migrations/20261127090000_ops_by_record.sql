-- The history is kept in the order it is read: by record, then time.
-- Before, ops were keyed by id with a second index on (record, hlc): two
-- B-trees written per change, a fifth of the database. An op's id always
-- comes with the same record and time, so (record, hlc, id) identifies it
-- just as well, and applying a change twice still inserts it once.
CREATE TABLE ops_new (
    id          TEXT NOT NULL,
    hlc         INTEGER NOT NULL,
    device      TEXT NOT NULL,
    author      TEXT NOT NULL,
    record      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    field       TEXT NOT NULL,
    value       BLOB,
    compartment TEXT,
    PRIMARY KEY (record, hlc, id)
) WITHOUT ROWID;
INSERT INTO ops_new(id, hlc, device, author, record, kind, field, value, compartment)
    SELECT id, hlc, device, author, record, kind, field, value, compartment FROM ops;
DROP TABLE ops;
ALTER TABLE ops_new RENAME TO ops;

-- The outbox names its ops by the same key.
CREATE TABLE outbox_new (
    seq    INTEGER PRIMARY KEY,
    op     TEXT NOT NULL,
    record TEXT NOT NULL,
    hlc    INTEGER NOT NULL
);
INSERT INTO outbox_new(seq, op, record, hlc)
    SELECT x.seq, x.op, o.record, o.hlc FROM outbox x JOIN ops o ON o.id = x.op;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
