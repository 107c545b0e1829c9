//! Removing data for good: a [`Forget`] applied with its tombstones (an
//! erased subject's key destroyed with it), the filter that keeps late ops
//! of removed data out, and the tombstones of a snapshot taken over.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::directory::{drop_directory, linked_people, reindex};
use super::followups;
use super::handle::Store;
use super::peers::SnapshotParts;
use super::rows::record_in;
use crate::error::Result;
use crate::model::categories::RecordKind;
use crate::ops::{CREATE_FIELD, Forget, Hlc, Op, OpValue, Stamp};

/// Whether a subject was erased or anonymised.
pub(super) fn is_erased_in(tx: &Connection, id: Uuid) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM erased WHERE id = ?1")?
        .exists([id.to_string()])?)
}

/// Erases a field's values made up to `bound` (the HLC of the erasure):
/// its old values in the history and the current one if not newer; a
/// value written after the erasure stays. Records the bound so later
/// arrivals of older values are dropped. Returns the changes removed.
fn forget_field(tx: &Connection, record: Uuid, field: &str, bound: Hlc) -> Result<usize> {
    let id = record.to_string();
    let removed = tx
        .prepare_cached("DELETE FROM ops WHERE record = ?1 AND field = ?2 AND hlc <= ?3")?
        .execute(params![id, field, bound.to_sql()])?;
    tx.prepare_cached("DELETE FROM fields WHERE record = ?1 AND field = ?2 AND hlc <= ?3")?
        .execute(params![id, field, bound.to_sql()])?;
    tx.prepare_cached(
        "INSERT INTO forgotten(record, field, hlc) VALUES (?1, ?2, ?3)
         ON CONFLICT(record, field) DO UPDATE SET hlc = max(hlc, excluded.hlc)",
    )?
    .execute(params![id, field, bound.to_sql()])?;
    Ok(removed)
}

/// Whether any record was deleted for good or any field erased.
pub(super) fn any_tombstone(tx: &Connection) -> Result<bool> {
    Ok(tx.query_row(
        "SELECT EXISTS(SELECT 1 FROM gone) OR EXISTS(SELECT 1 FROM forgotten)",
        [],
        |r| r.get(0),
    )?)
}

/// Whether an op from another device may be applied: not for a record or
/// subject deleted for good, not older than the erasure of its field.
pub(super) fn admissible(tx: &Connection, op: &Op) -> Result<bool> {
    let rid = op.record.to_string();
    let mut gone = tx.prepare_cached("SELECT 1 FROM gone WHERE id = ?1")?;
    if gone.exists([&rid])? {
        return Ok(false);
    }
    if op.field == CREATE_FIELD {
        let subject = match &op.value {
            OpValue::Open(json) => serde_json::from_str::<Option<Uuid>>(json).ok().flatten(),
            _ => None,
        };
        // A follow-up is something to do about someone: none for a person
        // no one can name any more either.
        if let Some(s) = subject
            && s != op.record
            && (gone.exists([s.to_string()])?
                || op.kind == RecordKind::FollowUp && is_erased_in(tx, s)?)
        {
            // Made for an erased person on a device that did not know yet:
            // it goes too, with any change of it that arrived first.
            drop(gone);
            delete_in(tx, &[op.record])?;
            tx.execute("INSERT OR IGNORE INTO gone(id) VALUES (?1)", [&rid])?;
            return Ok(false);
        }
        return Ok(true);
    }
    let bound: Option<i64> = tx
        .prepare_cached("SELECT hlc FROM forgotten WHERE record = ?1 AND field = ?2")?
        .query_row(params![rid, op.field], |r| r.get(0))
        .optional()?;
    Ok(bound.is_none_or(|b| op.hlc.to_sql() > b))
}

fn prune(tx: &Connection, record: Uuid) -> Result<usize> {
    Ok(tx.execute(
        "DELETE FROM ops WHERE record = ?1 AND field <> ?2
         AND id NOT IN (SELECT op FROM fields WHERE record = ?1)",
        params![record.to_string(), CREATE_FIELD],
    )?)
}

fn mark_gone(tx: &Connection, ids: impl IntoIterator<Item = Uuid>) -> Result<()> {
    let mut ins = tx.prepare_cached("INSERT OR IGNORE INTO gone(id) VALUES (?1)")?;
    for id in ids {
        ins.execute([id.to_string()])?;
    }
    Ok(())
}

fn tombstone(tx: &Connection, subject: Uuid, at_ms: i64, reference: &str) -> Result<()> {
    let sid = subject.to_string();
    tx.execute("DELETE FROM subject_keys WHERE subject = ?1", [&sid])?;
    tx.execute("DELETE FROM due WHERE subject = ?1 OR record = ?1", [&sid])?;
    followups::drop_rows(tx, &sid)?;
    tx.execute(
        "INSERT INTO erased(id, at, request) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO NOTHING",
        params![sid, at_ms, reference],
    )?;
    Ok(())
}

pub(super) fn delete_in(tx: &Connection, records: &[Uuid]) -> Result<usize> {
    // People whose link goes, or whose company goes: their directory
    // entry names the company.
    let mut linked = BTreeSet::new();
    for id in records {
        match record_in(tx, *id)? {
            // An interaction's person: their last contact.
            Some((RecordKind::Affiliation | RecordKind::Interaction, Some(person))) => {
                linked.insert(person);
            }
            Some((RecordKind::Company, _)) => linked.extend(linked_people(tx, *id)?),
            _ => {}
        }
    }
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
        followups::drop_rows(tx, &id)?;
    }
    for person in linked {
        reindex(tx, person)?;
    }
    Ok(removed)
}

impl Store {
    /// Removes data as `forget` says, leaves its tombstones, and journals
    /// it, all in one transaction. Applying the same forget twice does
    /// nothing the second time. Returns the number of changes removed from
    /// the history.
    pub fn forget(&mut self, forget: &Forget, stamp: &Stamp) -> Result<usize> {
        let tx = self.conn.savepoint()?;
        let body = serde_json::to_string(forget).unwrap_or_default();
        let new = tx.execute(
            "INSERT OR IGNORE INTO forgets(id, hlc, device, body) VALUES (?1, ?2, ?3, ?4)",
            params![stamp.id.to_string(), stamp.hlc.to_sql(), stamp.device, body],
        )?;
        if new == 0 {
            // Already applied. Pruning is repeated: a segment replayed after
            // a stop may have brought the old values back.
            if let Forget::History { record } = forget {
                prune(&tx, *record)?;
                tx.commit()?;
            }
            return Ok(0);
        }
        let removed = match forget {
            Forget::Subject {
                subject,
                records,
                at_ms,
                request,
            } => {
                // The eraser's list, and whatever this store holds of the subject.
                let mut all: BTreeSet<Uuid> = records.iter().copied().collect();
                all.insert(*subject);
                let mut stmt = tx.prepare_cached("SELECT id FROM records WHERE subject = ?1")?;
                let ids = stmt
                    .query_map([subject.to_string()], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                drop(stmt);
                all.extend(ids.iter().filter_map(|s| Uuid::parse_str(s).ok()));
                // What is about their sole trader's companies (follow-ups
                // the eraser did not know of) goes with them.
                let companies: Vec<Uuid> = all
                    .iter()
                    .copied()
                    .filter(|id| matches!(record_in(&tx, *id), Ok(Some((RecordKind::Company, _)))))
                    .collect();
                let mut stmt = tx.prepare_cached("SELECT id FROM records WHERE subject = ?1")?;
                for c in companies {
                    let ids = stmt
                        .query_map([c.to_string()], |r| r.get::<_, String>(0))?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    all.extend(ids.iter().filter_map(|s| Uuid::parse_str(s).ok()));
                }
                drop(stmt);
                let all: Vec<Uuid> = all.into_iter().collect();
                let removed = delete_in(&tx, &all)?;
                tombstone(&tx, *subject, *at_ms, request)?;
                mark_gone(&tx, all)?;
                removed
            }
            Forget::Companies { records } => delete_in(&tx, records)?,
            Forget::Records { records } => {
                let removed = delete_in(&tx, records)?;
                mark_gone(&tx, records.iter().copied())?;
                removed
            }
            Forget::Fields { record, fields } => {
                let mut removed = 0;
                for f in fields {
                    removed += forget_field(&tx, *record, f, stamp.hlc)?;
                }
                reindex(&tx, *record)?;
                followups::refresh(&tx, *record)?;
                removed
            }
            Forget::History { record } => prune(&tx, *record)?,
            Forget::Anonymised {
                subject,
                at_ms,
                reference,
            } => {
                tombstone(&tx, *subject, *at_ms, reference)?;
                drop_directory(&tx, &subject.to_string())?;
                0
            }
        };
        tx.commit()?;
        Ok(removed)
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

    /// Whether an id is deleted for good.
    pub fn is_gone(&self, id: Uuid) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM gone WHERE id = ?1")?
            .exists([id.to_string()])?)
    }

    /// Takes over a snapshot's tombstones: an erased id is erased here
    /// too (its records deleted), and the lists are merged.
    pub fn adopt_tombstones(&mut self, parts: &SnapshotParts) -> Result<bool> {
        let tx = self.conn.savepoint()?;
        let mut erased_any = false;
        for (id, at, reference) in &parts.erased {
            let known: bool = tx
                .prepare_cached("SELECT 1 FROM erased WHERE id = ?1")?
                .exists([id.to_string()])?;
            if known {
                continue;
            }
            if parts.gone.contains(id) {
                let mut stmt = tx.prepare_cached("SELECT id FROM records WHERE subject = ?1")?;
                let ids: Vec<Uuid> = stmt
                    .query_map([id.to_string()], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()?
                    .iter()
                    .filter_map(|s| Uuid::parse_str(s).ok())
                    .collect();
                drop(stmt);
                delete_in(&tx, &ids)?;
                delete_in(&tx, &[*id])?;
                erased_any = true;
            } else {
                drop_directory(&tx, &id.to_string())?;
            }
            tombstone(&tx, *id, *at, reference)?;
        }
        for id in &parts.gone {
            if record_in(&tx, *id)?.is_some() {
                delete_in(&tx, &[*id])?;
                erased_any = true;
            }
        }
        mark_gone(&tx, parts.gone.iter().copied())?;
        for (record, field, hlc) in &parts.forgotten {
            // Values this laptop still holds from before the erasure go now.
            if forget_field(&tx, *record, field, *hlc)? > 0 {
                reindex(&tx, *record)?;
                followups::refresh(&tx, *record)?;
                erased_any = true;
            }
        }
        tx.commit()?;
        Ok(erased_any)
    }
}
