-- A deleted entry's terms leave every segment of the search index at once,
-- instead of staying there behind a delete marker until a merge: so a
-- retention sweep need not rewrite the whole index to leave no trace of
-- what it removed. Entries deleted before this setting are merged away
-- here, once.
INSERT INTO directory_fts(directory_fts, rank) VALUES('secure-delete', 1);
INSERT INTO directory_fts(directory_fts) VALUES('optimize');
