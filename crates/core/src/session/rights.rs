//! Restriction (Art. 18), objection (Art. 21) and suppression.
//!
//! - A restriction makes a person read-only and keeps them out of every
//!   processing but storage and legal claims: no edits, no interactions, no
//!   new consents, no mailing lists, no opt-in mails. Restricting and lifting
//!   are append-only entries; the latest one counts.
//! - An objection is per purpose and takes effect at once: every channel of
//!   the purpose gets a withdrawal entry naming the request. An objection to
//!   a purpose that needs consent (direct marketing) also suppresses the
//!   person's email addresses and phone numbers.
//! - Suppression keeps only a keyed hash (HMAC-SHA-256 under a random vault
//!   key, sealed like the other vault secrets) of an address, never the
//!   address; adding a person with a suppressed address is refused unless a
//!   reason is given, which is recorded.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::crypto::{self, Key32};
use crate::error::{Error, Result};
use crate::model::categories::RecordKind;
use crate::model::consent::{Channel, ConsentEntry, ConsentState, hex};
use crate::model::contacts::FieldInput;
use crate::model::contacts::{FieldValue, RecordId};
use crate::model::requests::RequestKind;
use crate::model::rights::Rectification;
use crate::model::rights::Restriction;
use crate::model::roles::Action;
use crate::ops::OpValue;
use crate::session::Session;

/// One suppressed address, as a keyed hash, or a recorded override.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Suppression {
    /// HMAC of the normalised address, hex.
    hash: String,
    /// email or phone.
    kind: String,
    /// When.
    at: DateTime<Utc>,
    /// Who.
    by: String,
    /// The request, for suppressions.
    request: Option<String>,
    /// For overrides: why the address was used anyway.
    override_reason: Option<String>,
}

/// Lower-case email; phone digits in international form (German numbers
/// written nationally count as +49).
fn normalise(kind: &str, value: &str) -> String {
    if kind == "email" {
        return value.trim().to_lowercase();
    }
    // "+49 (0)171 …": the trunk zero in brackets is not dialled abroad.
    let t = value.trim().replace("(0)", "");
    let t = t.as_str();
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    if t.starts_with('+') {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("49{rest}")
    } else {
        digits
    }
}

/// The text values of a field (one, or each of a list).
pub(crate) fn strings(value: &FieldValue) -> Vec<String> {
    match value {
        FieldValue::Value { value } => match value {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            serde_json::Value::String(s) => vec![s.clone()],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Suppressed addresses as keyed hashes, with the key to compare by.
pub(crate) struct SuppressedSet {
    key: Key32,
    hashes: std::collections::HashSet<String>,
}

impl SuppressedSet {
    /// Whether an email or a phone number is suppressed.
    pub(crate) fn holds(&self, kind: &str, value: &str) -> bool {
        self.hashes
            .contains(&Session::address_hash(&self.key, kind, value))
    }
}

impl Session {
    /// The random key suppression hashes are made with (created once).
    fn suppression_key(&mut self) -> Result<Key32> {
        use base64::Engine as _;
        let owner = Self::setting_id("suppression-key");
        if let Some(b64) = self.setting::<String>("suppression-key")? {
            let sealed = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default();
            return self
                .open_secret(owner, &sealed)?
                .and_then(|k| Key32::from_slice(&k))
                .ok_or_else(|| Error::DatabaseDamaged {
                    path: self.store.path().to_path_buf(),
                    detail: "the suppression key does not open".into(),
                });
        }
        let key = Key32::random();
        let sealed = self.seal_secret(owner, key.expose())?;
        let ops = self.setting_ops(
            "suppression-key",
            &base64::engine::general_purpose::STANDARD.encode(sealed),
        );
        self.store.apply(&ops, &[])?;
        self.persist_clock()?;
        Ok(key)
    }

    /// The suppressed addresses, loaded once for many checks (an
    /// import): none when nothing is suppressed.
    pub(crate) fn suppressed_set(&mut self) -> Result<Option<SuppressedSet>> {
        let list = self.suppressions()?;
        let allowed: std::collections::HashSet<&str> = list
            .iter()
            .filter(|s| s.override_reason.is_some())
            .map(|s| s.hash.as_str())
            .collect();
        let hashes: std::collections::HashSet<String> = list
            .iter()
            .filter(|s| s.override_reason.is_none() && !allowed.contains(s.hash.as_str()))
            .map(|s| s.hash.clone())
            .collect();
        // Without its key no stored hash can match: never made here, so a
        // dry run writes nothing.
        if hashes.is_empty() || self.setting::<String>("suppression-key")?.is_none() {
            return Ok(None);
        }
        Ok(Some(SuppressedSet {
            key: self.suppression_key()?,
            hashes,
        }))
    }

    fn address_hash(key: &Key32, kind: &str, value: &str) -> String {
        hex(&crypto::mac(key, normalise(kind, value).as_bytes()))
    }

    fn suppressions(&self) -> Result<Vec<Suppression>> {
        Ok(self
            .store
            .records_with_field(RecordKind::Suppression, "suppression")?
            .into_iter()
            .filter_map(|(_, _, v)| match v {
                OpValue::Open(json) => serde_json::from_str(&json).ok(),
                _ => None,
            })
            .collect())
    }

    fn write_suppression(&mut self, s: &Suppression) -> Result<()> {
        let id = Uuid::now_v7();
        let json = serde_json::to_string(s).unwrap_or_default();
        let ops = vec![
            self.create_op(id, RecordKind::Suppression, None),
            self.op(
                id,
                RecordKind::Suppression,
                "suppression",
                OpValue::Open(json),
            ),
        ];
        self.store.apply(&ops, &[])?;
        self.persist_clock()
    }

    /// Suppresses the person's email addresses and phone numbers; returns
    /// how many addresses were added.
    pub(crate) fn suppress_person(&mut self, person: RecordId, request: &str) -> Result<u32> {
        self.suppress_fields(person, &["emails", "phones"], request)
    }

    /// Suppresses the addresses held in `fields` of the person (of
    /// "emails" and "phones"; other names are passed over); returns how
    /// many addresses were added.
    pub(crate) fn suppress_fields(
        &mut self,
        person: RecordId,
        fields: &[&str],
        request: &str,
    ) -> Result<u32> {
        let view = self.contact(person)?;
        let key = self.suppression_key()?;
        let known: Vec<String> = self.suppressions()?.into_iter().map(|s| s.hash).collect();
        let mut added = 0;
        for (field, kind) in [("emails", "email"), ("phones", "phone")] {
            if !fields.contains(&field) {
                continue;
            }
            let Some(f) = view.field(field) else { continue };
            for value in strings(&f.value) {
                let hash = Self::address_hash(&key, kind, &value);
                if known.contains(&hash) {
                    continue;
                }
                self.write_suppression(&Suppression {
                    hash,
                    kind: kind.into(),
                    at: self.now(),
                    by: self.user().to_owned(),
                    request: Some(request.to_owned()),
                    override_reason: None,
                })?;
                added += 1;
            }
        }
        Ok(added)
    }

    /// Checks the addresses an edit of `person` sets against the
    /// suppression list, leaving out those the person already has:
    /// suppression keeps an address from coming back as someone new, it
    /// does not lock the person it belongs to out of their own record.
    pub(crate) fn check_suppressed_for(
        &mut self,
        person: RecordId,
        emails: &[String],
        phones: &[String],
    ) -> Result<()> {
        if emails.is_empty() && phones.is_empty() {
            return Ok(());
        }
        let view = self.contact(person)?;
        let fresh = |field: &str, kind: &str, values: &[String]| -> Vec<String> {
            let own: Vec<String> = view
                .field(field)
                .map(|f| strings(&f.value))
                .unwrap_or_default()
                .iter()
                .map(|v| normalise(kind, v))
                .collect();
            values
                .iter()
                .filter(|v| !own.contains(&normalise(kind, v)))
                .cloned()
                .collect()
        };
        let emails = fresh("emails", "email", emails);
        let phones = fresh("phones", "phone", phones);
        self.check_suppressed(&emails, &phones, None)
    }

    /// Checks new addresses against the suppression list. With a reason the
    /// use is allowed and recorded; without one a match is refused.
    pub(crate) fn check_suppressed(
        &mut self,
        emails: &[String],
        phones: &[String],
        allow_reason: Option<&str>,
    ) -> Result<()> {
        let list = self.suppressions()?;
        if list.is_empty() {
            return Ok(());
        }
        let key = self.suppression_key()?;
        let mut matched = Vec::new();
        for (kind, values) in [("email", emails), ("phone", phones)] {
            for v in values {
                let hash = Self::address_hash(&key, kind, v);
                // Suppressed, and not already allowed once with a reason.
                let suppressed = list
                    .iter()
                    .any(|s| s.hash == hash && s.override_reason.is_none());
                let allowed = list
                    .iter()
                    .any(|s| s.hash == hash && s.override_reason.is_some());
                if suppressed && !allowed {
                    matched.push((kind, v.clone(), hash));
                }
            }
        }
        if matched.is_empty() {
            return Ok(());
        }
        let Some(reason) = allow_reason.map(str::trim).filter(|r| !r.is_empty()) else {
            let (kind, value, _) = &matched[0];
            return Err(Error::Suppressed {
                what: format!("{kind} {value}"),
            });
        };
        for (kind, _, hash) in matched {
            self.write_suppression(&Suppression {
                hash,
                kind: kind.into(),
                at: self.now(),
                by: self.user().to_owned(),
                request: None,
                override_reason: Some(reason.to_owned()),
            })?;
        }
        Ok(())
    }

    /// Every person currently restricted.
    pub(crate) fn restricted_people(&self) -> Result<Vec<RecordId>> {
        let mut latest: std::collections::HashMap<RecordId, bool> =
            std::collections::HashMap::new();
        for (_, subject, v) in self
            .store
            .records_with_field(RecordKind::Restriction, "restriction")?
        {
            if let (Some(p), OpValue::Open(json)) = (subject, v)
                && let Ok(r) = serde_json::from_str::<Restriction>(&json)
            {
                latest.insert(p, r.active);
            }
        }
        Ok(latest
            .into_iter()
            .filter_map(|(p, active)| active.then_some(p))
            .collect())
    }

    /// The person's current restriction, if restricted.
    pub fn restriction(&self, person: RecordId) -> Result<Option<Restriction>> {
        let mut latest = None;
        for id in self
            .store
            .records_of_subject(person, RecordKind::Restriction)?
        {
            if let Some((_, OpValue::Open(json))) = self
                .store
                .fields(id)?
                .into_iter()
                .find(|(f, _)| f == "restriction")
            {
                latest = serde_json::from_str::<Restriction>(&json).ok();
            }
        }
        Ok(latest.filter(|r| r.active))
    }

    /// Refuses any processing of a restricted person but storage.
    pub(crate) fn refuse_if_restricted(&self, person: RecordId) -> Result<()> {
        match self.restriction(person)? {
            Some(r) => Err(Error::Restricted {
                since: r.at.format("%Y-%m-%d").to_string(),
                request: r.request.unwrap_or_default(),
            }),
            None => Ok(()),
        }
    }

    pub(crate) fn write_restriction(&mut self, person: RecordId, r: &Restriction) -> Result<()> {
        let id = Uuid::now_v7();
        let json = serde_json::to_string(r).unwrap_or_default();
        let ops = vec![
            self.create_op(id, RecordKind::Restriction, Some(person)),
            self.op(
                id,
                RecordKind::Restriction,
                "restriction",
                OpValue::Open(json),
            ),
        ];
        self.store.apply(&ops, &[])?;
        self.persist_clock()
    }

    /// Restricts processing of a person for a restriction request.
    pub fn restrict(&mut self, person: RecordId, request: &str) -> Result<Restriction> {
        self.require(Action::HandleRequests)?;
        self.person_exists(person)?;
        let req = self.request_for(request, person, &[RequestKind::Restriction])?;
        if self.restriction(person)?.is_some() {
            return Err(Error::invalid(
                "contact",
                "the person is already restricted",
            ));
        }
        let r = Restriction {
            active: true,
            request: Some(req.reference),
            at: self.now(),
            by: self.user().to_owned(),
        };
        self.write_restriction(person, &r)?;
        Ok(r)
    }

    /// Lifts a restriction.
    pub fn unrestrict(&mut self, person: RecordId) -> Result<()> {
        self.require(Action::HandleRequests)?;
        self.person_exists(person)?;
        let Some(current) = self.restriction(person)? else {
            return Err(Error::invalid("contact", "the person is not restricted"));
        };
        let r = Restriction {
            active: false,
            request: current.request,
            at: self.now(),
            by: self.user().to_owned(),
        };
        self.write_restriction(person, &r)
    }

    /// Records an objection to a purpose: it takes effect at once on every
    /// channel; for a purpose that needs consent the person's addresses are
    /// suppressed as well. Returns the number of addresses suppressed.
    pub fn object(&mut self, person: RecordId, purpose: &str, request: &str) -> Result<u32> {
        self.require(Action::HandleRequests)?;
        self.person_exists(person)?;
        let req = self.request_for(request, person, &[RequestKind::Objection])?;
        let purpose = self.purpose(purpose)?;
        let now = self.now();
        for channel in Channel::ALL {
            let mut entry = ConsentEntry {
                id: Uuid::nil(),
                person,
                purpose: purpose.key.clone(),
                channel,
                state: ConsentState::Withdrawn,
                basis: purpose.basis,
                source: "objection".into(),
                evidence: None,
                evidence_file: None,
                reason: Some(format!("objection (Art. 21 GDPR), {}", req.reference)),
                at: now,
                by: self.user().to_owned(),
                token_sha256: None,
            };
            self.append_entry(&mut entry)?;
        }
        if purpose.consent_required {
            self.suppress_person(person, &req.reference)
        } else {
            Ok(0)
        }
    }
}

impl Session {
    /// Corrects fields of a person (Art. 16) and records why, and for which
    /// rectification request; the old values stay in the change history.
    pub fn rectify(
        &mut self,
        person: RecordId,
        changes: &[(String, FieldInput)],
        reason: &str,
        request: Option<&str>,
    ) -> Result<Rectification> {
        self.require(Action::WriteContacts)?;
        self.person_exists(person)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 || reason.chars().any(char::is_control)
        {
            return Err(Error::invalid(
                "reason",
                "say why the data was wrong in 1–500 characters",
            ));
        }
        if changes.is_empty() {
            return Err(Error::invalid(
                "fields",
                "name at least one field to correct",
            ));
        }
        let request = match request {
            Some(r) => {
                self.require(Action::HandleRequests)?;
                Some(
                    self.request_for(r, person, &[RequestKind::Rectification])?
                        .reference,
                )
            }
            None => None,
        };
        // The correction and its record in one transaction: never one
        // without the other.
        let mut ops = self.edit_ops(person, changes)?;
        let rect = Rectification {
            fields: changes.iter().map(|(f, _)| f.clone()).collect(),
            reason: reason.to_owned(),
            request,
            at: self.now(),
            by: self.user().to_owned(),
        };
        let id = Uuid::now_v7();
        ops.push(self.create_op(id, RecordKind::Rectification, Some(person)));
        ops.push(self.op(
            id,
            RecordKind::Rectification,
            "rectification",
            OpValue::Open(serde_json::to_string(&rect).unwrap_or_default()),
        ));
        self.store.apply(&ops, &[])?;
        self.persist_clock()?;
        Ok(rect)
    }

    /// A person's rectifications, oldest first.
    pub fn rectifications(&self, person: RecordId) -> Result<Vec<Rectification>> {
        self.require(Action::ReadContacts)?;
        let mut out = Vec::new();
        for id in self
            .store
            .records_of_subject(person, RecordKind::Rectification)?
        {
            if let Some((_, v)) = self
                .store
                .fields(id)?
                .into_iter()
                .find(|(f, _)| f == "rectification")
            {
                out.extend(super::consent::doc::<Rectification>(&v));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_normalise_so_spellings_match() {
        assert_eq!(normalise("email", " Erika@Example.DE "), "erika@example.de");
        assert_eq!(normalise("phone", "+49 171 2345678"), "491712345678");
        assert_eq!(normalise("phone", "0171 / 234 56 78"), "491712345678");
        assert_eq!(normalise("phone", "0049-171-2345678"), "491712345678");
        assert_eq!(normalise("phone", "+49 (0)171 2345678"), "491712345678");
    }
}
