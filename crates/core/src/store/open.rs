//! Creating and opening the database: its pragmas, migrations and meta
//! values, the change of its key, and the checks and upkeep of the file.

use std::collections::BTreeSet;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::cipher::{PageFormat, connect, damaged, key_pragma};
use super::due;
use super::handle::Store;
use super::rows::value_from_sql;
use crate::crypto::Key32;
use crate::error::{Error, Result};
use crate::ops::OpValue;

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// Migrations that give the directory something new to show: its rows are
/// rebuilt in the migration's transaction.
const REINDEX_AFTER: &[&str] = &["20261204090000_directory_columns"];

/// What SQLCipher's page authentication found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageFindings {
    /// Pages whose authentication code does not verify or that cannot be
    /// read, in file order (page 1 is the first).
    pub pages: Vec<u64>,
    /// SQLCipher's findings that name no such page (a truncated last
    /// page, HMAC switched off), in its words: fixed sentences and sizes.
    pub other: Vec<String>,
}

impl PageFindings {
    /// Sorts SQLCipher's rows ("HMAC verification failed for page 45",
    /// "error reading 4096 bytes from file page 3 at offset 8192", …).
    pub(crate) fn from_rows(rows: Vec<String>) -> PageFindings {
        let mut found = PageFindings::default();
        for row in rows {
            let failed = row.contains("failed for page") || row.starts_with("error reading");
            let words: Vec<&str> = row.split_whitespace().collect();
            let page = words
                .windows(2)
                .find(|w| w[0] == "page")
                .and_then(|w| w[1].parse().ok());
            match page {
                Some(page) if failed => found.pages.push(page),
                _ => found.other.push(row),
            }
        }
        found
    }

    /// Nothing found.
    pub fn is_empty(&self) -> bool {
        self.pages.is_empty() && self.other.is_empty()
    }
}

/// The single text column of every row a pragma returns.
fn pragma_rows(conn: &Connection, pragma: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(pragma)?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

impl Store {
    /// Creates a new encrypted database; fails if the file exists.
    pub fn create(path: &Path, key: &Key32) -> Result<Store> {
        if path.exists() {
            return Err(Error::VaultExists {
                path: path.to_path_buf(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let conn = connect(path, flags, key, PageFormat::NEW)?
            .ok_or_else(|| damaged(path, "cannot create the file"))?;
        Self::init(conn, path, Some((key, PageFormat::NEW)))
    }

    /// Opens an existing encrypted database; never creates one. Its page
    /// format is found by trying, in the order `PageFormat::likely` gives.
    pub fn open(path: &Path, key: &Key32) -> Result<Store> {
        if !path.exists() {
            return Err(damaged(path, "the database file is missing"));
        }
        for format in PageFormat::likely(path) {
            if let Some(conn) = connect(path, OpenFlags::SQLITE_OPEN_READ_WRITE, key, format)? {
                return Self::init(conn, path, Some((key, format)));
            }
        }
        Err(damaged(path, "it does not open with the vault's key"))
    }

    /// An unencrypted store (created or opened) for the benchmark baseline
    /// only, with the same page size as an encrypted one.
    #[cfg(feature = "bench-baseline")]
    #[doc(hidden)]
    pub fn open_plain_baseline(path: &Path) -> Result<Store> {
        let conn = Connection::open(path)?;
        conn.execute_batch(&format!(
            "PRAGMA page_size = {};",
            PageFormat::NEW.page_size()
        ))?;
        Self::init(conn, path, None)
    }

    fn init(conn: Connection, path: &Path, key: Option<(&Key32, PageFormat)>) -> Result<Store> {
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA temp_store = MEMORY;
             PRAGMA secure_delete = ON;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;
             PRAGMA journal_size_limit = 67108864;
             PRAGMA cache_size = -65536;",
        )
        .map_err(|_| damaged(path, "cannot configure it"))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            rules: Vec::new(),
            key: key.map(|(k, f)| (k.clone(), f)),
            checkpointer: std::sync::Mutex::new(None),
            batch_start: 0,
            in_batch: false,
            touched: BTreeSet::new(),
        };
        // A page that does not read back shows here first: name the file.
        store.prepare().map_err(|e| e.in_database(path))?;
        Ok(store)
    }

    /// Brings the schema up to date and loads what every session needs.
    fn prepare(&mut self) -> Result<()> {
        self.migrate()?;
        self.rules = due::load_rules(&self.conn)?;
        if self.meta("due_built")?.is_none() {
            // A vault from before retention: compute every due date once.
            let tx = self.conn.transaction()?;
            due::rebuild(&tx, &self.rules)?;
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ('due_built', '1')
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [],
            )?;
            tx.commit()?;
        }
        Ok(())
    }

    /// The pages of a table's leaves (for the tests that damage one page
    /// of a known table on purpose).
    #[cfg(test)]
    pub(crate) fn leaf_pages_of(&self, table: &str) -> Result<Vec<usize>> {
        let mut stmt = self.conn.prepare(
            "SELECT pageno FROM dbstat WHERE name = ?1 AND pagetype = 'leaf' ORDER BY pageno",
        )?;
        let pages = stmt
            .query_map([table], |r| r.get::<_, i64>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(pages
            .into_iter()
            .filter_map(|p| usize::try_from(p).ok())
            .collect())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&mut self) -> Result<()> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )?;
        let (_, pending) = self.migration_state()?;
        for version in pending {
            let sql = MIGRATIONS
                .iter()
                .find(|(v, _)| *v == version)
                .map(|(_, sql)| *sql)
                .unwrap_or_default();
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            if REINDEX_AFTER.contains(&version) {
                super::directory::reindex_all(&tx)?;
            }
            tx.execute(
                "INSERT INTO schema_migrations(version, applied_at) VALUES (?1, datetime('now'))",
                [version],
            )?;
            tx.commit()?;
        }
        Ok(())
    }

    /// (applied, pending) migration versions; `applied` may contain versions
    /// this build does not know (the vault was opened by a newer Tresor).
    pub fn migration_state(&self) -> Result<(Vec<String>, Vec<&'static str>)> {
        let mut stmt = self
            .conn
            .prepare("SELECT version FROM schema_migrations ORDER BY version")?;
        let applied: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let pending = MIGRATIONS
            .iter()
            .map(|(v, _)| *v)
            .filter(|v| !applied.iter().any(|a| a == v))
            .collect();
        Ok((applied, pending))
    }

    /// Every migration this build knows.
    pub fn known_migrations() -> impl Iterator<Item = &'static str> {
        MIGRATIONS.iter().map(|(v, _)| *v)
    }

    /// SQLCipher's check of every page's authentication code
    /// (`cipher_integrity_check`), read straight from the file.
    pub fn page_authentication(&self) -> Result<PageFindings> {
        self.check_with(|conn| pragma_rows(conn, "PRAGMA cipher_integrity_check"))
            .map(PageFindings::from_rows)
    }

    /// SQLite's `integrity_check` of the b-trees and indexes; its findings
    /// (empty when it says "ok"). They name tables, indexes and pages, never
    /// values.
    pub fn structure_problems(&self) -> Result<Vec<String>> {
        let rows = self.check_with(|conn| pragma_rows(conn, "PRAGMA integrity_check"))?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    /// Runs a whole-file check on a read-only connection of its own: a
    /// connection that read a page failing SQLCipher's authentication
    /// fails every later read (as "out of memory"), and this store's
    /// connection has to go on serving the session.
    fn check_with<T>(&self, check: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        // The checks read the file past SQLite's locks: not while a
        // checkpoint writes.
        self.settle();
        let own = match &self.key {
            Some((key, format)) => Some(
                connect(&self.path, OpenFlags::SQLITE_OPEN_READ_ONLY, key, *format)?.ok_or_else(
                    || damaged(&self.path, "it no longer opens with the vault's key"),
                )?,
            ),
            None => None,
        };
        check(own.as_ref().unwrap_or(&self.conn))
            .map_err(|e| Error::from(e).in_database(&self.path))
    }

    /// True when the database is SQLCipher-encrypted (cipher_version answers
    /// on every build; the file header tells whether this file is keyed).
    pub fn header_is_plain_sqlite(path: &Path) -> Result<bool> {
        use std::io::Read;
        let mut head = [0u8; 16];
        let mut f = std::fs::File::open(path).map_err(Error::io(path))?;
        f.read_exact(&mut head).map_err(Error::io(path))?;
        Ok(&head == b"SQLite format 3\0")
    }

    /// Re-encrypts every page under a new key.
    pub fn rekey(&mut self, key: &Key32) -> Result<()> {
        self.settle();
        let pragma = key_pragma(key);
        // SQLCipher cannot rekey a database in WAL mode.
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")?;
        self.conn.pragma_update(None, "rekey", pragma.as_str())?;
        // The page format stays what it was.
        if let Some((old, _)) = &mut self.key {
            *old = key.clone();
        }
        self.conn.execute_batch("PRAGMA journal_mode = WAL;")?;
        Ok(())
    }

    /// A value from the meta table.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        // Read while unlocking, before a session exists: a damaged page
        // names the file.
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| Error::from(e).in_database(&self.path))
    }

    /// Every key of the meta table that starts with `prefix`, and its value.
    pub fn meta_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, value FROM meta WHERE substr(key, 1, length(?1)) = ?1")?;
        let rows = stmt
            .query_map([prefix], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Sets a value in the meta table.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// Removes a value from the meta table.
    pub fn delete_meta(&self, key: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM meta WHERE key = ?1", [key])?;
        Ok(())
    }

    /// Runs `read` in one read transaction: what it reads is one state of
    /// the database, never half of a write another program (the app and
    /// the command line) makes meanwhile.
    pub fn read_consistent<T>(&self, read: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("SAVEPOINT read_consistent")?;
        let out = read(self);
        let _ = self.conn.execute_batch("RELEASE read_consistent");
        out
    }

    /// Flushes the WAL into the main file and truncates it.
    pub fn checkpoint(&self) -> Result<()> {
        self.settle();
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }

    /// After deletions without a vacuum: checkpoints the WAL, so the
    /// deleted content `secure_delete` overwrote is overwritten in the main
    /// file too and the WAL is empty. The search index needs no merge: it
    /// removes a deleted entry's terms from every segment at once (its
    /// `secure-delete` option, set by a migration).
    pub fn purge(&self) -> Result<()> {
        self.full_checkpoint()
    }

    /// Merges the search index (a deleted entry's terms otherwise stay in
    /// old index segments until a merge), writes everything back into the
    /// main file, rebuilds it without free pages, and empties the WAL, so
    /// deleted content is nowhere on disk.
    pub fn compact(&self) -> Result<()> {
        self.conn
            .execute_batch("INSERT INTO directory_fts(directory_fts) VALUES('optimize');")?;
        self.full_checkpoint()?;
        self.conn.execute_batch("VACUUM;")?;
        self.full_checkpoint()
    }

    /// Checkpoints the whole WAL into the database and truncates it; fails
    /// when another connection keeps it from finishing, rather than leaving
    /// old pages behind unnoticed.
    pub fn full_checkpoint(&self) -> Result<()> {
        self.settle();
        let (busy, log, done): (i64, i64, i64) =
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
        if busy != 0 || log != done {
            return Err(Error::Store(
                "another program keeps the database open, so old pages could not be cleared; close Tresor elsewhere on this computer and run it again".into(),
            ));
        }
        Ok(())
    }

    /// Every page of the database file as SQLCipher decrypts it, free pages
    /// included, passed to `visit(page_number, bytes)`.
    pub fn each_page(&self, visit: &mut dyn FnMut(i64, &[u8])) -> Result<()> {
        let mut stmt = self.conn.prepare("SELECT pgno, data FROM sqlite_dbpage")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let pgno: i64 = row.get(0)?;
            let data: Vec<u8> = row.get(1)?;
            visit(pgno, &data);
        }
        Ok(())
    }

    /// Every value of the ops and fields tables, sealed ones included (for
    /// scans that open them with the reader's keys).
    pub fn all_values(&self, visit: &mut dyn FnMut(&str, &str, &OpValue)) -> Result<()> {
        for sql in [
            "SELECT record, field, value, compartment FROM ops",
            "SELECT record, field, value, compartment FROM fields",
        ] {
            let mut stmt = self.conn.prepare(sql)?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let record: String = row.get(0)?;
                let field: String = row.get(1)?;
                let value = value_from_sql(row.get(2)?, row.get(3)?);
                visit(&record, &field, &value);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use rusqlite::params;
    use uuid::Uuid;

    use super::*;
    use crate::model::categories::RecordKind;
    use crate::ops::{CREATE_FIELD, Hlc, Op};
    use crate::store::rows::value_to_sql;

    fn person(n: u128, name: &str) -> Vec<Op> {
        let record = Uuid::from_u128(n);
        let op = |i: u128, field: &str, value: String| Op {
            id: Uuid::from_u128((n << 32) + i),
            hlc: Hlc(((n << 8) + i) as u64),
            device: "d".into(),
            author: "test".into(),
            record,
            kind: RecordKind::Person,
            field: field.into(),
            value: OpValue::Open(value),
        };
        vec![
            op(0, CREATE_FIELD, "null".into()),
            op(1, "given_name", format!("\"{name}\"")),
        ]
    }

    fn given_name(store: &Store, n: u128) -> Option<OpValue> {
        store
            .fields(Uuid::from_u128(n))
            .expect("fields")
            .into_iter()
            .find(|(f, _)| f == "given_name")
            .map(|(_, v)| v)
    }

    #[test]
    fn new_databases_use_the_large_page_format_and_older_ones_still_open() {
        let tmp = tempfile::tempdir().expect("tmp");
        let key = Key32::random();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        // A new database is in the large format: the classic settings do
        // not read it.
        let new = tmp.path().join("new.db");
        let mut store = Store::create(&new, &key).expect("create");
        store.apply(&person(1, "Ada"), &[]).expect("apply");
        assert_eq!(store.key.as_ref().map(|k| k.1), Some(PageFormat::Large));
        drop(store);
        let rw = OpenFlags::SQLITE_OPEN_READ_WRITE;
        assert!(
            connect(&new, rw, &key, PageFormat::Classic)
                .expect("connect")
                .is_none()
        );
        assert!(
            connect(&new, rw, &key, PageFormat::Large)
                .expect("connect")
                .is_some()
        );

        // A database in the classic format, as vaults made before it have,
        // written in a batch (checkpointed beside, with its own format) and
        // then once more, so that the last change is still in the WAL.
        let old = tmp.path().join("old.db");
        let conn = connect(&old, flags, &key, PageFormat::Classic)
            .expect("connect")
            .expect("new file");
        let mut store = Store::init(conn, &old, Some((&key, PageFormat::Classic))).expect("init");
        store.begin_batch().expect("begin");
        store
            .apply_ops(&person(2, "Bea"), &[], true)
            .expect("apply");
        store.end_batch().expect("end");
        store.settle();
        store.apply(&person(3, "Cem"), &[]).expect("apply");
        // A copy taken while it is open: the database and its WAL.
        let copy = tmp.path().join("copy.db");
        std::fs::copy(&old, &copy).expect("copy db");
        let wal = |p: &Path| PathBuf::from(format!("{}-wal", p.display()));
        assert!(std::fs::metadata(wal(&old)).expect("wal").len() > 0);
        std::fs::copy(wal(&old), wal(&copy)).expect("copy wal");
        drop(store);
        assert!(
            connect(&old, rw, &key, PageFormat::Large)
                .expect("connect")
                .is_none()
        );
        for path in [&old, &copy] {
            let store = Store::open(path, &key).expect("open");
            assert_eq!(store.key.as_ref().map(|k| k.1), Some(PageFormat::Classic));
            assert_eq!(given_name(&store, 2), Some(OpValue::Open("\"Bea\"".into())));
            assert_eq!(given_name(&store, 3), Some(OpValue::Open("\"Cem\"".into())));
            assert!(store.page_authentication().expect("pages").is_empty());
            assert!(store.structure_problems().expect("structure").is_empty());
        }
        // A wrong key opens neither.
        let err = Store::open(&old, &Key32::random()).expect_err("wrong key");
        assert_eq!(err.code(), "database_damaged");
    }

    #[test]
    fn the_large_format_is_tried_first_only_where_it_cannot_overrun() {
        use PageFormat::{Classic, Large};
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("t.db");
        std::fs::write(&path, vec![0u8; 3 * 16_384]).expect("write");
        assert_eq!(PageFormat::likely(&path), [Large, Classic]);
        // A rollback journal beside it: its pages may be the smaller ones.
        let journal = tmp.path().join("t.db-journal");
        std::fs::write(&journal, b"journal").expect("journal");
        assert_eq!(PageFormat::likely(&path), [Classic, Large]);
        std::fs::remove_file(&journal).expect("remove");
        // A size only 4 KiB pages make.
        std::fs::write(&path, vec![0u8; 5 * 4096]).expect("write");
        assert_eq!(PageFormat::likely(&path), [Classic, Large]);
    }

    #[test]
    fn the_history_moved_to_its_record_order_keeps_every_change_and_the_outbox() {
        let tmp = tempfile::tempdir().expect("tmp");
        let key = Key32::random();
        let path = tmp.path().join("v.db");
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let conn = connect(&path, flags, &key, PageFormat::NEW)
            .expect("connect")
            .expect("new file");
        // The schema as it was before the history was keyed by record.
        conn.execute_batch(
            "CREATE TABLE schema_migrations (version TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .expect("table");
        for (version, sql) in MIGRATIONS
            .iter()
            .take_while(|(v, _)| *v < "20261127090000_ops_by_record")
        {
            conn.execute_batch(sql).expect("migration");
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?1, 'then')",
                [version],
            )
            .expect("version");
        }
        conn.execute_batch("INSERT INTO meta(key, value) VALUES ('due_built', '1')")
            .expect("meta");
        let ops: Vec<Op> = [person(5, "Eva"), person(4, "Dan")].concat();
        for op in &ops {
            let (value, compartment) = value_to_sql(&op.value);
            conn.execute(
                "INSERT INTO ops(id, hlc, device, author, record, kind, field, value, compartment)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    op.id.to_string(),
                    op.hlc.to_sql(),
                    op.device,
                    op.author,
                    op.record.to_string(),
                    op.kind.as_str(),
                    op.field,
                    value,
                    compartment
                ],
            )
            .expect("op");
            conn.execute("INSERT INTO outbox(op) VALUES (?1)", [op.id.to_string()])
                .expect("outbox");
        }
        // An outbox entry whose change was removed since.
        conn.execute("INSERT INTO outbox(op) VALUES ('gone')", [])
            .expect("outbox");
        drop(conn);

        let store = Store::open(&path, &key).expect("open");
        assert!(store.migration_state().expect("state").1.is_empty());
        let (out, last) = store.outbox(10).expect("outbox");
        let ids: Vec<Uuid> = out.iter().map(|(op, _)| op.id).collect();
        assert_eq!(ids, ops.iter().map(|o| o.id).collect::<Vec<_>>());
        assert_eq!(last, Some(4));
        let history = store
            .history(&[Uuid::from_u128(4), Uuid::from_u128(5)])
            .expect("history");
        assert_eq!(history.len(), 4);
        let indexes: Vec<String> = store
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'ops' AND type = 'index'")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert!(
            indexes.iter().all(|i| i.starts_with("sqlite_autoindex")),
            "{indexes:?}"
        );
    }

    #[test]
    fn the_directory_columns_are_filled_for_people_already_there() {
        let tmp = tempfile::tempdir().expect("tmp");
        let key = Key32::random();
        let path = tmp.path().join("v.db");
        let mut ops = person(7, "Ida");
        let mut more = ops[1].clone();
        more.id = Uuid::from_u128((7 << 32) + 9);
        more.field = "addresses".into();
        more.value = OpValue::Open(r#"["Ring 2\n80331 München"]"#.into());
        ops.push(more.clone());
        more.id = Uuid::from_u128((7 << 32) + 10);
        more.field = "tags".into();
        more.value = OpValue::Open(r#"["Messe"]"#.into());
        ops.push(more);
        {
            let mut store = Store::create(&path, &key).expect("create");
            store.apply(&ops, &[]).expect("apply");
            // The directory as it was before the table view's columns.
            store
                .conn
                .execute_batch(
                    "DROP INDEX directory_by_name; DROP INDEX directory_by_company;
                     DROP INDEX directory_by_city; DROP INDEX directory_by_phone;
                     DROP INDEX directory_by_last_contact; DROP INDEX directory_by_tags;
                     CREATE INDEX directory_sort ON directory(kind, sort_key);
                     ALTER TABLE directory DROP COLUMN company_key;
                     ALTER TABLE directory DROP COLUMN city;
                     ALTER TABLE directory DROP COLUMN city_key;
                     ALTER TABLE directory DROP COLUMN last_contact;
                     ALTER TABLE directory DROP COLUMN tags;
                     ALTER TABLE directory DROP COLUMN tags_key;
                     DELETE FROM schema_migrations WHERE version IN
                         ('20261204090000_directory_columns', '20261204100000_directory_order_indexes');",
                )
                .expect("old schema");
        }
        let store = Store::open(&path, &key).expect("reopen");
        let rows = store
            .list(RecordKind::Person, Default::default(), 0, 10)
            .expect("list");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].city.as_deref(), Some("München"));
        assert_eq!(rows[0].tags, ["Messe"]);
        // The city is found by search too.
        assert_eq!(
            store
                .search("munch", Default::default(), 5)
                .expect("search")
                .len(),
            1
        );
    }
}
