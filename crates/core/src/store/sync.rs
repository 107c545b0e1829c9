//! The store's side of sync: removals journaled as [`Forget`]s with their
//! tombstones, the filter that keeps late ops of removed data out, what a
//! device sends, and the per-device record of segments applied.

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::{Store, delete_in, drop_directory, record_in, reindex, row_to_op};
use crate::error::Result;
use crate::ops::{CREATE_FIELD, Forget, Hlc, Op, OpValue, Stamp};

/// A journaled removal.
#[derive(Debug, Clone)]
pub struct ForgetRow {
    /// Local journal position.
    pub seq: i64,
    /// Who and when.
    pub stamp: Stamp,
    /// What.
    pub forget: Forget,
}

/// What a snapshot holds besides the ops: the tombstones that compaction
/// never drops.
#[derive(Debug, Clone, Default)]
pub struct SnapshotParts {
    /// Erased and anonymised ids with date and reference.
    pub erased: Vec<(Uuid, i64, String)>,
    /// Records and subjects deleted for good.
    pub gone: Vec<Uuid>,
    /// Field erasures: (record, field, hlc).
    pub forgotten: Vec<(Uuid, String, Hlc)>,
}

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
        if let Some(s) = subject
            && s != op.record
            && gone.exists([s.to_string()])?
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
    tx.execute(
        "INSERT INTO erased(id, at, request) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO NOTHING",
        params![sid, at_ms, reference],
    )?;
    Ok(())
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
                let all: Vec<Uuid> = all.into_iter().collect();
                let removed = delete_in(&tx, &all)?;
                tombstone(&tx, *subject, *at_ms, request)?;
                mark_gone(&tx, all)?;
                removed
            }
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

    /// Ops made here and not yet sent, in commit order, at most `limit`,
    /// each with the subject of its record, and the outbox position of the
    /// last (to pass to [`Store::sent`]). Ops removed since are skipped.
    #[allow(clippy::type_complexity)]
    pub fn outbox(&self, limit: usize) -> Result<(Vec<(Op, Option<Uuid>)>, Option<i64>)> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.id, o.hlc, o.device, o.author, o.record, o.kind, o.field, o.value,
                    o.compartment, r.subject, x.seq
             FROM outbox x
             LEFT JOIN ops o ON o.record = x.record AND o.hlc = x.hlc AND o.id = x.op
             LEFT JOIN records r ON r.id = o.record
             ORDER BY x.seq LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            let present = r.get::<_, Option<String>>(0)?.is_some();
            let op = if present { row_to_op(r)? } else { None };
            Ok((op, r.get::<_, Option<String>>(9)?, r.get::<_, i64>(10)?))
        })?;
        let mut out = Vec::new();
        let mut last = None;
        for row in rows {
            let (op, subject, seq) = row?;
            last = Some(seq);
            if let Some(op) = op {
                out.push((op, subject.and_then(|s| Uuid::parse_str(&s).ok())));
            }
        }
        Ok((out, last))
    }

    /// Takes sent ops (up to outbox position `upto`) out of the outbox.
    pub fn sent(&self, upto: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM outbox WHERE seq <= ?1", [upto])?;
        Ok(())
    }

    /// Every op in the store with the subject of its record, in the
    /// store's order (by record), for a snapshot; `each` is called per op.
    pub fn each_op(&self, mut each: impl FnMut(Op, Option<Uuid>) -> Result<()>) -> Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT o.id, o.hlc, o.device, o.author, o.record, o.kind, o.field, o.value,
                    o.compartment, r.subject
             FROM ops o LEFT JOIN records r ON r.id = o.record",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let subject: Option<String> = r.get(9)?;
            if let Some(op) = row_to_op(r)? {
                each(op, subject.and_then(|s| Uuid::parse_str(&s).ok()))?;
            }
        }
        Ok(())
    }

    /// Removals `device` made after journal position `after`.
    pub fn forgets_of_device(&self, device: &str, after: i64) -> Result<Vec<ForgetRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, id, hlc, device, body FROM forgets
             WHERE device = ?1 AND seq > ?2 ORDER BY seq",
        )?;
        let rows = stmt
            .query_map(params![device, after], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(seq, id, hlc, device, body)| {
                Some(ForgetRow {
                    seq,
                    stamp: Stamp {
                        id: Uuid::parse_str(&id).ok()?,
                        hlc: Hlc::from_sql(hlc),
                        device,
                    },
                    forget: serde_json::from_str(&body).ok()?,
                })
            })
            .collect())
    }

    /// Number of ops made here and not yet sent.
    pub fn outbox_len(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The wrapped keys of those of `ids` that have one.
    pub fn wrapped_keys(&self, ids: &BTreeSet<Uuid>) -> Result<Vec<(Uuid, Vec<u8>)>> {
        let mut out = Vec::new();
        for id in ids {
            if let Some(w) = self.subject_key(*id)? {
                out.push((*id, w));
            }
        }
        Ok(out)
    }

    /// Whether an id is deleted for good.
    pub fn is_gone(&self, id: Uuid) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM gone WHERE id = ?1")?
            .exists([id.to_string()])?)
    }

    /// The tombstones, for a snapshot.
    pub fn snapshot_parts(&self) -> Result<SnapshotParts> {
        let parse = |s: String| Uuid::parse_str(&s).ok();
        let mut stmt = self.conn.prepare("SELECT id, at, request FROM erased")?;
        let erased = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter_map(|(id, at, req)| Some((parse(id)?, at, req)))
            .collect();
        let mut stmt = self.conn.prepare("SELECT id FROM gone")?;
        let gone = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter_map(parse)
            .collect();
        let mut stmt = self
            .conn
            .prepare("SELECT record, field, hlc FROM forgotten")?;
        let forgotten = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter_map(|(rec, f, h)| Some((parse(rec)?, f, Hlc::from_sql(h))))
            .collect();
        Ok(SnapshotParts {
            erased,
            gone,
            forgotten,
        })
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
                erased_any = true;
            }
        }
        tx.commit()?;
        Ok(erased_any)
    }

    /// The hash recorded for a device's segment, if applied.
    pub fn seen_segment(&self, device: &str, seq: u64) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT hash FROM sync_seen WHERE device = ?1 AND seq = ?2")?
            .query_row(params![device, seq as i64], |r| r.get(0))
            .optional()?)
    }

    /// The highest segment applied per device.
    pub fn seen_heads(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT device, max(seq) FROM sync_seen GROUP BY device ORDER BY device")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .map(|(d, s)| (d, u64::try_from(s).unwrap_or(0)))
            .collect())
    }

    /// Records a segment as applied.
    pub fn mark_seen(&self, device: &str, seq: u64, hash: &[u8]) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO sync_seen(device, seq, hash) VALUES (?1, ?2, ?3)
                 ON CONFLICT(device, seq) DO NOTHING",
            )?
            .execute(params![device, seq as i64, hash])?;
        Ok(())
    }

    /// The pinned signing key of a device.
    pub fn device_key(&self, device: &str) -> Result<Option<(Vec<u8>, String)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT public, user FROM sync_devices WHERE device = ?1")?
            .query_row([device], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Pins a device's signing key.
    pub fn pin_device(
        &self,
        device: &str,
        public: &[u8],
        user: &str,
        host: &str,
        created: i64,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sync_devices(device, public, user, host, created) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(device) DO NOTHING",
            params![device, public, user, host, created],
        )?;
        Ok(())
    }
}
