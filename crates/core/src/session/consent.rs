//! Purposes, consents and their history on the session: writing and reading
//! the records of `model::consent`.


use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::session::Session;
use crate::model::categories::{Category, Lang, RecordKind};
use crate::model::contacts::{FieldValue, RecordId, no_controls};
use crate::error::{Error, Result};
use crate::ops::{Op, OpValue};
use crate::model::roles::Action;
use crate::model::consent::Channel;
use crate::model::consent::ConsentEntry;
use crate::model::consent::ConsentInput;
use crate::model::consent::ConsentState;
use crate::model::consent::DEFAULT_SOURCES;
use crate::model::consent::Disclosure;
use crate::model::consent::EvidenceFile;
use crate::model::consent::LegalBasis;
use crate::model::consent::LegalBasisView;
use crate::model::consent::MailingExport;
use crate::model::consent::MailingRow;
use crate::model::consent::NAMESPACE;
use crate::model::consent::OptInRequest;
use crate::model::consent::Purpose;
use crate::model::consent::PurposeStatus;
use crate::model::consent::ReconsentItem;
use crate::model::consent::UnjustifiedField;
use crate::model::consent::default_purposes;
use crate::model::consent::find_token;
use crate::model::consent::expiry;
use crate::model::consent::hex;
use crate::model::consent::new_token;
use crate::model::consent::purpose_status;
use crate::model::consent::token_hash;
use crate::model::consent::valid_now;


/// A record's JSON document field, decoded.
pub(crate) fn doc<T: for<'de> Deserialize<'de>>(value: &OpValue) -> Option<T> {
    match value {
        OpValue::Open(json) => serde_json::from_str(json).ok(),
        _ => None,
    }
}

fn open_json<T: Serialize + ?Sized>(value: &T) -> OpValue {
    OpValue::Open(serde_json::to_string(value).unwrap_or_default())
}

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

/// The first string of an open (unsealed) field's JSON value.
fn open_first(fields: &[(String, OpValue)], name: &str) -> Option<String> {
    let (_, value) = fields.iter().find(|(f, _)| f == name)?;
    match doc::<serde_json::Value>(value)? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Array(items) => items.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

impl Session {
    // ---- purposes ----

    /// Creates the default purposes and consent sources once per vault;
    /// a default added by a later version is added once to older vaults.
    pub(crate) fn seed_consent_defaults(&mut self) -> Result<()> {
        const DEFAULTS_VERSION: &str = "2";
        let seen = self.store.meta("consent_defaults")?;
        if seen.as_deref() == Some(DEFAULTS_VERSION) {
            return Ok(());
        }
        let existing: Vec<String> = self
            .purposes_unchecked()?
            .into_iter()
            .map(|p| p.key)
            .collect();
        let mut ops = Vec::new();
        for p in default_purposes() {
            if !existing.contains(&p.key) {
                ops.extend(self.purpose_ops(&p));
            }
        }
        if seen.is_none() {
            ops.extend(self.setting_ops("sources", &DEFAULT_SOURCES));
        }
        self.store.apply(&ops, &[])?;
        self.store.set_meta("consent_defaults", DEFAULTS_VERSION)?;
        self.persist_clock()?;
        self.snapshot_register()?;
        Ok(())
    }

    fn purpose_ops(&mut self, p: &Purpose) -> Vec<Op> {
        let id = p.id();
        let mut ops = Vec::new();
        if !matches!(self.store.record(id), Ok(Some(_))) {
            ops.push(self.create_op(id, RecordKind::Purpose, None));
        }
        ops.push(self.op(id, RecordKind::Purpose, "definition", open_json(p)));
        ops
    }

    pub(crate) fn setting_id(name: &str) -> Uuid {
        Uuid::new_v5(&NAMESPACE, format!("setting:{name}").as_bytes())
    }

    pub(crate) fn setting_ops<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Vec<Op> {
        let id = Self::setting_id(name);
        let mut ops = Vec::new();
        if !matches!(self.store.record(id), Ok(Some(_))) {
            ops.push(self.create_op(id, RecordKind::Setting, None));
        }
        ops.push(self.op(id, RecordKind::Setting, "value", open_json(value)));
        ops
    }

    pub(crate) fn setting<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Result<Option<T>> {
        Ok(self
            .store
            .fields(Self::setting_id(name))?
            .into_iter()
            .find(|(f, _)| f == "value")
            .and_then(|(_, v)| doc(&v)))
    }

    /// Every purpose, in the order they were created.
    pub fn purposes(&self) -> Result<Vec<Purpose>> {
        self.require(Action::ViewConsent)?;
        self.purposes_unchecked()
    }

    pub(crate) fn purposes_unchecked(&self) -> Result<Vec<Purpose>> {
        Ok(self
            .store
            .records_with_field(RecordKind::Purpose, "definition")?
            .iter()
            .filter_map(|(_, _, v)| doc(v))
            .collect())
    }

    /// One purpose by key (or by its German or English name).
    pub fn purpose(&self, key: &str) -> Result<Purpose> {
        self.require(Action::ViewConsent)?;
        let wanted = key.trim().to_lowercase();
        self.purposes_unchecked()?
            .into_iter()
            .find(|p| {
                p.key == wanted
                    || p.name_de.to_lowercase() == wanted
                    || p.name_en.to_lowercase() == wanted
            })
            .ok_or_else(|| Error::NotFound {
                what: "purpose",
                id: key.to_owned(),
            })
    }

    /// Adds a purpose, or replaces the one with the same key. A change that
    /// alters the register makes a new register version.
    pub fn save_purpose(&mut self, p: &Purpose, must_be_new: bool) -> Result<()> {
        self.require(Action::ManagePurposes)?;
        p.validate()?;
        let exists = self.purposes_unchecked()?.iter().any(|q| q.key == p.key);
        if must_be_new && exists {
            return Err(Error::invalid(
                "key",
                format!("a purpose '{}' exists already; use edit", p.key),
            ));
        }
        if !must_be_new && !exists {
            return Err(Error::NotFound {
                what: "purpose",
                id: p.key.clone(),
            });
        }
        let ops = self.purpose_ops(p);
        self.store.apply(&ops, &[])?;
        self.persist_clock()?;
        self.snapshot_register()?;
        Ok(())
    }

    /// The consent sources offered when recording a consent.
    pub fn consent_sources(&self) -> Result<Vec<String>> {
        self.require(Action::ViewConsent)?;
        Ok(self
            .setting::<Vec<String>>("sources")?
            .unwrap_or_else(|| DEFAULT_SOURCES.iter().map(|s| (*s).to_owned()).collect()))
    }

    /// Replaces the list of consent sources (existing entries keep theirs).
    pub fn set_consent_sources(&mut self, sources: &[String]) -> Result<()> {
        self.require(Action::ManagePurposes)?;
        let mut clean: Vec<String> = Vec::new();
        for s in sources {
            let s = s.trim().to_lowercase().replace(' ', "_");
            if s.is_empty() || s.len() > 40 || s.chars().any(char::is_control) {
                return Err(Error::invalid("sources", "a source is 1–40 characters"));
            }
            if !clean.contains(&s) {
                clean.push(s);
            }
        }
        if clean.is_empty() {
            return Err(Error::invalid("sources", "keep at least one source"));
        }
        let ops = self.setting_ops("sources", &clean);
        self.store.apply(&ops, &[])?;
        self.persist_clock()
    }

    // ---- consents ----

    fn entries_of(&self, person: RecordId) -> Result<Vec<ConsentEntry>> {
        let mut out = Vec::new();
        for id in self.store.records_of_subject(person, RecordKind::Consent)? {
            let fields = self.store.fields(id)?;
            if let Some(mut e) = fields
                .iter()
                .find(|(f, _)| f == "entry")
                .and_then(|(_, v)| doc::<ConsentEntry>(v))
            {
                e.id = id;
                e.person = person;
                out.push(e);
            }
        }
        Ok(out)
    }

    /// Appends a consent entry as it is (objections, imports).
    pub(crate) fn append_entry(&mut self, entry: &mut ConsentEntry) -> Result<()> {
        self.write_entry(entry, None)
    }

    fn write_entry(&mut self, entry: &mut ConsentEntry, file: Option<(&str, &[u8])>) -> Result<()> {
        let id = Uuid::now_v7();
        entry.id = id;
        let mut ops = vec![self.create_op(id, RecordKind::Consent, Some(entry.person))];
        if let Some((name, bytes)) = file {
            use base64::Engine as _;
            ops.push(self.op(
                id,
                RecordKind::Consent,
                "evidence_file",
                open_json(&serde_json::json!({
                    "name": name,
                    "data": base64::engine::general_purpose::STANDARD.encode(bytes),
                })),
            ));
        }
        ops.push(self.op(id, RecordKind::Consent, "entry", open_json(&*entry)));
        self.store.apply(&ops, &[])?;
        self.persist_clock()
    }

    fn check_source(&self, source: &str) -> Result<String> {
        let s = source.trim().to_lowercase().replace(' ', "_");
        let known = self.consent_sources()?;
        if known.contains(&s) {
            Ok(s)
        } else {
            Err(Error::invalid(
                "source",
                format!(
                    "unknown source '{source}'; use one of: {}",
                    known.join(", ")
                ),
            ))
        }
    }

    fn parse_channel(channel: &str) -> Result<Channel> {
        Channel::parse(channel)
            .ok_or_else(|| Error::invalid("channel", "use email, phone, post or sms"))
    }

    /// Evidence and withdrawal reasons are typed in a multi-line box (the
    /// UI's textarea): line breaks and tabs pass, other control characters
    /// (terminal escapes) are refused.
    fn check_evidence(field: &str, text: Option<&str>) -> Result<Option<String>> {
        let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        if t.chars().count() > 10_000 {
            return Err(Error::invalid(field, "keep it under 10,000 characters"));
        }
        no_controls(field, t, true)?;
        Ok(Some(t.to_owned()))
    }

    /// Records that a person gave consent. An optional evidence file is
    /// stored inside the encrypted vault.
    pub fn give_consent(
        &mut self,
        person: RecordId,
        input: &ConsentInput,
        file: Option<(&str, &[u8])>,
    ) -> Result<ConsentEntry> {
        self.require(Action::RecordConsent)?;
        self.person_exists(person)?;
        self.refuse_if_restricted(person)?;
        let purpose = self.purpose(&input.purpose)?;
        let channel = Self::parse_channel(&input.channel)?;
        let source = self.check_source(&input.source)?;
        let evidence = Self::check_evidence("evidence", input.evidence.as_deref())?;
        let now = self.now();
        let at = input.at.unwrap_or(now);
        if at > now {
            return Err(Error::invalid(
                "at",
                "a consent cannot be given in the future",
            ));
        }
        // The latest entry is the one recorded last; a consent dated before
        // a later withdrawal would silently revive it (Art. 7(3)).
        if let Some(last) = self
            .entries_of(person)?
            .into_iter()
            .rev()
            .find(|e| e.purpose == purpose.key && e.channel == channel)
            && at < last.at
        {
            return Err(Error::invalid(
                "at",
                format!(
                    "a newer entry ({}, {}) exists for this purpose and channel; record a consent dated after it",
                    last.state.label(Lang::En),
                    last.at.format("%Y-%m-%d")
                ),
            ));
        }
        let file_meta = match file {
            Some((name, bytes)) => {
                if bytes.len() > 20 * 1024 * 1024 {
                    return Err(Error::invalid("evidence_file", "attach at most 20 MB"));
                }
                no_controls("evidence_file", name, false)?;
                Some(EvidenceFile {
                    name: name.to_owned(),
                    size: bytes.len() as u64,
                    sha256: hex(&Sha256::digest(bytes)),
                })
            }
            None => None,
        };
        let mut entry = ConsentEntry {
            id: Uuid::nil(),
            person,
            purpose: purpose.key,
            channel,
            state: ConsentState::Given,
            basis: input.basis.unwrap_or(LegalBasis::Consent),
            source,
            evidence,
            evidence_file: file_meta,
            reason: None,
            at,
            by: self.user().to_owned(),
            token_sha256: None,
        };
        self.write_entry(&mut entry, file)?;
        Ok(entry)
    }

    /// Adds many given or withdrawn e-marketing consents in batches (demo
    /// data and imports); `at` is when each was given or withdrawn.
    pub(crate) fn add_consent_entries(
        &mut self,
        items: &[(RecordId, ConsentState, DateTime<Utc>, &str)],
    ) -> Result<()> {
        self.require(Action::RecordConsent)?;
        let purpose = self.purpose("e-marketing")?;
        for chunk in items.chunks(2000) {
            let mut ops = Vec::with_capacity(chunk.len() * 2);
            for (person, state, at, source) in chunk {
                let id = Uuid::now_v7();
                let entry = ConsentEntry {
                    id,
                    person: *person,
                    purpose: purpose.key.clone(),
                    channel: Channel::Email,
                    state: *state,
                    basis: LegalBasis::Consent,
                    source: (*source).to_owned(),
                    evidence: None,
                    evidence_file: None,
                    reason: None,
                    at: *at,
                    by: self.user().to_owned(),
                    token_sha256: None,
                };
                ops.push(self.create_op(id, RecordKind::Consent, Some(*person)));
                ops.push(self.op(id, RecordKind::Consent, "entry", open_json(&entry)));
            }
            self.store.apply(&ops, &[])?;
        }
        self.persist_clock()
    }

    /// Records a withdrawal. Refused when nothing is given or pending.
    pub fn withdraw_consent(
        &mut self,
        person: RecordId,
        purpose: &str,
        channel: &str,
        reason: Option<&str>,
    ) -> Result<ConsentEntry> {
        self.require(Action::RecordConsent)?;
        self.person_exists(person)?;
        let purpose = self.purpose(purpose)?;
        let channel = Self::parse_channel(channel)?;
        let last = self
            .entries_of(person)?
            .into_iter()
            .rev()
            .find(|e| e.purpose == purpose.key && e.channel == channel);
        let Some(last) = last.filter(|e| e.state != ConsentState::Withdrawn) else {
            return Err(Error::invalid(
                "purpose",
                format!(
                    "there is no consent for '{}' by {} to withdraw",
                    purpose.key,
                    channel.as_str()
                ),
            ));
        };
        let mut entry = ConsentEntry {
            id: Uuid::nil(),
            person,
            purpose: purpose.key,
            channel,
            state: ConsentState::Withdrawn,
            basis: last.basis,
            source: last.source,
            evidence: None,
            evidence_file: None,
            reason: Self::check_evidence("reason", reason)?,
            at: self.now(),
            by: self.user().to_owned(),
            token_sha256: None,
        };
        self.write_entry(&mut entry, None)?;
        Ok(entry)
    }

    /// The attached evidence file of an entry.
    pub fn evidence_file(&self, entry: Uuid) -> Result<(String, Vec<u8>)> {
        self.require(Action::ViewConsent)?;
        use base64::Engine as _;
        let not_found = || Error::NotFound {
            what: "evidence file",
            id: entry.to_string(),
        };
        let v: serde_json::Value = self
            .store
            .fields(entry)?
            .into_iter()
            .find(|(f, _)| f == "evidence_file")
            .and_then(|(_, v)| doc(&v))
            .ok_or_else(not_found)?;
        let name = v["name"].as_str().unwrap_or("evidence").to_owned();
        let data = base64::engine::general_purpose::STANDARD
            .decode(v["data"].as_str().unwrap_or_default())
            .map_err(|_| not_found())?;
        Ok((name, data))
    }

    /// The legal-basis view of one person: purposes, consents with history,
    /// the necessity check, and the exports that included them.
    pub fn legal_basis(&self, person: RecordId) -> Result<LegalBasisView> {
        self.require(Action::ViewConsent)?;
        let contact = self.contact(person)?;
        if contact.kind != RecordKind::Person {
            return Err(Error::NotFound {
                what: "person",
                id: person.to_string(),
            });
        }
        let now = self.now();
        let purposes = self.purposes_unchecked()?;
        let history = self.entries_of(person)?;
        let statuses: Vec<PurposeStatus> = purposes
            .iter()
            .map(|p| purpose_status(p, &history, now))
            .collect();
        let justified: BTreeSet<Category> = statuses
            .iter()
            .filter(|s| s.lawful)
            .flat_map(|s| s.purpose.categories.iter().copied())
            .collect();
        let unjustified = contact
            .fields
            .iter()
            .filter(|f| matches!(f.value, FieldValue::Value { .. }))
            .filter(|f| !justified.contains(&f.category))
            .map(|f| UnjustifiedField {
                field: f.name.to_owned(),
                category: f.category,
            })
            .collect();
        // Name only this person: the other people of a list are third parties.
        let disclosures = self
            .disclosures()?
            .into_iter()
            .filter(|d| d.people.contains(&person))
            .map(|mut d| {
                d.people = vec![person];
                d
            })
            .collect();
        Ok(LegalBasisView {
            person,
            display: contact.display,
            purposes: statuses,
            history,
            unjustified,
            disclosures,
            generated: now,
        })
    }

    /// Consent history of a person, oldest first.
    pub fn consent_history(&self, person: RecordId) -> Result<Vec<ConsentEntry>> {
        self.require(Action::ViewConsent)?;
        self.person_exists(person)?;
        self.entries_of(person)
    }

    /// Latest entry per person × purpose × channel over the whole vault.
    fn latest_entries(&self) -> Result<HashMap<(Uuid, String, Channel), ConsentEntry>> {
        let mut latest: HashMap<(Uuid, String, Channel), ConsentEntry> = HashMap::new();
        for (id, subject, value) in self
            .store
            .records_with_field(RecordKind::Consent, "entry")?
        {
            let (Some(person), Some(mut e)) = (subject, doc::<ConsentEntry>(&value)) else {
                continue;
            };
            e.id = id;
            e.person = person;
            // Records come oldest first, so the last one seen wins.
            latest.insert((person, e.purpose.clone(), e.channel), e);
        }
        Ok(latest)
    }

    /// People whose consent has expired or expires within `ahead_days`.
    pub fn reconsent_list(&self, ahead_days: u32) -> Result<Vec<ReconsentItem>> {
        self.require(Action::ViewConsent)?;
        let now = self.now();
        let horizon = now
            .checked_add_signed(chrono::Duration::days(i64::from(ahead_days.min(3650))))
            .unwrap_or(now);
        let restricted: BTreeSet<Uuid> = self.restricted_people()?.into_iter().collect();
        let purposes: HashMap<String, Purpose> = self
            .purposes_unchecked()?
            .into_iter()
            .map(|p| (p.key.clone(), p))
            .collect();
        let mut items = Vec::new();
        for ((person, purpose, channel), e) in self.latest_entries()? {
            if e.state != ConsentState::Given || restricted.contains(&person) {
                continue;
            }
            let Some(expires) = expiry(&e, purposes.get(&purpose)) else {
                continue;
            };
            if expires <= horizon {
                let display = self
                    .store
                    .display_name(person)?
                    .unwrap_or_else(|| person.to_string());
                items.push(ReconsentItem {
                    person,
                    display,
                    purpose,
                    channel,
                    expires,
                    expired: expires <= now,
                });
            }
        }
        items.sort_by(|a, b| a.expires.cmp(&b.expires).then(a.display.cmp(&b.display)));
        Ok(items)
    }

    // ---- double opt-in ----

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

    // ---- purpose binding ----

    /// Every recorded disclosure, oldest first.
    pub fn disclosures(&self) -> Result<Vec<Disclosure>> {
        self.require(Action::ViewConsent)?;
        Ok(self
            .store
            .records_with_field(RecordKind::Disclosure, "disclosure")?
            .into_iter()
            .filter_map(|(id, _, v)| {
                let mut d = doc::<Disclosure>(&v)?;
                d.id = id;
                Some(d)
            })
            .collect())
    }

    /// The people with a valid basis for exactly this purpose and channel
    /// who have an address on the channel; records the export as a disclosure.
    pub fn mailing_export(
        &mut self,
        purpose: &str,
        channel: &str,
        file: &str,
    ) -> Result<MailingExport> {
        self.require(Action::ExportMailing)?;
        let purpose = self.purpose(purpose)?;
        let channel = Self::parse_channel(channel)?;
        let now = self.now();
        let latest = self.latest_entries()?;
        let mut eligible: BTreeMap<Uuid, ()> = BTreeMap::new();
        for ((person, p, ch), e) in &latest {
            if *p == purpose.key && *ch == channel && valid_now(e, &purpose, now) {
                eligible.insert(*person, ());
            }
        }
        if !purpose.consent_required {
            // The purpose's own basis covers everyone who has not objected.
            let objected: BTreeSet<Uuid> = latest
                .iter()
                .filter(|((_, p, ch), e)| {
                    *p == purpose.key && *ch == channel && e.state == ConsentState::Withdrawn
                })
                .map(|((person, _, _), _)| *person)
                .collect();
            for id in self.store.all_of_kind(RecordKind::Person)? {
                if !objected.contains(&id) {
                    eligible.insert(id, ());
                }
            }
        }
        for person in self.restricted_people()? {
            eligible.remove(&person);
        }
        let mut rows = Vec::new();
        for person in eligible.keys() {
            // Names and addresses are open categories: read them straight
            // from the store instead of building the whole contact view.
            let fields = self.store.fields(*person)?;
            let Some(address) = open_first(&fields, channel.field()) else {
                continue;
            };
            let text = |f: &str| open_first(&fields, f).unwrap_or_default();
            rows.push(MailingRow {
                person: *person,
                salutation: text("salutation"),
                title: text("title"),
                given_name: text("given_name"),
                family_name: text("family_name"),
                address,
                language: text("language"),
            });
        }
        rows.sort_by(|a, b| {
            (&a.family_name, &a.given_name, a.person).cmp(&(
                &b.family_name,
                &b.given_name,
                b.person,
            ))
        });
        let id = Uuid::now_v7();
        let mut disclosure = Disclosure {
            id,
            purpose: purpose.key,
            channel,
            count: u32::try_from(rows.len()).unwrap_or(u32::MAX),
            at: now,
            by: self.user().to_owned(),
            file: file.to_owned(),
            people: rows.iter().map(|r| r.person).collect(),
        };
        let ops = vec![
            self.create_op(id, RecordKind::Disclosure, None),
            self.op(
                id,
                RecordKind::Disclosure,
                "disclosure",
                open_json(&disclosure),
            ),
        ];
        self.store.apply(&ops, &[])?;
        self.persist_clock()?;
        disclosure.id = id;
        Ok(MailingExport { rows, disclosure })
    }
}

