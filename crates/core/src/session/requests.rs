//! Data-subject requests on the session: opened, extended and closed as
//! records (`model::requests` holds the deadlines).

use crate::error::{Error, Result};
use crate::model::categories::RecordKind;
use crate::model::contacts::RecordId;
use crate::model::requests::NewRequest;
use crate::model::requests::RequestKind;
use crate::model::requests::RequestStatus;
use crate::model::requests::{DsRequest, RequestRow};
use crate::model::requests::{clean_text, deadline, extended_deadline};
use crate::model::roles::Action;
use crate::ops::OpValue;
use crate::session::Session;
use uuid::Uuid;

impl Session {
    /// Every request with its deadline state today (the session's clock).
    pub fn request_rows(&self) -> Result<Vec<RequestRow>> {
        let today = self.now().date_naive();
        Ok(self
            .requests()?
            .into_iter()
            .map(|r| RequestRow::on(r, today))
            .collect())
    }

    /// One request with its deadline state today.
    pub fn request_row(&self, reference: &str) -> Result<RequestRow> {
        Ok(RequestRow::on(
            self.request(reference)?,
            self.now().date_naive(),
        ))
    }

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
        let deadline = deadline(input.received)
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
        r.deadline = extended_deadline(r.received).unwrap_or(r.deadline);
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
