//! Purposes, consents and their history on the session: writing and reading
//! the records of `model::consent`.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::categories::{Category, Lang, RecordKind};
use crate::model::consent::Channel;
use crate::model::consent::ConsentEntry;
use crate::model::consent::ConsentInput;
use crate::model::consent::ConsentState;
use crate::model::consent::DEFAULT_SOURCES;
use crate::model::consent::EvidenceFile;
use crate::model::consent::LegalBasis;
use crate::model::consent::LegalBasisView;
use crate::model::consent::Purpose;
use crate::model::consent::PurposeStatus;
use crate::model::consent::ReconsentItem;
use crate::model::consent::UnjustifiedField;
use crate::model::consent::default_purposes;
use crate::model::consent::expiry;
use crate::model::consent::hex;
use crate::model::consent::purpose_status;
use crate::model::consent::supersedes;
use crate::model::contacts::{FieldValue, RecordId, no_controls};
use crate::model::roles::Action;
use crate::ops::{Op, OpValue};
use crate::session::Session;

/// The largest evidence file kept with a consent (20 MiB).
pub const MAX_EVIDENCE_BYTES: usize = 20 * 1024 * 1024;

/// A record's JSON document field, decoded.
pub(crate) fn doc<T: for<'de> Deserialize<'de>>(value: &OpValue) -> Option<T> {
    match value {
        OpValue::Open(json) => serde_json::from_str(json).ok(),
        _ => None,
    }
}

pub(crate) fn open_json<T: Serialize + ?Sized>(value: &T) -> OpValue {
    OpValue::Open(serde_json::to_string(value).unwrap_or_default())
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

    pub(crate) fn entries_of(&self, person: RecordId) -> Result<Vec<ConsentEntry>> {
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

    pub(crate) fn write_entry(
        &mut self,
        entry: &mut ConsentEntry,
        file: Option<(&str, &[u8])>,
    ) -> Result<()> {
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

    pub(crate) fn check_source(&self, source: &str) -> Result<String> {
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

    /// Evidence and withdrawal reasons are typed in a multi-line box (the
    /// UI's textarea): line breaks and tabs pass, other control characters
    /// (terminal escapes) are refused.
    pub(crate) fn check_evidence(field: &str, text: Option<&str>) -> Result<Option<String>> {
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
        let channel = input.channel;
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
                if bytes.len() > MAX_EVIDENCE_BYTES {
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
        channel: Channel,
        reason: Option<&str>,
    ) -> Result<ConsentEntry> {
        self.require(Action::RecordConsent)?;
        self.person_exists(person)?;
        let purpose = self.purpose(purpose)?;
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
    pub(crate) fn latest_entries(&self) -> Result<HashMap<(Uuid, String, Channel), ConsentEntry>> {
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
            // Records come oldest first; the one that happened last wins.
            let key = (person, e.purpose.clone(), e.channel);
            if latest.get(&key).is_none_or(|cur| supersedes(cur, &e)) {
                latest.insert(key, e);
            }
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

    // ---- purpose binding ----
}
