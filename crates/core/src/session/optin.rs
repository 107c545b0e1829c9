//! Double opt-in: the confirmation mail's request, its token, and the
//! consent it confirms.

use super::consent::doc;
use crate::error::{Error, Result};
use crate::model::categories::{Lang, RecordKind};
use crate::model::consent::Channel;
use crate::model::consent::ConsentEntry;
use crate::model::consent::ConsentState;
use crate::model::consent::LegalBasis;
use crate::model::consent::OptInRequest;
use crate::model::consent::find_token;
use crate::model::consent::new_token;
use crate::model::consent::token_hash;
use crate::model::contacts::{FieldValue, RecordId};
use crate::model::roles::Action;
use crate::session::Session;
use uuid::Uuid;

fn lang_of_person(view: &crate::model::contacts::ContactView) -> Lang {
    match view.field("language").map(|f| &f.value) {
        Some(FieldValue::Value { value }) if value.as_str() == Some("de") => Lang::De,
        _ => Lang::En,
    }
}

fn first_string(view: &crate::model::contacts::ContactView, field: &str) -> Option<String> {
    match &view.field(field)?.value {
        FieldValue::Value { value } => match value {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Array(items) => {
                items.first().and_then(|v| v.as_str()).map(str::to_owned)
            }
            _ => None,
        },
        _ => None,
    }
}

impl Session {
    /// Prepares a double opt-in: checks the person has an email address and
    /// makes a token. Nothing is recorded until [`Session::record_opt_in`]
    /// is called after the mail went out.
    pub fn prepare_opt_in(&self, person: RecordId, purpose: &str) -> Result<(OptInRequest, Lang)> {
        self.require(Action::RequestConsent)?;
        self.refuse_if_restricted(person)?;
        let purpose = self.purpose(purpose)?;
        let objected = self
            .entries_of(person)?
            .into_iter()
            .rev()
            .find(|e| e.purpose == purpose.key && e.channel == Channel::Email)
            .is_some_and(|e| e.source == "objection");
        if objected {
            return Err(Error::invalid(
                "purpose",
                "the person objected to this purpose; no request may be sent",
            ));
        }
        let contact = self.contact(person)?;
        let to = first_string(&contact, "emails").ok_or_else(|| {
            Error::invalid(
                "emails",
                "the person has no email address to send the request to",
            )
        })?;
        let token = new_token();
        let entry = ConsentEntry {
            id: Uuid::nil(),
            person,
            purpose: purpose.key,
            channel: Channel::Email,
            state: ConsentState::Pending,
            basis: LegalBasis::Consent,
            source: "double_opt_in".into(),
            evidence: Some(format!("confirmation mail sent to {to}")),
            evidence_file: None,
            reason: None,
            at: self.now(),
            by: self.user().to_owned(),
            token_sha256: Some(token_hash(&token)),
        };
        let lang = lang_of_person(&contact);
        Ok((
            OptInRequest {
                entry,
                to,
                display: contact.display,
                token,
            },
            lang,
        ))
    }

    /// Records the pending entry of a request whose mail was sent.
    pub fn record_opt_in(&mut self, request: &mut OptInRequest) -> Result<()> {
        self.require(Action::RequestConsent)?;
        self.write_entry(&mut request.entry, None)
    }

    /// Confirms a double opt-in from the token or a pasted reply that
    /// contains it. Records a given consent with the reply as evidence.
    pub fn confirm_opt_in(&mut self, token_or_reply: &str) -> Result<ConsentEntry> {
        self.require(Action::RecordConsent)?;
        let token = find_token(token_or_reply).ok_or_else(|| {
            Error::invalid(
                "token",
                "no confirmation code (TRS-XXXX-XXXX-XXXX-XXXX-XXXX) found in the text",
            )
        })?;
        let hash = token_hash(&token);
        let pending = self
            .store
            .records_with_field(RecordKind::Consent, "entry")?
            .into_iter()
            .filter_map(|(id, subject, v)| {
                let mut e = doc::<ConsentEntry>(&v)?;
                e.id = id;
                e.person = subject?;
                Some(e)
            })
            .find(|e| e.token_sha256.as_deref() == Some(hash.as_str()))
            .ok_or_else(|| {
                Error::invalid("token", "this confirmation code is unknown or was mistyped")
            })?;
        self.refuse_if_restricted(pending.person)?;
        let latest = self
            .entries_of(pending.person)?
            .into_iter()
            .rev()
            .find(|e| e.purpose == pending.purpose && e.channel == pending.channel);
        if let Some(l) = &latest
            && l.id != pending.id
        {
            let msg = match l.state {
                ConsentState::Given => "this consent is already confirmed",
                _ => "a newer request or a withdrawal replaced this code; send a new request",
            };
            return Err(Error::invalid("token", msg));
        }
        if self.now() - pending.at > chrono::Duration::days(30) {
            return Err(Error::invalid(
                "token",
                "this confirmation code is older than 30 days; send a new request",
            ));
        }
        let reply = token_or_reply.trim();
        let evidence = if reply.len() > token.len() + 4 {
            format!(
                "double opt-in confirmed with code {token}; reply:\n{}",
                // A mail reply brings CRs and maybe escapes; keep lines only.
                reply
                    .chars()
                    .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
                    .take(8000)
                    .collect::<String>()
            )
        } else {
            format!("double opt-in confirmed with code {token}")
        };
        let mut entry = ConsentEntry {
            id: Uuid::nil(),
            person: pending.person,
            purpose: pending.purpose,
            channel: pending.channel,
            state: ConsentState::Given,
            basis: LegalBasis::Consent,
            source: "double_opt_in".into(),
            evidence: Some(evidence),
            evidence_file: None,
            reason: None,
            at: self.now(),
            by: self.user().to_owned(),
            token_sha256: None,
        };
        self.write_entry(&mut entry, None)?;
        Ok(entry)
    }
}
