//! Data-subject requests (Art. 15–21): what was asked, by whom, when it was
//! received, how identity was checked, the deadline (one month, extendable
//! by two months with a reason, Art. 12(3)), who handled it and what was sent.
//!
//! A request is a record of its own that names the person by id only, so it
//! outlives an erasure: what stays of an erased person is the random id, the
//! date and the request reference.

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::contacts::RecordId;

/// What the person asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum RequestKind {
    /// Art. 15: access.
    Access,
    /// Art. 16: rectification.
    Rectification,
    /// Art. 17: erasure.
    Erasure,
    /// Art. 18: restriction of processing.
    Restriction,
    /// Art. 21: objection.
    Objection,
    /// Art. 20: data portability.
    Portability,
}

impl RequestKind {
    /// Every kind.
    pub const ALL: [RequestKind; 6] = [
        RequestKind::Access,
        RequestKind::Rectification,
        RequestKind::Erasure,
        RequestKind::Restriction,
        RequestKind::Objection,
        RequestKind::Portability,
    ];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Access => "access",
            RequestKind::Rectification => "rectification",
            RequestKind::Erasure => "erasure",
            RequestKind::Restriction => "restriction",
            RequestKind::Objection => "objection",
            RequestKind::Portability => "portability",
        }
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RequestStatus {
    /// Being handled.
    Open,
    /// Answered and closed.
    Closed,
}

/// A data-subject request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DsRequest {
    /// Record id.
    #[serde(default)]
    pub id: Uuid,
    /// Short reference for letters and the command line, e.g. `REQ-3F9A1C20`.
    pub reference: String,
    /// What was asked.
    pub kind: RequestKind,
    /// The person, if found in the vault.
    pub person: Option<RecordId>,
    /// When it was received.
    pub received: NaiveDate,
    /// How the requester's identity was checked.
    pub identity_check: Option<String>,
    /// Answer due by (one month, or three after an extension).
    pub deadline: NaiveDate,
    /// Why the deadline was extended (Art. 12(3)).
    pub extension_reason: Option<String>,
    /// Open or closed.
    pub status: RequestStatus,
    /// Who opened it.
    pub opened_by: String,
    /// Who handled it last.
    pub handled_by: String,
    /// When it was closed.
    pub closed: Option<DateTime<Utc>>,
    /// What was sent or done, in words.
    pub outcome: Option<String>,
}

impl DsRequest {
    /// Open and past its deadline on `today`.
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.status == RequestStatus::Open && self.deadline < today
    }

    /// Open and due within the next seven days (not yet overdue).
    pub fn due_soon(&self, today: NaiveDate) -> bool {
        self.status == RequestStatus::Open
            && self.deadline >= today
            && self.deadline <= today + chrono::Duration::days(7)
    }
}

/// Art. 12(3): the answer is due one month after receipt.
pub fn deadline(received: NaiveDate) -> Option<NaiveDate> {
    received.checked_add_months(Months::new(1))
}

/// Art. 12(3): once, by two further months where the request is complex or
/// there are many; counted from receipt, so three months in all.
pub fn extended_deadline(received: NaiveDate) -> Option<NaiveDate> {
    received.checked_add_months(Months::new(3))
}

/// A request with its deadline state on a given day, as both front doors
/// show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RequestRow {
    /// The request.
    pub request: DsRequest,
    /// Open and past its deadline.
    pub overdue: bool,
    /// Open and due within seven days.
    pub due_soon: bool,
    /// The deadline an extension would set (Art. 12(3): three months from
    /// receipt), for the extension form to say before it is made.
    pub extended_deadline: Option<NaiveDate>,
}

impl RequestRow {
    /// `request` as it stands on `today`.
    pub fn on(request: DsRequest, today: NaiveDate) -> Self {
        RequestRow {
            overdue: request.overdue(today),
            due_soon: request.due_soon(today),
            extended_deadline: extended_deadline(request.received),
            request,
        }
    }
}

/// A new request.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewRequest {
    /// What was asked.
    pub kind: RequestKind,
    /// The person, if found.
    pub person: Option<RecordId>,
    /// When it was received.
    pub received: NaiveDate,
    /// How identity was checked.
    pub identity_check: Option<String>,
}

pub(crate) fn clean_text(field: &str, text: Option<&str>, max: usize) -> Result<Option<String>> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > max || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Error::invalid(
            field,
            format!("use at most {max} characters of plain text"),
        ));
    }
    Ok(Some(t.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(deadline: NaiveDate, status: RequestStatus) -> DsRequest {
        DsRequest {
            id: Uuid::nil(),
            reference: "REQ-1".into(),
            kind: RequestKind::Access,
            person: None,
            received: deadline,
            identity_check: None,
            deadline,
            extension_reason: None,
            status,
            opened_by: "a".into(),
            handled_by: "a".into(),
            closed: None,
            outcome: None,
        }
    }

    #[test]
    fn overdue_and_due_soon_follow_the_deadline() {
        let today = NaiveDate::from_ymd_opt(2026, 5, 10).expect("date");
        let past = req(today - chrono::Duration::days(1), RequestStatus::Open);
        assert!(past.overdue(today) && !past.due_soon(today));
        let soon = req(today + chrono::Duration::days(7), RequestStatus::Open);
        assert!(!soon.overdue(today) && soon.due_soon(today));
        let later = req(today + chrono::Duration::days(8), RequestStatus::Open);
        assert!(!later.due_soon(today));
        let closed = req(today - chrono::Duration::days(30), RequestStatus::Closed);
        assert!(!closed.overdue(today));
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn the_deadline_is_one_month_and_the_extension_three_from_receipt() {
        assert_eq!(deadline(day(2026, 3, 15)), Some(day(2026, 4, 15)));
        // A month from 31 January ends with February, not in March.
        assert_eq!(deadline(day(2026, 1, 31)), Some(day(2026, 2, 28)));
        assert_eq!(deadline(day(2028, 1, 31)), Some(day(2028, 2, 29)));
        assert_eq!(extended_deadline(day(2026, 1, 31)), Some(day(2026, 4, 30)));
        assert_eq!(extended_deadline(day(2026, 11, 30)), Some(day(2027, 2, 28)));
    }
}
