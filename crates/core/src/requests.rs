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

use crate::api::Session;
use crate::categories::RecordKind;
use crate::contacts::RecordId;
use crate::error::{Error, Result};
use crate::ops::OpValue;
use crate::roles::Action;

/// What the person asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
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

fn clean_text(field: &str, text: Option<&str>, max: usize) -> Result<Option<String>> {
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

impl Session {
    pub(crate) fn write_request(&mut self, r: &DsRequest, create: bool) -> Result<()> {
        let mut ops = Vec::new();
        if create {
            ops.push(self.create_op(r.id, RecordKind::Request, None));
        }
        let json = serde_json::to_string(r).unwrap_or_default();
        ops.push(self.op(r.id, RecordKind::Request, "request", OpValue::Open(json)));
        self.store.apply(&ops, &[])?;
        self.persist_clock()
    }

    /// Every request, oldest first.
    pub fn requests(&self) -> Result<Vec<DsRequest>> {
        self.require(Action::ViewRequests)?;
        self.requests_unchecked()
    }

    /// Every request, for the core's own use (erasure, retention).
    pub(crate) fn requests_unchecked(&self) -> Result<Vec<DsRequest>> {
        Ok(self
            .store
            .records_with_field(RecordKind::Request, "request")?
            .into_iter()
            .filter_map(|(id, _, v)| match v {
                OpValue::Open(json) => {
                    let mut r: DsRequest = serde_json::from_str(&json).ok()?;
                    r.id = id;
                    Some(r)
                }
                _ => None,
            })
            .collect())
    }

    /// A request by its reference (`REQ-…`, case-insensitive) or record id.
    pub fn request(&self, reference: &str) -> Result<DsRequest> {
        let wanted = reference.trim().to_uppercase();
        self.requests()?
            .into_iter()
            .find(|r| r.reference == wanted || r.id.to_string().to_uppercase() == wanted)
            .ok_or_else(|| Error::NotFound {
                what: "request",
                id: reference.to_owned(),
            })
    }

    /// A request that an action on `person` may cite: about that person (or
    /// about nobody found yet) and of one of the `kinds`.
    pub(crate) fn request_for(
        &self,
        reference: &str,
        person: RecordId,
        kinds: &[RequestKind],
    ) -> Result<DsRequest> {
        let req = self.request(reference)?;
        if req.person.is_some_and(|p| p != person) {
            return Err(Error::invalid(
                "request",
                format!("{} is about another person", req.reference),
            ));
        }
        if !kinds.contains(&req.kind) {
            let wanted: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            return Err(Error::invalid(
                "request",
                format!(
                    "{} is a request for {}, not for {}",
                    req.reference,
                    req.kind.as_str(),
                    wanted.join(" or ")
                ),
            ));
        }
        Ok(req)
    }

    /// Opens a request; the deadline is one month after receipt.
    pub fn open_request(&mut self, input: &NewRequest) -> Result<DsRequest> {
        self.require(Action::HandleRequests)?;
        let today = self.now().date_naive();
        if input.received > today {
            return Err(Error::invalid(
                "received",
                "a request cannot be received in the future",
            ));
        }
        if let Some(p) = input.person {
            self.person_exists(p)?;
        }
        let id = Uuid::now_v7();
        let tail = id.simple().to_string();
        let reference = format!("REQ-{}", tail[tail.len() - 8..].to_uppercase());
        let deadline = input
            .received
            .checked_add_months(Months::new(1))
            .ok_or_else(|| Error::invalid("received", "is not a usable date"))?;
        let r = DsRequest {
            id,
            reference,
            kind: input.kind,
            person: input.person,
            received: input.received,
            identity_check: clean_text("identity_check", input.identity_check.as_deref(), 2000)?,
            deadline,
            extension_reason: None,
            status: RequestStatus::Open,
            opened_by: self.user().to_owned(),
            handled_by: self.user().to_owned(),
            closed: None,
            outcome: None,
        };
        self.write_request(&r, true)?;
        Ok(r)
    }

    /// Extends the deadline by two months (once), with the reason.
    pub fn extend_request(&mut self, reference: &str, reason: &str) -> Result<DsRequest> {
        self.require(Action::HandleRequests)?;
        let mut r = self.request(reference)?;
        if r.status == RequestStatus::Closed {
            return Err(Error::invalid("request", "the request is closed"));
        }
        if r.extension_reason.is_some() {
            return Err(Error::invalid(
                "request",
                "the deadline was already extended; Art. 12(3) allows one extension of two months",
            ));
        }
        let reason = clean_text("reason", Some(reason), 2000)?.ok_or_else(|| {
            Error::invalid(
                "reason",
                "say why (Art. 12(3): complexity or number of requests)",
            )
        })?;
        r.deadline = r
            .received
            .checked_add_months(Months::new(3))
            .unwrap_or(r.deadline);
        r.extension_reason = Some(reason);
        r.handled_by = self.user().to_owned();
        self.write_request(&r, false)?;
        Ok(r)
    }

    /// Closes a request with what was sent or done.
    pub fn close_request(&mut self, reference: &str, outcome: Option<&str>) -> Result<DsRequest> {
        self.require(Action::HandleRequests)?;
        let mut r = self.request(reference)?;
        if r.status == RequestStatus::Closed {
            return Err(Error::invalid("request", "the request is already closed"));
        }
        r.status = RequestStatus::Closed;
        r.closed = Some(self.now());
        r.outcome = clean_text("outcome", outcome, 4000)?;
        r.handled_by = self.user().to_owned();
        self.write_request(&r, false)?;
        Ok(r)
    }
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
}
