//! Purpose-bound mailing lists and the disclosures they and the exports
//! of contacts leave: a file is written first, and its disclosure is
//! recorded only once the file exists.

use super::consent::{doc, open_json};
use super::export::{export_path, slug};
use crate::error::Result;
use crate::model::categories::RecordKind;
use crate::model::consent::ConsentState;
use crate::model::consent::Disclosure;
use crate::model::consent::MailingExport;
use crate::model::consent::MailingRow;
use crate::model::consent::valid_now;
use crate::model::consent::{Channel, Purpose};
use crate::model::export::ContactFormat;
use crate::model::roles::Action;
use crate::ops::OpValue;
use crate::render;
use crate::session::Session;
use crate::vault::write_atomic;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use uuid::Uuid;

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
                // Who made the export is who signed the record, whatever
                // its JSON says.
                if let Ok(Some(creator)) = self.store.creator(id) {
                    d.by = creator;
                }
                Some(d)
            })
            .collect())
    }

    /// Writes the list of the people with a valid basis for exactly this
    /// purpose and channel who have an address on the channel to `path` (CSV,
    /// atomically), and then records the disclosure naming that file. A
    /// failed write records nothing.
    pub fn mailing_export(
        &mut self,
        purpose: &str,
        channel: Channel,
        path: &Path,
    ) -> Result<MailingExport> {
        let (purpose, channel, rows) = self.mailing_rows(purpose, channel)?;
        write_atomic(path, render::mailing_csv(&rows).as_bytes())?;
        let file = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let people = rows.iter().map(|r| r.person).collect();
        let disclosure =
            self.record_disclosure(&purpose.key, (Some(channel), None), people, &file)?;
        Ok(MailingExport { rows, disclosure })
    }

    /// The same list written into `dir` under the export naming rule
    /// (`mailing-<purpose>-<channel>-<date>.csv`, never over an earlier file).
    pub fn mailing_export_in(
        &mut self,
        dir: &Path,
        purpose: &str,
        channel: Channel,
    ) -> Result<(PathBuf, MailingExport)> {
        self.require(Action::ExportMailing)?;
        let stem = format!(
            "mailing-{}-{}-{}",
            slug(purpose),
            slug(channel.as_str()),
            self.today()
        );
        let path = export_path(dir, &stem, "csv")?;
        let export = self.mailing_export(purpose, channel, &path)?;
        Ok((path, export))
    }

    fn mailing_rows(
        &self,
        purpose: &str,
        channel: Channel,
    ) -> Result<(Purpose, Channel, Vec<MailingRow>)> {
        self.require(Action::ExportMailing)?;
        let purpose = self.purpose(purpose)?;
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
        Ok((purpose, channel, rows))
    }

    /// Adds `to` to every disclosure that names `from` (a merge: the
    /// exports that held one record held the person).
    pub(super) fn name_in_disclosures(&mut self, from: Uuid, to: Uuid) -> Result<()> {
        let mut ops = Vec::new();
        for (id, _, v) in self
            .store
            .records_with_field(RecordKind::Disclosure, "disclosure")?
        {
            let Some(mut d) = doc::<Disclosure>(&v) else {
                continue;
            };
            if d.people.contains(&from) && !d.people.contains(&to) {
                d.people.push(to);
                d.id = id;
                ops.push(self.op(id, RecordKind::Disclosure, "disclosure", open_json(&d)));
            }
        }
        if !ops.is_empty() {
            self.store.apply(&ops, &[])?;
        }
        Ok(())
    }

    /// Records that a file holding `people` was written: a mailing list
    /// (a channel) or an export of contacts (a format).
    pub(super) fn record_disclosure(
        &mut self,
        purpose: &str,
        what: (Option<Channel>, Option<ContactFormat>),
        people: Vec<Uuid>,
        file: &str,
    ) -> Result<Disclosure> {
        let id = Uuid::now_v7();
        let mut disclosure = Disclosure {
            id,
            purpose: purpose.to_owned(),
            channel: what.0,
            format: what.1,
            count: u32::try_from(people.len()).unwrap_or(u32::MAX),
            at: self.now(),
            by: self.user().to_owned(),
            file: file.to_owned(),
            people,
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
        Ok(disclosure)
    }
}
