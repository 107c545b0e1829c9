//! Ops and values as the store's rows hold them, and the two reads every
//! part of the store makes: a record's kind and subject, and its fields.

use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use crate::error::Result;
use crate::model::categories::{Compartment, RecordKind};
use crate::ops::{Hlc, Op, OpValue};

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

pub(super) fn record_in(conn: &Connection, id: Uuid) -> Result<Option<(RecordKind, Option<Uuid>)>> {
    let row: Option<(String, Option<String>)> = conn
        .prepare_cached("SELECT kind, subject FROM records WHERE id = ?1")?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row.and_then(|(k, s)| {
        RecordKind::parse(&k).map(|k| (k, s.and_then(|s| Uuid::parse_str(&s).ok())))
    }))
}

/// Who signed a record's creation (the author the sync gate checked), if
/// this store holds it.
pub(super) fn creator_in(conn: &Connection, id: Uuid) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT author FROM ops WHERE record = ?1 AND field = ?2")?
        .query_row(
            rusqlite::params![id.to_string(), crate::ops::CREATE_FIELD],
            |r| r.get::<_, String>(0),
        )
        .optional()?)
}

pub(super) fn fields_in(conn: &Connection, id: Uuid) -> Result<Vec<(String, OpValue)>> {
    let mut stmt =
        conn.prepare_cached("SELECT field, value, compartment FROM fields WHERE record = ?1")?;
    let rows = stmt
        .query_map([id.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, value_from_sql(r.get(1)?, r.get(2)?)))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
