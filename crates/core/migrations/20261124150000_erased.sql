-- What stays of an erased person: the random id, the date and the request
-- reference. Nothing else.
CREATE TABLE erased (
    id      TEXT PRIMARY KEY,
    at      INTEGER NOT NULL,
    request TEXT NOT NULL
) WITHOUT ROWID;
