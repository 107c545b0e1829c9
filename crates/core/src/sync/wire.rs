//! The forms of what goes into the folder: changes, removals, bodies of
//! segments and snapshots, device cards, acks and retirements, and the
//! translation of ops to and from them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::crypto::{self, Context, Key32};
use crate::model::categories::{Compartment, RecordKind};
use crate::ops::{CREATE_FIELD, Forget, Hlc, Op, OpValue};
use crate::session::Session;

#[derive(Serialize, Deserialize)]
pub(super) enum WireValue {
    Open(Vec<u8>),
    Sealed(String, Vec<u8>),
    Cleared,
    /// Sealed again under the subject's sync key.
    Subject {
        subject: Uuid,
        compartment: Option<String>,
        bytes: Vec<u8>,
    },
}

#[derive(Serialize, Deserialize)]
pub(super) struct WireOp {
    pub(super) id: Uuid,
    pub(super) hlc: u64,
    pub(super) device: String,
    pub(super) author: String,
    pub(super) record: Uuid,
    pub(super) kind: String,
    pub(super) field: String,
    pub(super) value: WireValue,
}

#[derive(Serialize, Deserialize)]
pub(super) struct WireForget {
    pub(super) id: Uuid,
    pub(super) hlc: u64,
    pub(super) device: String,
    pub(super) forget: Forget,
}

#[derive(Serialize, Deserialize, Default)]
pub(super) struct Body {
    pub(super) ops: Vec<WireOp>,
    pub(super) keys: Vec<(Uuid, Vec<u8>)>,
    pub(super) forgets: Vec<WireForget>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct Card {
    pub(super) public: [u8; 32],
    pub(super) user: String,
    pub(super) host: String,
    pub(super) created_ms: i64,
}

#[derive(Serialize, Deserialize)]
pub(super) struct AckBody {
    pub(super) heads: Vec<(Uuid, u64)>,
    pub(super) at_ms: i64,
}

#[derive(Serialize, Deserialize)]
pub(super) struct RetireBody {
    pub(super) device: Uuid,
    pub(super) by: String,
    pub(super) at_ms: i64,
    /// Its last segment the retiring laptop had applied: segments up to
    /// it are still applied everywhere (a laptop joining later needs
    /// them), later ones never.
    pub(super) upto: u64,
    /// The admins' signature of the above (see [`RetireBody::signed`]);
    /// empty in vaults made before the admins' key existed.
    pub(super) admin_sig: Vec<u8>,
}

impl RetireBody {
    /// What the admins' key signs: a device card's user is its own
    /// claim, so the retiring laptop's card alone does not show an admin.
    pub(super) fn signed(&self) -> Vec<u8> {
        format!(
            "tresor retire\n{}\n{}\n{}\n{}",
            self.device, self.by, self.at_ms, self.upto
        )
        .into_bytes()
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct SnapshotBody {
    pub(super) covers: Vec<(Uuid, u64, [u8; 32])>,
    pub(super) body: Body,
    pub(super) erased: Vec<(Uuid, i64, String)>,
    pub(super) gone: Vec<Uuid>,
    pub(super) forgotten: Vec<(Uuid, String, u64)>,
}

/// An op as it was made, from its form in the folder; `key` opens a
/// person's value. `None` when it does not open or is of an unknown kind.
pub(super) fn unwire_op(w: WireOp, key: Option<&Key32>) -> Option<Op> {
    let kind = RecordKind::parse(&w.kind)?;
    let value = match w.value {
        WireValue::Cleared => OpValue::Cleared,
        WireValue::Open(bytes) => OpValue::Open(String::from_utf8(bytes).ok()?),
        WireValue::Sealed(c, bytes) => OpValue::Sealed {
            compartment: Compartment::parse(&c)?,
            bytes,
        },
        WireValue::Subject {
            compartment, bytes, ..
        } => {
            let id = w.id.to_string();
            let inner = crypto::open(key?, &value_ctx(&id, &w.field), &bytes)?;
            match compartment {
                None => OpValue::Open(String::from_utf8(inner.to_vec()).ok()?),
                Some(c) => OpValue::Sealed {
                    compartment: Compartment::parse(&c)?,
                    bytes: inner.to_vec(),
                },
            }
        }
    };
    Some(Op {
        id: w.id,
        hlc: Hlc(w.hlc),
        device: w.device,
        author: w.author,
        record: w.record,
        kind,
        field: w.field,
        value,
    })
}

fn value_ctx<'a>(op: &'a str, field: &'a str) -> Context<'a> {
    Context {
        domain: "sync-value",
        owner: op,
        slot: field,
        schema: 1,
    }
}

pub(super) fn ms_to_time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl Session {
    /// Wire form of an op: values of a subject's records sealed again
    /// under the subject's sync key.
    pub(super) fn wire_op(
        &self,
        op: Op,
        subject: Option<Uuid>,
        cache: &mut HashMap<Uuid, Option<Key32>>,
    ) -> WireOp {
        let key = match subject {
            Some(s) if op.field != CREATE_FIELD && !matches!(op.value, OpValue::Cleared) => cache
                .entry(s)
                .or_insert_with(|| self.subject_sync_key(s, None))
                .clone()
                .map(|k| (s, k)),
            _ => None,
        };
        let id = op.id.to_string();
        let value = match (op.value, key) {
            (OpValue::Cleared, _) => WireValue::Cleared,
            (OpValue::Open(json), None) => WireValue::Open(json.into_bytes()),
            (OpValue::Sealed { compartment, bytes }, None) => {
                WireValue::Sealed(compartment.as_str().into(), bytes)
            }
            (OpValue::Open(json), Some((subject, k))) => WireValue::Subject {
                subject,
                compartment: None,
                bytes: crypto::seal(&k, &value_ctx(&id, &op.field), json.as_bytes()),
            },
            (OpValue::Sealed { compartment, bytes }, Some((subject, k))) => WireValue::Subject {
                subject,
                compartment: Some(compartment.as_str().into()),
                bytes: crypto::seal(&k, &value_ctx(&id, &op.field), &bytes),
            },
        };
        WireOp {
            id: op.id,
            hlc: op.hlc.0,
            device: op.device,
            author: op.author,
            record: op.record,
            kind: op.kind.as_str().into(),
            field: op.field,
            value,
        }
    }
}
