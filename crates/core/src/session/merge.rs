//! Two records of one person made one: the other's fields fill what the
//! kept one lacks (emails, phones, addresses and tags added, a name never
//! overwritten), its company links, interactions, follow-ups, consents
//! (with their evidence), corrections and releases are copied to the kept
//! one, its requests name the kept one, and then the other is removed as
//! an erasure is, its key destroyed, on every laptop. The merge is
//! recorded as a correction of the kept person. All in one transaction.

use std::collections::HashSet;

use serde::Serialize;
use uuid::Uuid;

use super::Session;
use super::erasure::SUBJECT_KINDS;
use crate::error::{Error, Result};
use crate::model::categories::{self, RecordKind};
use crate::model::contacts::{FieldInput, FieldValue, PersonInput, RecordId};
use crate::model::import::Row;
use crate::model::rights::Rectification;
use crate::model::roles::Action;
use crate::ops::{CREATE_FIELD, Forget, Op, OpValue};

/// What a merge did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MergeReport {
    /// The person kept.
    pub kept: RecordId,
    /// The person merged into it, now removed.
    pub merged: RecordId,
    /// The fields of the kept person that changed.
    pub fields: Vec<String>,
    /// Records copied to the kept person (interactions, follow-ups,
    /// consents, company links, corrections, releases).
    pub records: u32,
    /// Requests that now name the kept person.
    pub requests: u32,
    /// Fields where both had a different value and the kept one's stays
    /// (a note is joined instead).
    pub kept_over: Vec<String>,
}

/// The kinds of record that follow the person to the kept record.
const MOVED_KINDS: [RecordKind; 6] = [
    RecordKind::Affiliation,
    RecordKind::Interaction,
    RecordKind::FollowUp,
    RecordKind::Consent,
    RecordKind::Rectification,
    RecordKind::PackageRelease,
];

impl Session {
    /// Merges `other` into `keep`. Needs a role that changes contacts and
    /// erases (the other record is erased); refused when either person is
    /// restricted or under a legal hold, or when the role cannot read all
    /// of the other's data.
    pub fn merge_people(&mut self, keep: RecordId, other: RecordId) -> Result<MergeReport> {
        self.require(Action::WriteContacts)?;
        self.require(Action::Erase)?;
        if keep == other {
            return Err(Error::invalid(
                "merge",
                "a person cannot be merged with themselves",
            ));
        }
        for p in [keep, other] {
            self.person_exists(p)?;
            self.refuse_if_restricted(p)?;
            self.refuse_if_held(p)?;
        }
        let view = self.contact(other)?;
        if view.companies.iter().any(|c| c.sole_trader) {
            return Err(Error::invalid(
                "merge",
                "the second record is a sole trader with a company of their own: merge the other way round, or keep both",
            ));
        }
        let kept_view = self.contact(keep)?;
        if let Some(f) = view
            .fields
            .iter()
            .find(|f| matches!(f.value, FieldValue::Locked { .. }))
        {
            return Err(Error::invalid(
                "merge",
                format!(
                    "your role cannot read the {} of the second record, so it cannot be carried over",
                    f.label_en.to_lowercase()
                ),
            ));
        }
        // The other's fields, as an import row would bring them; a note
        // of both is joined, a later last contact carried over, any other
        // value the kept one has stays and is named.
        let mut input = PersonInput::default();
        let mut joined: Vec<(String, FieldInput)> = Vec::new();
        let mut kept_over = Vec::new();
        for f in &view.fields {
            let mine = kept_view.field(f.name).and_then(|k| k.value.as_text());
            let theirs = f.value.as_text();
            if let (Some(mine), Some(theirs)) = (&mine, &theirs)
                && mine != theirs
            {
                match categories::field(RecordKind::Person, f.name).map(|d| d.value) {
                    Some(categories::ValueType::LongText) => {
                        joined.push((
                            f.name.to_owned(),
                            FieldInput::Text(format!("{mine}\n\n{theirs}")),
                        ));
                    }
                    _ if f.name == "last_contact" => {
                        if theirs > mine {
                            joined.push((f.name.to_owned(), FieldInput::Text(theirs.clone())));
                        }
                    }
                    Some(
                        categories::ValueType::Emails
                        | categories::ValueType::Phones
                        | categories::ValueType::Addresses
                        | categories::ValueType::Tags,
                    ) => {}
                    _ => kept_over.push(f.name.to_owned()),
                }
            }
            let Some(value) = f.value.to_input() else {
                continue;
            };
            input.fields.push((f.name.to_owned(), value));
        }
        let row = Row {
            line: 0,
            input,
            notes: Vec::new(),
        };
        let source = view
            .field("source")
            .and_then(|f| f.value.as_text())
            .unwrap_or_default();
        let (mut ops, mut fields) = self.merge_ops(keep, &row, &source)?;
        fields.retain(|f| f != "company");
        if !joined.is_empty() {
            ops.extend(self.field_ops(keep, RecordKind::Person, &joined)?);
            fields.extend(joined.iter().map(|(f, _)| f.clone()));
        }

        // The records that follow: a company link only to a company the
        // kept person is not linked to yet.
        let kept_companies: HashSet<Uuid> = self
            .contact(keep)?
            .companies
            .iter()
            .map(|c| c.company)
            .collect();
        let mut copied = 0u32;
        for kind in MOVED_KINDS {
            for id in self.store.records_of_subject(other, kind)? {
                let stored = self.store.fields(id)?;
                if kind == RecordKind::Affiliation {
                    let company = stored.iter().find_map(|(f, v)| match (f.as_str(), v) {
                        ("company", OpValue::Open(j)) => serde_json::from_str::<String>(j)
                            .ok()
                            .and_then(|c| Uuid::parse_str(&c).ok()),
                        _ => None,
                    });
                    if company.is_none_or(|c| kept_companies.contains(&c)) {
                        continue;
                    }
                }
                ops.extend(self.copy_record(id, kind, &stored, keep)?);
                copied += 1;
            }
        }
        // What was done, as a correction of the kept person.
        let rect = Rectification {
            fields: fields.clone(),
            reason: format!("merged with a second record of the same person ({other})"),
            request: None,
            at: self.now(),
            by: self.user().to_owned(),
        };
        let rid = Uuid::now_v7();
        ops.push(self.create_op(rid, RecordKind::Rectification, Some(keep)));
        ops.push(self.op(
            rid,
            RecordKind::Rectification,
            "rectification",
            OpValue::Open(serde_json::to_string(&rect).unwrap_or_default()),
        ));

        let reference = format!("merged into {keep}");
        let report = self.in_batch(|s| {
            s.store.apply(&ops, &[])?;
            // Its requests name the kept person (a request is about the
            // person, not about one of their records).
            let mut requests = 0u32;
            for mut r in s.requests_unchecked()? {
                if r.person == Some(other) {
                    r.person = Some(keep);
                    s.write_request(&r, false)?;
                    requests += 1;
                }
            }
            // The exports that held the other held the person (Art. 15(1)(c)).
            s.name_in_disclosures(other, keep)?;
            let mut records = vec![other];
            for kind in SUBJECT_KINDS {
                records.extend(s.store.records_of_subject(other, *kind)?);
            }
            s.forget(Forget::Subject {
                subject: other,
                records,
                at_ms: s.now().timestamp_millis(),
                request: reference.clone(),
            })?;
            s.persist_clock()?;
            Ok(MergeReport {
                kept: keep,
                merged: other,
                fields: fields.clone(),
                records: copied,
                requests,
                kept_over: kept_over.clone(),
            })
        })?;
        self.after_removal()?;
        Ok(report)
    }

    /// The ops of a copy of a record for another person: each field as it
    /// is now, a sealed one opened and sealed again for the new record.
    fn copy_record(
        &mut self,
        from: Uuid,
        kind: RecordKind,
        stored: &[(String, OpValue)],
        to: RecordId,
    ) -> Result<Vec<Op>> {
        let id = Uuid::now_v7();
        let mut ops = vec![self.create_op(id, kind, Some(to))];
        let old = from.to_string();
        for (field, value) in stored {
            if field == CREATE_FIELD {
                continue;
            }
            let value = match value {
                OpValue::Open(_) => value.clone(),
                OpValue::Cleared => continue,
                OpValue::Sealed { .. } => {
                    let def = categories::field(kind, field).ok_or_else(|| {
                        Error::Store(format!("a sealed {field} that is not in the catalogue"))
                    })?;
                    let plain = self.open_sealed(&old, field, value).ok_or_else(|| {
                        Error::invalid(
                            "merge",
                            format!("the {field} of a record cannot be opened with your keys"),
                        )
                    })?;
                    let json: serde_json::Value =
                        serde_json::from_str(&plain).map_err(|e| Error::Store(e.to_string()))?;
                    self.encode_value(id, def, Some(json))?
                }
            };
            ops.push(self.op(id, kind, field, value));
        }
        Ok(ops)
    }
}
