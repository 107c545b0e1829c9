//! Applying changes: ops and subject keys written once whatever the order
//! they come in, batches of writes, and the refresh of the rows derived
//! from what changed.

use std::collections::BTreeSet;

use rusqlite::{Connection, OpenFlags, params};
use uuid::Uuid;

use super::cipher::connect;
use super::directory::{index_company, index_person, linked_people, refresh_last_contact};
use super::due;
use super::followups;
use super::forget::{admissible, any_tombstone, is_erased_in};
use super::handle::Store;
use super::rows::{record_in, value_to_sql};
use crate::error::{Error, Result};
use crate::model::categories::RecordKind;
use crate::ops::{CREATE_FIELD, Op, OpValue};

/// SQLite's default: a commit checkpoints once the WAL holds this many pages.
const AUTOCHECKPOINT: u32 = 1000;

impl Store {
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
            if foreign && is_erased_in(tx, *subject)? {
                continue;
            }
            ins_key.execute(params![subject.to_string(), wrapped])?;
        }
        // Without tombstones there is nothing to filter.
        let filter = foreign && any_tombstone(tx)?;
        for op in ops {
            if filter && !admissible(tx, op)? {
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
                drop_other_kinds(tx, &record, op.kind)?;
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

/// A record keeps the kind it was made as: changes of it that arrived
/// before its creation naming another kind (which the sync gate could not
/// check yet, see `sync::apply`) are dropped, and each field they touched
/// takes the latest value of the changes that remain.
fn drop_other_kinds(tx: &Connection, record: &str, kind: RecordKind) -> Result<()> {
    let stray = tx
        .prepare_cached("SELECT 1 FROM ops WHERE record = ?1 AND kind <> ?2 LIMIT 1")?
        .exists(params![record, kind.as_str()])?;
    if !stray {
        return Ok(());
    }
    tx.prepare_cached(
        "DELETE FROM fields WHERE record = ?1
         AND op IN (SELECT id FROM ops WHERE record = ?1 AND kind <> ?2)",
    )?
    .execute(params![record, kind.as_str()])?;
    tx.prepare_cached("DELETE FROM ops WHERE record = ?1 AND kind <> ?2")?
        .execute(params![record, kind.as_str()])?;
    tx.prepare_cached(
        "INSERT INTO fields(record, field, value, compartment, hlc, device, op)
         SELECT o.record, o.field, o.value, o.compartment, o.hlc, o.device, o.id FROM ops o
         WHERE o.record = ?1 AND o.field <> ?2
           AND NOT EXISTS (SELECT 1 FROM fields f WHERE f.record = ?1 AND f.field = o.field)
           AND o.id = (SELECT o2.id FROM ops o2 WHERE o2.record = ?1 AND o2.field = o.field
                       ORDER BY o2.hlc DESC, o2.device DESC, o2.id DESC LIMIT 1)",
    )?
    .execute(params![record, CREATE_FIELD])?;
    Ok(())
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
    // People whose interactions changed: their last contact.
    let mut contacted = BTreeSet::new();
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
            Some((RecordKind::FollowUp, Some(subject))) => {
                followups::refresh(tx, id)?;
                // A done follow-up falls due with the communication record.
                if matches!(record_in(tx, subject)?, Some((RecordKind::Company, _))) {
                    due::refresh_company_followup(tx, rules, id)?;
                } else {
                    people.insert(subject);
                }
            }
            Some((RecordKind::Interaction, Some(subject))) => {
                people.insert(subject);
                contacted.insert(subject);
            }
            Some((
                RecordKind::Consent | RecordKind::Hold | RecordKind::PendingErasure,
                Some(subject),
            )) => {
                people.insert(subject);
            }
            _ => {}
        }
    }
    for p in contacted.difference(&to_index) {
        refresh_last_contact(tx, *p)?;
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
