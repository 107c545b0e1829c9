//! The encrypted SQLite store: opening, migrations, and every SQL statement.
//!
//! The database is SQLCipher keyed with a random 256-bit raw key (never a
//! passphrase), in WAL mode with `secure_delete` and in-memory temp storage
//! so no page of plaintext reaches a temp file. No SQL exists outside this
//! module. It trusts its caller for permissions: [`crate::session`] checks them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use uuid::Uuid;

use crate::crypto::Key32;
use crate::error::{Error, Result};
use crate::model::categories::{Compartment, RecordKind};
use crate::ops::{CREATE_FIELD, Hlc, Op, OpValue};

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

pub mod due;
mod sync;

pub use sync::{ForgetRow, SnapshotParts};

/// A row of the contact directory (list and search results).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DirectoryRow {
    /// Record id.
    pub id: Uuid,
    /// Person or company.
    pub kind: RecordKind,
    /// Display name.
    pub display: String,
    /// Company of a person (first link).
    pub company: Option<String>,
    /// First email.
    pub email: Option<String>,
    /// First phone.
    pub phone: Option<String>,
    #[serde(skip)]
    sort_key: String,
}

/// One op as read back for history.
#[derive(Debug, Clone)]
pub struct OpRow {
    /// The op.
    pub op: Op,
}

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

/// The store. Its page cache is 64 MiB: every page SQLCipher has to read
/// back from disk is decrypted and authenticated again, so a cache that
/// holds the working set of a 100k-contact vault keeps encryption cheap.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The retention rules in force (reloaded when one changes).
    rules: Vec<crate::model::retention::RetentionRule>,
    /// The database key and page format (none for the plain baseline),
    /// for the connection that checkpoints beside this one after a batch.
    key: Option<(Key32, PageFormat)>,
    /// That checkpoint, while it may still run: whatever needs the WAL
    /// empty or the database to itself waits for it first ([`Store::settle`]).
    checkpointer: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The connection's change count when the current batch began.
    batch_start: u64,
    /// Between [`Store::begin_batch`] and its end.
    in_batch: bool,
    /// Records the batch changed, whose derived rows are refreshed before
    /// it commits.
    touched: BTreeSet<Uuid>,
}

impl Drop for Store {
    fn drop(&mut self) {
        self.settle();
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The value of SQLCipher's `key` and `rekey` pragmas for a raw key. The
/// quotes inside matter: x'…' marks a raw key, so SQLCipher skips its own
/// passphrase KDF.
fn key_pragma(key: &Key32) -> zeroize::Zeroizing<String> {
    // Sized once, so that no copy of the key is left behind by growing.
    let hex = key.to_hex();
    let mut pragma = zeroize::Zeroizing::new(String::with_capacity(hex.len() + 3));
    pragma.push_str("x'");
    pragma.push_str(hex.as_str());
    pragma.push('\'');
    pragma
}

/// How SQLCipher lays out and authenticates a database's pages. Chosen
/// when the database is created, found by trying when it is opened (see
/// `docs/security.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageFormat {
    /// 16 KiB pages, HMAC-SHA256 (AES-256-CBC as always): a quarter of the
    /// pages to encrypt and authenticate per byte written, and a MAC that
    /// current x86 and ARM processors compute in hardware.
    Large,
    /// SQLCipher 4's defaults, 4 KiB pages and HMAC-SHA512: the databases
    /// of vaults created before the large format.
    Classic,
}

impl PageFormat {
    /// The format of new databases.
    const NEW: PageFormat = PageFormat::Large;

    fn page_size(self) -> u32 {
        match self {
            PageFormat::Large => 16_384,
            PageFormat::Classic => 4096,
        }
    }

    /// The order to try the formats in when opening `path`: the large one
    /// first only if the file's size allows it and no rollback journal is
    /// left beside it (by a key rotation that stopped). Replaying such a
    /// journal in a trial with pages larger than the file's could overrun
    /// SQLCipher's page buffer; with smaller pages it cannot.
    fn likely(path: &Path) -> [PageFormat; 2] {
        let journal = PathBuf::from(format!("{}-journal", path.display())).exists();
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        if !journal && size.is_multiple_of(u64::from(PageFormat::Large.page_size())) {
            [PageFormat::Large, PageFormat::Classic]
        } else {
            [PageFormat::Classic, PageFormat::Large]
        }
    }

    /// The pragmas that select it, after the key and before the first read.
    fn pragmas(self) -> String {
        match self {
            PageFormat::Large => format!(
                "PRAGMA cipher_page_size = {}; PRAGMA cipher_hmac_algorithm = HMAC_SHA256;",
                self.page_size()
            ),
            PageFormat::Classic => String::new(),
        }
    }
}

/// A connection keyed for `format`, if the database reads with it (a new,
/// empty file always does). SQLCipher's own log of decryption failures is
/// off: we report them ourselves, naming the file.
fn connect(
    path: &Path,
    flags: OpenFlags,
    key: &Key32,
    format: PageFormat,
) -> Result<Option<Connection>> {
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|_| damaged(path, "cannot open the file"))?;
    let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE;");
    let pragma = key_pragma(key);
    conn.pragma_update(None, "key", pragma.as_str())
        .map_err(|_| damaged(path, "cannot set the key"))?;
    conn.execute_batch(&format.pragmas())
        .map_err(|_| damaged(path, "cannot set the key"))?;
    let readable = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .is_ok();
    Ok(readable.then_some(conn))
}

/// The single text column of every row a pragma returns.
fn pragma_rows(conn: &Connection, pragma: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(pragma)?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// SQLite's default: a commit checkpoints once the WAL holds this many pages.
const AUTOCHECKPOINT: u32 = 1000;

fn damaged(path: &Path, detail: &str) -> Error {
    Error::DatabaseDamaged {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
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

    /// Sets a value in the meta table.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// Applies ops atomically, idempotently and order-independently, stores
    /// wrapped subject keys for new subjects, and refreshes the directory.
    pub fn apply(&mut self, ops: &[Op], subject_keys: &[(Uuid, Vec<u8>)]) -> Result<()> {
        self.apply_ops(ops, subject_keys, false).map(|_| ())
    }

    /// Applies ops, as [`Store::apply`]; with `foreign`, ops another device
    /// made are first checked against the tombstones: none for a record or
    /// subject deleted for good, none older than a field's erasure. Returns
    /// the number of ops newly applied.
    pub(crate) fn apply_ops(
        &mut self,
        ops: &[Op],
        subject_keys: &[(Uuid, Vec<u8>)],
        foreign: bool,
    ) -> Result<usize> {
        if self.in_batch {
            // Inside a batch the batch is the unit: an error ends it with a
            // rollback (see `Session::pull`). No savepoint of its own, as
            // FTS5 writes its pending terms out as a segment at each one;
            // the derived rows are refreshed once, before the batch commits
            // (so a person whose changes came in several parts is indexed
            // once, and in the order the search index appends fastest).
            return insert_ops(&self.conn, ops, subject_keys, foreign, &mut self.touched);
        }
        let tx = self.conn.savepoint()?;
        let mut touched = BTreeSet::new();
        let applied = insert_ops(&tx, ops, subject_keys, foreign, &mut touched)?;
        refresh_derived(&tx, &mut self.rules, touched)?;
        tx.commit()?;
        Ok(applied)
    }

    /// Starts a batch: one transaction around several of the store's own
    /// writes, so what they apply becomes visible (and durable) together
    /// and pages they touch again are written once. An error inside ends
    /// the whole batch with a rollback, so applying changes opens no
    /// savepoint of its own there, and the rows derived from them
    /// (directory, search terms, due dates) are refreshed once, before it
    /// commits (removals still take a savepoint each). Ends with [`Store::end_batch`] or [`Store::abort_batch`], whatever
    /// happens in between (see `Session::pull`).
    pub(crate) fn begin_batch(&mut self) -> Result<()> {
        if !self.conn.is_autocommit() {
            // Never expected: a batch that was not ended. Its changes were
            // not committed, so they are not kept.
            self.abort_batch();
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        // The pages it writes are moved from the WAL into the database by
        // a checkpoint beside, after each commit, not by the commit itself
        // (set once the batch has begun: a batch that cannot begin leaves
        // the setting as it was).
        self.conn.execute_batch("PRAGMA wal_autocheckpoint = 0")?;
        self.batch_start = self.conn.total_changes();
        self.in_batch = true;
        Ok(())
    }

    /// Commits the batch, then, if it wrote anything, checkpoints the WAL
    /// on a connection and thread of its own, so neither this commit nor
    /// the next write waits for it. On an error the batch is still open:
    /// abort it.
    pub(crate) fn end_batch(&mut self) -> Result<()> {
        self.refresh_batch()?;
        self.conn.execute_batch("COMMIT")?;
        self.in_batch = false;
        self.restore_autocheckpoint();
        if self.conn.total_changes() > self.batch_start {
            self.checkpoint_beside();
        }
        Ok(())
    }

    fn restore_autocheckpoint(&self) {
        // Committed already: a failure here only means the next commit
        // does not checkpoint by itself.
        let _ = self
            .conn
            .execute_batch(&format!("PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT}"));
    }

    /// A passive checkpoint on a second connection, in a thread. If it
    /// cannot run (or a writer gets in its way), the next commit's own
    /// checkpoint does the work, as without it.
    fn checkpoint_beside(&self) {
        self.settle();
        let path = self.path.clone();
        let key = self.key.clone();
        let spawned = std::thread::Builder::new()
            .name("tresor-checkpoint".into())
            .spawn(move || {
                let flags = OpenFlags::SQLITE_OPEN_READ_WRITE;
                let conn = match &key {
                    Some((key, format)) => connect(&path, flags, key, *format),
                    None => Connection::open_with_flags(&path, flags)
                        .map(Some)
                        .map_err(Error::from),
                };
                let Ok(Some(conn)) = conn else {
                    return;
                };
                let _ = conn
                    .execute_batch("PRAGMA busy_timeout = 5000; PRAGMA wal_checkpoint(PASSIVE);");
            });
        *self.checkpointer_slot() = spawned.ok();
    }

    fn checkpointer_slot(&self) -> std::sync::MutexGuard<'_, Option<std::thread::JoinHandle<()>>> {
        self.checkpointer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits for the checkpoint beside to finish, if one runs.
    fn settle(&self) {
        let running = self.checkpointer_slot().take();
        if let Some(handle) = running {
            let _ = handle.join();
        }
    }

    /// Refreshes the derived rows of what the batch changed so far.
    fn refresh_batch(&mut self) -> Result<()> {
        let touched = std::mem::take(&mut self.touched);
        refresh_derived(&self.conn, &mut self.rules, touched)
    }

    /// Undoes the whole batch (what a [`Store::batch_commit`] committed
    /// stays), and reloads what the store keeps in memory of the database.
    pub(crate) fn abort_batch(&mut self) {
        self.in_batch = false;
        self.touched.clear();
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.restore_autocheckpoint();
        if let Ok(rules) = due::load_rules(&self.conn) {
            self.rules = rules;
        }
    }

    /// Inside a batch: commits what was done so far and goes on in a new
    /// transaction, so a long batch does not grow without bound.
    pub(crate) fn batch_commit(&mut self) -> Result<()> {
        self.refresh_batch()?;
        self.conn.execute_batch("COMMIT")?;
        // Checkpointed here, not beside: a write that begins on a WAL
        // copied in full starts it from its beginning again, so the WAL
        // holds one part at most (the checkpoint beside would still be
        // copying when the next part begins).
        self.settle();
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(PASSIVE); BEGIN IMMEDIATE")?;
        Ok(())
    }

    /// Kind and subject of a record.
    pub fn record(&self, id: Uuid) -> Result<Option<(RecordKind, Option<Uuid>)>> {
        record_in(&self.conn, id)
    }

    /// Every record of a kind with the current value of one field, oldest
    /// record first (configuration, consent entries, disclosures).
    pub fn records_with_field(
        &self,
        kind: RecordKind,
        field: &str,
    ) -> Result<Vec<(Uuid, Option<Uuid>, OpValue)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.subject, f.value, f.compartment FROM records r
             JOIN fields f ON f.record = r.id AND f.field = ?2
             WHERE r.kind = ?1 ORDER BY r.created_hlc, r.id",
        )?;
        let rows = stmt
            .query_map(params![kind.as_str(), field], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    value_from_sql(r.get(2)?, r.get(3)?),
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, subject, value)| {
                let id = Uuid::parse_str(&id).ok()?;
                Some((id, subject.and_then(|s| Uuid::parse_str(&s).ok()), value))
            })
            .collect())
    }

    /// The wrapped key of one subject (or vault secret).
    pub fn subject_key(&self, subject: Uuid) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT wrapped FROM subject_keys WHERE subject = ?1")?
            .query_row([subject.to_string()], |r| r.get(0))
            .optional()?)
    }

    /// Ids of every record of a kind.
    pub fn all_of_kind(&self, kind: RecordKind) -> Result<Vec<Uuid>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM records WHERE kind = ?1 ORDER BY created_hlc, id")?;
        let ids = stmt
            .query_map([kind.as_str()], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect())
    }

    /// The directory's display name of a person or company.
    pub fn display_name(&self, id: Uuid) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT display FROM directory WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?)
    }

    /// Current values of a record's fields.
    pub fn fields(&self, id: Uuid) -> Result<Vec<(String, OpValue)>> {
        fields_in(&self.conn, id)
    }

    /// Records of a kind belonging to a subject, oldest first.
    pub fn records_of_subject(&self, subject: Uuid, kind: RecordKind) -> Result<Vec<Uuid>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM records WHERE subject = ?1 AND kind = ?2 ORDER BY created_hlc",
        )?;
        let ids = stmt
            .query_map(params![subject.to_string(), kind.as_str()], |r| {
                r.get::<_, String>(0)
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ids.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect())
    }

    /// Every op on the given records, oldest first.
    pub fn history(&self, records: &[Uuid]) -> Result<Vec<Op>> {
        let mut out = Vec::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, hlc, device, author, record, kind, field, value, compartment
             FROM ops WHERE record = ?1 ORDER BY hlc, device, id",
        )?;
        for r in records {
            let rows = stmt.query_map([r.to_string()], row_to_op)?;
            for row in rows {
                if let Some(op) = row? {
                    out.push(op);
                }
            }
        }
        out.sort_by(|a, b| (a.hlc, &a.device, a.id).cmp(&(b.hlc, &b.device, b.id)));
        Ok(out)
    }

    /// A page of the directory, sorted by name.
    pub fn list(&self, kind: RecordKind, offset: usize, limit: usize) -> Result<Vec<DirectoryRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, kind, display, company, email, phone, sort_key FROM directory
             WHERE kind = ?1 ORDER BY sort_key, id LIMIT ?2 OFFSET ?3",
        )?;
        let rows = stmt
            .query_map(
                params![kind.as_str(), limit as i64, offset as i64],
                row_to_directory,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().flatten().collect())
    }

    /// A company by its exact name.
    pub fn find_company(&self, name: &str) -> Result<Option<Uuid>> {
        let id: Option<String> = self
            .conn
            .prepare_cached("SELECT id FROM directory WHERE kind = 'company' AND display = ?1 ORDER BY rid LIMIT 1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        Ok(id.and_then(|s| Uuid::parse_str(&s).ok()))
    }

    /// Number of directory entries of a kind.
    pub fn count(&self, kind: RecordKind) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM directory WHERE kind = ?1",
            [kind.as_str()],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Type-ahead: every word of the query must prefix-match a word of a
    /// name, company, email, phone or tag. Best `limit` matches by name.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<DirectoryRow>> {
        let Some(expr) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.id, d.kind, d.display, d.company, d.email, d.phone, d.sort_key
             FROM directory_fts f JOIN directory d ON d.rid = f.rowid
             WHERE directory_fts MATCH ?1 LIMIT ?2",
        )?;
        // Take a wider window than asked, then order it by name.
        let window = (limit * 4).max(64) as i64;
        let mut rows: Vec<DirectoryRow> = stmt
            .query_map(params![expr, window], row_to_directory)?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        rows.sort_by(|a, b| (a.kind, &a.sort_key, a.id).cmp(&(b.kind, &b.sort_key, b.id)));
        rows.truncate(limit);
        Ok(rows)
    }

    /// Every sealed value of a compartment: (table, key, bytes), for rotation.
    pub fn sealed_values(&self, compartment: Compartment) -> Result<Vec<SealedCell>> {
        let mut out = Vec::new();
        let mut stmt = self.conn.prepare(
            "SELECT record, field, value FROM fields WHERE compartment = ?1 AND value IS NOT NULL",
        )?;
        for row in stmt.query_map([compartment.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })? {
            let (record, field, bytes) = row?;
            out.push(SealedCell {
                table: SealedTable::Fields {
                    field: field.clone(),
                },
                key: record.clone(),
                record,
                field,
                bytes,
            });
        }
        let mut stmt = self.conn.prepare(
            "SELECT id, record, field, value FROM ops WHERE compartment = ?1 AND value IS NOT NULL",
        )?;
        for row in stmt.query_map([compartment.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })? {
            let (id, record, field, bytes) = row?;
            out.push(SealedCell {
                table: SealedTable::Ops,
                key: id,
                record,
                field,
                bytes,
            });
        }
        Ok(out)
    }

    /// Every wrapped subject key.
    pub fn subject_keys(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT subject, wrapped FROM subject_keys")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Number of wrapped subject keys.
    pub fn subject_key_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM subject_keys", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Replaces sealed values and wrapped subject keys in one transaction
    /// (key rotation), and records the new key generation.
    pub fn replace_sealed(
        &mut self,
        cells: &[SealedCell],
        subject_keys: &[(String, Vec<u8>)],
        generation: u64,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut upd_field =
                tx.prepare_cached("UPDATE fields SET value = ?3 WHERE record = ?1 AND field = ?2")?;
            let mut upd_op =
                tx.prepare_cached("UPDATE ops SET value = ?2 WHERE record = ?3 AND id = ?1")?;
            let mut upd_key =
                tx.prepare_cached("UPDATE subject_keys SET wrapped = ?2 WHERE subject = ?1")?;
            for c in cells {
                match &c.table {
                    SealedTable::Fields { field } => {
                        upd_field.execute(params![c.key, field, c.bytes])?
                    }
                    SealedTable::Ops => upd_op.execute(params![c.key, c.bytes, c.record])?,
                };
            }
            for (s, w) in subject_keys {
                upd_key.execute(params![s, w])?;
            }
        }
        tx.execute(
            "INSERT INTO meta(key, value) VALUES ('key_generation', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [generation.to_string()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Flushes the WAL into the main file and truncates it.
    pub fn checkpoint(&self) -> Result<()> {
        self.settle();
        self.conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }

    /// Whether an id was erased or anonymised.
    pub fn is_erased(&self, id: Uuid) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM erased WHERE id = ?1")?
            .query_row([id.to_string()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// After deletions without a vacuum: merges the search index (so no
    /// deleted term stays in an old segment) and checkpoints the WAL.
    /// `secure_delete` has already overwritten the deleted content.
    pub fn purge(&self) -> Result<()> {
        self.conn
            .execute_batch("INSERT INTO directory_fts(directory_fts) VALUES('optimize');")?;
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

/// Where a sealed cell lives.
#[derive(Debug, Clone)]
pub enum SealedTable {
    /// The current value of a field.
    Fields {
        /// The field name.
        field: String,
    },
    /// A historical op.
    Ops,
}

/// A sealed value found for re-sealing.
#[derive(Debug, Clone)]
pub struct SealedCell {
    /// Table it lives in.
    pub table: SealedTable,
    /// Row key (record id for fields, op id for ops).
    pub key: String,
    /// The record it belongs to (part of the seal context).
    pub record: String,
    /// The field (part of the seal context).
    pub field: String,
    /// The sealed bytes.
    pub bytes: Vec<u8>,
}

pub(super) fn value_to_sql(v: &OpValue) -> (Option<Vec<u8>>, Option<&'static str>) {
    match v {
        OpValue::Open(json) => (Some(json.as_bytes().to_vec()), None),
        OpValue::Sealed { compartment, bytes } => (Some(bytes.clone()), Some(compartment.as_str())),
        OpValue::Cleared => (None, None),
    }
}

pub(super) fn value_from_sql(value: Option<Vec<u8>>, compartment: Option<String>) -> OpValue {
    match (value, compartment.as_deref().and_then(Compartment::parse)) {
        (None, _) => OpValue::Cleared,
        (Some(bytes), Some(compartment)) => OpValue::Sealed { compartment, bytes },
        (Some(bytes), None) => OpValue::Open(String::from_utf8(bytes).unwrap_or_default()),
    }
}

pub(super) fn row_to_op(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Op>> {
    let id: String = r.get(0)?;
    let record: String = r.get(4)?;
    let kind: String = r.get(5)?;
    let (Ok(id), Ok(record), Some(kind)) = (
        Uuid::parse_str(&id),
        Uuid::parse_str(&record),
        RecordKind::parse(&kind),
    ) else {
        return Ok(None);
    };
    Ok(Some(Op {
        id,
        hlc: Hlc::from_sql(r.get(1)?),
        device: r.get(2)?,
        author: r.get(3)?,
        record,
        kind,
        field: r.get(6)?,
        value: value_from_sql(r.get(7)?, r.get(8)?),
    }))
}

fn row_to_directory(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<DirectoryRow>> {
    let id: String = r.get(0)?;
    let kind: String = r.get(1)?;
    let (Ok(id), Some(kind)) = (Uuid::parse_str(&id), RecordKind::parse(&kind)) else {
        return Ok(None);
    };
    Ok(Some(DirectoryRow {
        id,
        kind,
        display: r.get(2)?,
        company: r.get(3)?,
        email: r.get(4)?,
        phone: r.get(5)?,
        sort_key: r.get(6)?,
    }))
}

/// The writing of [`Store::apply_ops`], on a savepoint or inside a batch:
/// subject keys and ops; the records whose derived rows (directory, search
/// index, due dates) need a refresh are added to `touched`.
fn insert_ops(
    tx: &Connection,
    ops: &[Op],
    subject_keys: &[(Uuid, Vec<u8>)],
    foreign: bool,
    touched: &mut BTreeSet<Uuid>,
) -> Result<usize> {
    let mut applied = 0;
    {
        let mut ins_op = tx.prepare_cached(
                "INSERT OR IGNORE INTO ops(id, hlc, device, author, record, kind, field, value, compartment)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
        let mut ins_record = tx.prepare_cached(
            "INSERT INTO records(id, kind, subject, created_hlc) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO NOTHING",
        )?;
        let mut upsert_field = tx.prepare_cached(
                "INSERT INTO fields(record, field, value, compartment, hlc, device, op)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(record, field) DO UPDATE SET
                    value = excluded.value, compartment = excluded.compartment,
                    hlc = excluded.hlc, device = excluded.device, op = excluded.op
                 WHERE (excluded.hlc, excluded.device, excluded.op) > (fields.hlc, fields.device, fields.op)",
            )?;
        let mut ins_outbox =
            tx.prepare_cached("INSERT INTO outbox(op, record, hlc) VALUES (?1, ?2, ?3)")?;
        let mut ins_key = tx.prepare_cached(
            "INSERT INTO subject_keys(subject, wrapped) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        for (subject, wrapped) in subject_keys {
            // An erased or anonymised subject's key stays destroyed,
            // whatever late segment still carries it.
            if foreign && sync::is_erased_in(tx, *subject)? {
                continue;
            }
            ins_key.execute(params![subject.to_string(), wrapped])?;
        }
        // Without tombstones there is nothing to filter.
        let filter = foreign && sync::any_tombstone(tx)?;
        for op in ops {
            if filter && !sync::admissible(tx, op)? {
                continue;
            }
            let (value, compartment) = value_to_sql(&op.value);
            let id = op.id.to_string();
            let record = op.record.to_string();
            let inserted = ins_op.execute(params![
                id,
                op.hlc.to_sql(),
                op.device,
                op.author,
                record,
                op.kind.as_str(),
                op.field,
                value,
                compartment
            ])?;
            if inserted == 0 {
                continue; // already applied: ops are idempotent
            }
            applied += 1;
            if !foreign {
                ins_outbox.execute(params![id, record, op.hlc.to_sql()])?;
            }
            if op.field == CREATE_FIELD {
                let subject = match &op.value {
                    OpValue::Open(json) => {
                        serde_json::from_str::<Option<Uuid>>(json).ok().flatten()
                    }
                    _ => None,
                };
                ins_record.execute(params![
                    record,
                    op.kind.as_str(),
                    subject.map(|s| s.to_string()),
                    op.hlc.to_sql()
                ])?;
            } else {
                upsert_field.execute(params![
                    record,
                    op.field,
                    value,
                    compartment,
                    op.hlc.to_sql(),
                    op.device,
                    id
                ])?;
            }
            touched.insert(op.record);
        }
    }
    Ok(applied)
}

/// Refreshes the rows derived from `touched` records: directory entries
/// and search terms, due dates (all of them if a retention rule changed).
fn refresh_derived(
    tx: &Connection,
    rules: &mut Vec<crate::model::retention::RetentionRule>,
    touched: BTreeSet<Uuid>,
) -> Result<()> {
    let mut rules_changed = false;
    let mut people = BTreeSet::new();
    // Each person's directory entry is rebuilt once, however many of
    // its records (affiliations, its companies) changed.
    let mut to_index = BTreeSet::new();
    for id in touched {
        match record_in(tx, id)? {
            Some((RecordKind::RetentionRule, _)) => rules_changed = true,
            Some((RecordKind::Request, _)) => due::refresh_request(tx, rules, id)?,
            Some((RecordKind::Person, _)) => {
                people.insert(id);
                to_index.insert(id);
            }
            Some((RecordKind::Company, _)) => {
                index_company(tx, id)?;
                to_index.extend(linked_people(tx, id)?);
            }
            Some((RecordKind::Affiliation, Some(subject))) => {
                to_index.insert(subject);
            }
            Some((
                RecordKind::Interaction
                | RecordKind::Consent
                | RecordKind::Hold
                | RecordKind::PendingErasure,
                Some(subject),
            )) => {
                people.insert(subject);
            }
            _ => {}
        }
    }
    for p in to_index {
        index_person(tx, p)?;
    }
    if rules_changed {
        *rules = due::load_rules(tx)?;
        due::rebuild(tx, rules)?;
    } else {
        for p in people {
            due::refresh_person(tx, rules, p)?;
        }
    }
    Ok(())
}

pub(super) fn record_in(conn: &Connection, id: Uuid) -> Result<Option<(RecordKind, Option<Uuid>)>> {
    let row: Option<(String, Option<String>)> = conn
        .prepare_cached("SELECT kind, subject FROM records WHERE id = ?1")?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.and_then(|(k, s)| {
        RecordKind::parse(&k).map(|k| (k, s.and_then(|s| Uuid::parse_str(&s).ok())))
    }))
}

fn fields_in(conn: &Connection, id: Uuid) -> Result<Vec<(String, OpValue)>> {
    let mut stmt =
        conn.prepare_cached("SELECT field, value, compartment FROM fields WHERE record = ?1")?;
    let rows = stmt
        .query_map([id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, value_from_sql(r.get(1)?, r.get(2)?)))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Open (never sealed) string values of a record's `wanted` fields,
/// parsed from JSON: a string, or the strings of a list. Read as the row
/// holds them; only the wanted fields are copied and parsed.
fn open_strings(
    conn: &Connection,
    id: Uuid,
    wanted: &[&str],
) -> Result<Vec<(String, Vec<String>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT field, value FROM fields WHERE record = ?1 AND compartment IS NULL",
    )?;
    let mut rows = stmt.query([id.to_string()])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let field = match r.get_ref(0)? {
            ValueRef::Text(t) => std::str::from_utf8(t).unwrap_or_default(),
            _ => continue,
        };
        if !wanted.contains(&field) {
            continue;
        }
        let json = match r.get_ref(1)? {
            ValueRef::Blob(b) | ValueRef::Text(b) => b,
            _ => continue, // cleared
        };
        out.push((field.to_owned(), json_strings(json)));
    }
    Ok(out)
}

/// The strings of a JSON value: itself if a string, its string items if a
/// list, none otherwise (or if it does not parse).
fn json_strings(json: &[u8]) -> Vec<String> {
    match json.trim_ascii_start().first() {
        Some(b'"') => serde_json::from_slice::<String>(json)
            .ok()
            .into_iter()
            .collect(),
        Some(b'[') => serde_json::from_slice::<Vec<serde_json::Value>>(json)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| match v {
                serde_json::Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn first<'a>(fields: &'a [(String, Vec<String>)], name: &str) -> Option<&'a String> {
    fields
        .iter()
        .find(|(f, _)| f == name)
        .and_then(|(_, v)| v.first())
}

fn all<'a>(fields: &'a [(String, Vec<String>)], name: &'a str) -> impl Iterator<Item = &'a String> {
    fields
        .iter()
        .filter(move |(f, _)| f == name)
        .flat_map(|(_, v)| v.iter())
}

/// Lower-case, umlauts and accents folded, for sorting.
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' | 'á' | 'à' | 'â' | 'å' | 'ã' => out.push('a'),
            'ö' | 'ó' | 'ò' | 'ô' | 'ø' | 'õ' => out.push('o'),
            'ü' | 'ú' | 'ù' | 'û' => out.push('u'),
            'é' | 'è' | 'ê' | 'ë' => out.push('e'),
            'í' | 'ì' | 'î' | 'ï' => out.push('i'),
            'ç' => out.push('c'),
            'ñ' => out.push('n'),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out
}

/// Digits of a phone number, plus the national form of a `+CC` number
/// (`+49 171 …` is also found as `0171…`).
fn phone_terms(s: &str) -> String {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    match (s.trim_start().starts_with('+'), digits.get(2..)) {
        (true, Some(national)) => format!("{digits} 0{national}"),
        _ => digits,
    }
}

/// Builds an FTS5 expression: each word becomes a quoted prefix term.
fn fts_query(query: &str) -> Option<String> {
    let terms: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .take(8)
        .map(|t| format!("\"{}\"*", fold(t)))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

pub(super) fn drop_directory(tx: &Connection, id: &str) -> Result<()> {
    let rid: Option<i64> = tx
        .prepare_cached("SELECT rid FROM directory WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    if let Some(rid) = rid {
        tx.prepare_cached("DELETE FROM directory_fts WHERE rowid = ?1")?
            .execute([rid])?;
    }
    tx.prepare_cached("DELETE FROM directory WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

pub(super) fn delete_in(tx: &Connection, records: &[Uuid]) -> Result<usize> {
    let mut removed = 0;
    let mut del_ops = tx.prepare_cached("DELETE FROM ops WHERE record = ?1")?;
    let mut del_fields = tx.prepare_cached("DELETE FROM fields WHERE record = ?1")?;
    let mut del_record = tx.prepare_cached("DELETE FROM records WHERE id = ?1")?;
    let mut del_due = tx.prepare_cached("DELETE FROM due WHERE record = ?1")?;
    for id in records {
        let id = id.to_string();
        removed += del_ops.execute([&id])?;
        del_fields.execute([&id])?;
        del_record.execute([&id])?;
        del_due.execute([&id])?;
        drop_directory(tx, &id)?;
    }
    Ok(removed)
}

/// The people linked to a company (their directory entries show its name).
fn linked_people(tx: &Connection, company: Uuid) -> Result<Vec<Uuid>> {
    let linked: Vec<String> = tx
        .prepare_cached(
            "SELECT r.subject FROM fields f JOIN records r ON r.id = f.record
             WHERE f.field = 'company' AND f.value = ?1 AND r.subject IS NOT NULL",
        )?
        .query_map(
            [serde_json::to_string(&company.to_string())
                .unwrap_or_default()
                .into_bytes()],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok(linked
        .iter()
        .filter_map(|s| Uuid::parse_str(s).ok())
        .collect())
}

pub(super) fn reindex(tx: &Connection, id: Uuid) -> Result<()> {
    let Some((kind, subject)) = record_in(tx, id)? else {
        return Ok(());
    };
    match kind {
        RecordKind::Person => index_person(tx, id),
        RecordKind::Company => {
            index_company(tx, id)?;
            for p in linked_people(tx, id)? {
                index_person(tx, p)?;
            }
            Ok(())
        }
        RecordKind::Affiliation => subject.map_or(Ok(()), |p| index_person(tx, p)),
        RecordKind::Interaction
        | RecordKind::Purpose
        | RecordKind::Consent
        | RecordKind::Setting
        | RecordKind::Disclosure
        | RecordKind::RegisterVersion
        | RecordKind::Request
        | RecordKind::Restriction
        | RecordKind::Suppression
        | RecordKind::PackageRelease
        | RecordKind::Hold
        | RecordKind::PendingErasure
        | RecordKind::RetentionRule
        | RecordKind::DeletionLog
        | RecordKind::Rectification => Ok(()),
    }
}

struct DirEntry<'a> {
    id: Uuid,
    kind: RecordKind,
    display: &'a str,
    sort_key: &'a str,
    company: Option<&'a str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    text: &'a str,
}

/// Writes a directory row and its search terms. Plain single-row INSERT
/// and UPDATE on purpose: an upsert (or RETURNING) makes SQLite open a
/// statement savepoint, and FTS5 writes its pending terms out as a new
/// segment at every savepoint, so a batch of people would become one tiny
/// segment per person (and merges to match) instead of one at commit.
fn write_directory(tx: &Connection, e: &DirEntry<'_>) -> Result<()> {
    let id = e.id.to_string();
    let old: Option<i64> = tx
        .prepare_cached("SELECT rid FROM directory WHERE id = ?1")?
        .query_row([&id], |r| r.get(0))
        .optional()?;
    let rid = match old {
        Some(rid) => {
            tx.prepare_cached("DELETE FROM directory_fts WHERE rowid = ?1")?
                .execute([rid])?;
            tx.prepare_cached(
                "UPDATE directory SET display = ?2, sort_key = ?3, company = ?4, email = ?5, phone = ?6
                 WHERE rid = ?1",
            )?
            .execute(params![rid, e.display, e.sort_key, e.company, e.email, e.phone])?;
            rid
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO directory(id, kind, display, sort_key, company, email, phone)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                id,
                e.kind.as_str(),
                e.display,
                e.sort_key,
                e.company,
                e.email,
                e.phone
            ])?;
            tx.last_insert_rowid()
        }
    };
    tx.prepare_cached("INSERT INTO directory_fts(rowid, text) VALUES (?1, ?2)")?
        .execute(params![rid, fold(e.text)])?;
    Ok(())
}

fn company_names_of(tx: &Connection, person: Uuid) -> Result<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    let links: Vec<String> = tx
        .prepare_cached("SELECT id FROM records WHERE subject = ?1 AND kind = 'affiliation' ORDER BY created_hlc")?
        .query_map([person.to_string()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for link in links.iter().filter_map(|s| Uuid::parse_str(s).ok()) {
        let lf = open_strings(tx, link, &["role", "company"])?;
        let role = first(&lf, "role").cloned();
        if let Some(company) = first(&lf, "company").and_then(|c| Uuid::parse_str(c).ok()) {
            let cf = open_strings(tx, company, &["name"])?;
            if let Some(name) = first(&cf, "name") {
                out.push((name.clone(), role));
            }
        }
    }
    Ok(out)
}

fn index_person(tx: &Connection, id: Uuid) -> Result<()> {
    let anonymised = tx
        .prepare_cached("SELECT 1 FROM erased WHERE id = ?1")?
        .query_row([id.to_string()], |_| Ok(()))
        .optional()?
        .is_some();
    if anonymised {
        return drop_directory(tx, &id.to_string());
    }
    let f = open_strings(
        tx,
        id,
        &[
            "given_name",
            "family_name",
            "title",
            "emails",
            "tags",
            "phones",
        ],
    )?;
    let given = first(&f, "given_name").map(String::as_str).unwrap_or("");
    let family = first(&f, "family_name").map(String::as_str).unwrap_or("");
    let title = first(&f, "title").map(String::as_str).unwrap_or("");
    let display = [title, given, family]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let sort_key = fold(&format!("{family}\u{1}{given}"));
    let companies = company_names_of(tx, id)?;
    let mut text = display.clone();
    for s in all(&f, "emails").chain(all(&f, "tags")) {
        text.push(' ');
        text.push_str(s);
    }
    for p in all(&f, "phones") {
        text.push(' ');
        text.push_str(p);
        text.push(' ');
        text.push_str(&phone_terms(p));
    }
    for (name, role) in &companies {
        text.push(' ');
        text.push_str(name);
        if let Some(role) = role {
            text.push(' ');
            text.push_str(role);
        }
    }
    write_directory(
        tx,
        &DirEntry {
            id,
            kind: RecordKind::Person,
            display: &display,
            sort_key: &sort_key,
            company: companies.first().map(|(n, _)| n.as_str()),
            email: first(&f, "emails").map(String::as_str),
            phone: first(&f, "phones").map(String::as_str),
            text: &text,
        },
    )
}

fn index_company(tx: &Connection, id: Uuid) -> Result<()> {
    let f = open_strings(tx, id, &["name", "phones"])?;
    let name = first(&f, "name").map(String::as_str).unwrap_or("");
    let mut text = name.to_owned();
    for p in all(&f, "phones") {
        text.push(' ');
        text.push_str(p);
        text.push(' ');
        text.push_str(&phone_terms(p));
    }
    write_directory(
        tx,
        &DirEntry {
            id,
            kind: RecordKind::Company,
            display: name,
            sort_key: &fold(name),
            company: None,
            email: None,
            phone: first(&f, "phones").map(String::as_str),
            text: &text,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_words_and_drops_operators() {
        assert_eq!(fts_query("Mül").as_deref(), Some("\"mul\"*"));
        assert_eq!(
            fts_query("anna.m OR x").as_deref(),
            Some("\"anna\"* \"m\"* \"or\"* \"x\"*")
        );
        assert_eq!(fts_query("\"*()"), None);
    }

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
    fn fold_sorts_umlauts_with_their_base_letter() {
        assert_eq!(fold("Müller"), "muller");
        assert_eq!(fold("Straße"), "strasse");
    }
}
