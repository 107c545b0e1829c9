//! Reading records: their kinds, subjects, fields and history, and the
//! sealed values and wrapped keys that a key rotation replaces.

use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

use super::handle::Store;
use super::rows::{creator_in, fields_in, record_in, row_to_op, value_from_sql};
use crate::error::Result;
use crate::model::categories::{Compartment, RecordKind};
use crate::ops::{Hlc, Op, OpValue};

/// One op as read back for history.
#[derive(Debug, Clone)]
pub struct OpRow {
    /// The op.
    pub op: Op,
}

impl Store {
    /// Kind and subject of a record.
    pub fn record(&self, id: Uuid) -> Result<Option<(RecordKind, Option<Uuid>)>> {
        record_in(&self.conn, id)
    }

    /// Who signed a record's creation, if this store holds it.
    pub fn creator(&self, id: Uuid) -> Result<Option<String>> {
        creator_in(&self.conn, id)
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

    /// The links (affiliations) naming a company: (link, person, when it
    /// was made), oldest first.
    pub fn company_links(&self, company: Uuid) -> Result<Vec<(Uuid, Uuid, Hlc)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.subject, r.created_hlc FROM fields f JOIN records r ON r.id = f.record
             WHERE f.field = 'company' AND f.value = ?1 AND r.kind = 'affiliation'
               AND r.subject IS NOT NULL
             ORDER BY r.created_hlc, r.id",
        )?;
        let value = serde_json::to_string(&company.to_string())
            .unwrap_or_default()
            .into_bytes();
        let rows = stmt
            .query_map([value], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(l, p, h)| {
                Some((
                    Uuid::parse_str(&l).ok()?,
                    Uuid::parse_str(&p).ok()?,
                    Hlc::from_sql(h),
                ))
            })
            .collect())
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
