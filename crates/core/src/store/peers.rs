//! What the store keeps for and of other devices: the outbox of changes to
//! send, the journal of removals, the segments applied, the devices' keys,
//! and the tombstones a snapshot carries.

use std::collections::BTreeSet;

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::handle::Store;
use super::rows::row_to_op;
use crate::error::Result;
#[cfg(feature = "test-support")]
use crate::model::categories::RecordKind;
use crate::ops::{Forget, Hlc, Op, Stamp};

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

impl Store {
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

impl Store {
    /// Test support: relabels the kind of every change in the outbox (see
    /// `Session::patch_outbox_kind`).
    #[cfg(feature = "test-support")]
    pub(crate) fn relabel_outbox(&mut self, kind: RecordKind) -> Result<()> {
        self.conn.execute(
            "UPDATE ops SET kind = ?1 WHERE id IN (SELECT op FROM outbox)",
            [kind.as_str()],
        )?;
        Ok(())
    }

    /// Test support: sets the value of every change of `field` in the
    /// outbox to the JSON `value` (see `Session::patch_outbox_value`).
    #[cfg(feature = "test-support")]
    pub(crate) fn rewrite_outbox_value(&mut self, field: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE ops SET value = ?2 WHERE field = ?1 AND id IN (SELECT op FROM outbox)",
            params![field, value.as_bytes()],
        )?;
        Ok(())
    }

    /// Test support: renames the field of every change of `from` in the
    /// outbox (see `Session::patch_outbox_field`).
    #[cfg(feature = "test-support")]
    pub(crate) fn rename_outbox_field(&mut self, from: &str, to: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE ops SET field = ?2 WHERE field = ?1 AND id IN (SELECT op FROM outbox)",
            params![from, to],
        )?;
        Ok(())
    }
}
