-- Sync through a shared folder.

-- Every removal (erasure, deletion by a rule, field erasure, pruning), in
-- the order it was made or received. Those made on this device are sent.
CREATE TABLE forgets (
    seq    INTEGER PRIMARY KEY,
    id     TEXT NOT NULL UNIQUE,
    hlc    INTEGER NOT NULL,
    device TEXT NOT NULL,
    body   TEXT NOT NULL
);
CREATE INDEX forgets_by_device ON forgets(device, seq);

-- Records and subjects deleted for good: no op for them is applied again.
CREATE TABLE gone (
    id TEXT PRIMARY KEY
) WITHOUT ROWID;

-- Fields erased: changes of them made before `hlc` are not applied again.
CREATE TABLE forgotten (
    record TEXT NOT NULL,
    field  TEXT NOT NULL,
    hlc    INTEGER NOT NULL,
    PRIMARY KEY (record, field)
) WITHOUT ROWID;

-- The ops made here and not yet sent, in the order they were committed
-- (two programs on one vault may stamp out of order; commits are not).
-- Everything a vault holds before its first sync was made here.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY,
    op  TEXT NOT NULL
);
INSERT INTO outbox(op) SELECT id FROM ops ORDER BY hlc, id;

-- Every segment applied, by device and sequence number, with its hash: a
-- chain check and the detection of a cloned device.
CREATE TABLE sync_seen (
    device TEXT NOT NULL,
    seq    INTEGER NOT NULL,
    hash   BLOB NOT NULL,
    PRIMARY KEY (device, seq)
) WITHOUT ROWID;

-- The signing key of each device, pinned when first seen.
CREATE TABLE sync_devices (
    device  TEXT PRIMARY KEY,
    public  BLOB NOT NULL,
    user    TEXT NOT NULL,
    host    TEXT NOT NULL,
    created INTEGER NOT NULL
) WITHOUT ROWID;
