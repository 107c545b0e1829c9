//! The write path: every change is an [`Op`], stamped with a hybrid logical
//! clock and applied deterministically.
//!
//! Applying the same set of ops in any order, any number of times, yields the
//! same state: the field value with the greatest (HLC, device, op id) wins.
//! This is what makes sync, audit and "who changed what, when" one mechanism.
//! This module builds ops; only [`crate::store`] writes them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::categories::{Compartment, RecordKind};

/// Hybrid logical clock stamp: wall-clock milliseconds in the high 48 bits,
/// a counter in the low 16, so stamps sort as integers and stay monotonic
/// even when the wall clock steps back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hlc(pub u64);

impl Hlc {
    const COUNTER_BITS: u32 = 16;

    /// Milliseconds since the Unix epoch.
    pub fn wall_ms(self) -> u64 {
        self.0 >> Self::COUNTER_BITS
    }

    /// The next stamp after `last`, given the wall clock `now_ms`.
    pub fn tick(last: Hlc, now_ms: u64) -> Hlc {
        let candidate = Hlc(now_ms << Self::COUNTER_BITS);
        if candidate > last {
            candidate
        } else {
            Hlc(last.0 + 1)
        }
    }

    /// As stored in SQLite (which has signed 64-bit integers).
    pub fn to_sql(self) -> i64 {
        i64::try_from(self.0).unwrap_or(i64::MAX)
    }

    /// From SQLite.
    pub fn from_sql(v: i64) -> Hlc {
        Hlc(u64::try_from(v).unwrap_or(0))
    }

    /// The wall-clock part as a UTC time.
    pub fn to_datetime(self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_millis(i64::try_from(self.wall_ms()).unwrap_or(0))
            .unwrap_or_default()
    }
}

/// The value an op writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpValue {
    /// JSON text of an open-category value.
    Open(String),
    /// A sealed value of a compartmented category.
    Sealed {
        /// Which compartment key sealed it.
        compartment: Compartment,
        /// version ‖ nonce ‖ ciphertext.
        bytes: Vec<u8>,
    },
    /// The field was emptied.
    Cleared,
}

/// The field name of the op that creates a record.
pub const CREATE_FIELD: &str = "";

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Op {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// When, in causal order.
    pub hlc: Hlc,
    /// The device that made the change.
    pub device: String,
    /// The user who made it.
    pub author: String,
    /// The record changed.
    pub record: Uuid,
    /// The record's kind.
    pub kind: RecordKind,
    /// The field, or [`CREATE_FIELD`] for creation (value: the subject id).
    pub field: String,
    /// The new value.
    pub value: OpValue,
}

/// A change that removes data rather than writing it: erasure, deletion by
/// a retention rule, single-field erasure, pruning of old values. It is
/// journaled like an op and travels with the device's log, so every laptop
/// removes the same data, and it leaves tombstones so a late or replayed op
/// cannot bring the data back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Forget {
    /// A data subject erased: its records, its key, every op; the id stays
    /// on the erased list with the date and the request reference.
    Subject {
        /// The person.
        subject: Uuid,
        /// The records the eraser knew of (a receiver adds its own).
        records: Vec<Uuid>,
        /// When, in milliseconds since the epoch.
        at_ms: i64,
        /// The request reference.
        request: String,
    },
    /// Records deleted with their history.
    Records {
        /// The records.
        records: Vec<Uuid>,
    },
    /// Single fields erased with every old value.
    Fields {
        /// The record.
        record: Uuid,
        /// The fields.
        fields: Vec<String>,
    },
    /// Old values of a record's fields removed from the history.
    History {
        /// The record.
        record: Uuid,
    },
    /// Companies deleted or merged away, with their links and follow-ups:
    /// removed with their history, but not kept as gone. A company is no
    /// person; an id someone made a company first must not keep out the
    /// record that really has it, and a record arriving later for one of
    /// them is taken (it names a company that is not there).
    Companies {
        /// The records.
        records: Vec<Uuid>,
    },
    /// A person anonymised: key destroyed, out of the directory.
    Anonymised {
        /// The person.
        subject: Uuid,
        /// When, in milliseconds since the epoch.
        at_ms: i64,
        /// The reference recorded on the erased list.
        reference: String,
    },
}

impl Forget {
    /// Erasure of single fields.
    pub fn fields(record: Uuid, fields: &[&str]) -> Forget {
        Forget::Fields {
            record,
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        }
    }

    /// True for removals that must be applied before the ops of the same
    /// batch (so those ops are filtered), false for those applied after.
    pub fn goes_first(&self) -> bool {
        matches!(
            self,
            Forget::Subject { .. }
                | Forget::Records { .. }
                | Forget::Companies { .. }
                | Forget::Fields { .. }
        )
    }
}

/// Who made a [`Forget`], and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// Unique id (UUIDv7).
    pub id: Uuid,
    /// When, in causal order.
    pub hlc: Hlc,
    /// The device.
    pub device: String,
}
