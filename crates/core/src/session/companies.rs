//! Companies as records of their own: made, shown with their people and
//! the interactions with them, merged, deleted, and marked as a sole
//! trader's (which makes the company a record about that person: see
//! `model/companies.rs`).
//!
//! Merging and marking move what a company holds (its links, its
//! follow-ups) to another company record and delete the old one; the
//! links are changed in place, the follow-ups made again on the new
//! record (a record's subject is fixed when it is made).

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::Session;
use crate::error::{Error, Result};
use crate::model::categories::{self, RecordKind};
use crate::model::companies::{
    ACTIVITY_LIMIT, CompanyActivity, CompanyDeletion, CompanyMerge, CompanyPerson, CompanyView,
    merge_fill,
};
use crate::model::contacts::{FieldChange, FieldInput, FieldValue, RecordId};
use crate::model::roles::Action;
use crate::ops::{Forget, Op, OpValue};

/// What moving one company into another makes and removes.
#[derive(Default)]
struct Moved {
    ops: Vec<Op>,
    removed: Vec<Uuid>,
    people: u32,
    followups: u32,
}

impl Session {
    /// Makes a company. With `sole_trader`, it is that person's sole
    /// trading: linked to them, a record about them.
    pub fn add_company(
        &mut self,
        fields: &[(String, FieldInput)],
        sole_trader: Option<RecordId>,
    ) -> Result<RecordId> {
        self.require(Action::WriteContacts)?;
        let name = fields
            .iter()
            .find(|(f, _)| f == "name")
            .and_then(|(_, v)| match v {
                FieldInput::Text(t) if !t.trim().is_empty() => Some(t.trim().to_owned()),
                _ => None,
            })
            .ok_or_else(|| Error::invalid("name", "a company needs a name"))?;
        if self.store.find_company(&name)?.is_some() {
            return Err(Error::invalid(
                "name",
                "a company of this name exists: open it, or merge the two afterwards",
            ));
        }
        if let Some(person) = sole_trader {
            self.person_exists(person)?;
            self.refuse_if_restricted(person)?;
        }
        let id = Uuid::now_v7();
        let mut ops = vec![self.create_op(id, RecordKind::Company, sole_trader)];
        let fields: Vec<(String, FieldInput)> = fields
            .iter()
            .map(|(f, v)| match (f.as_str(), v) {
                ("name", _) => (f.clone(), FieldInput::Text(name.clone())),
                _ => (f.clone(), v.clone()),
            })
            .collect();
        ops.extend(self.field_ops(id, RecordKind::Company, &fields)?);
        if let Some(person) = sole_trader {
            ops.extend(self.link_ops(
                person,
                &name,
                None,
                &mut HashMap::from([(name.clone(), id)]),
            )?);
        }
        self.store.apply(&ops, &[])?;
        self.persist_clock()?;
        Ok(id)
    }

    /// [`Session::add_company`] from the window's changes.
    pub fn add_company_from(
        &mut self,
        changes: &[FieldChange],
        sole_trader: Option<RecordId>,
    ) -> Result<RecordId> {
        let inputs: Vec<_> = changes
            .iter()
            .map(|c| c.to_input(RecordKind::Company))
            .collect();
        self.add_company(&inputs, sole_trader)
    }

    /// A company's page: its fields, its people with their role and since
    /// when, and the latest interactions with them.
    pub fn company(&self, id: RecordId) -> Result<CompanyView> {
        self.require(Action::ReadContacts)?;
        let owner = self.company_record(id)?;
        let contact = self.contact(id)?;
        let restricted: HashSet<RecordId> = self.restricted_people()?.into_iter().collect();
        let person = |p: Uuid, role: Option<String>, since| CompanyPerson {
            person: p,
            display: self
                .store
                .display_name(p)
                .ok()
                .flatten()
                .unwrap_or_default(),
            role,
            since,
            restricted: restricted.contains(&p),
        };
        let mut people = Vec::new();
        for (link, p, made) in self.store.company_links(id)? {
            if people.iter().any(|x: &CompanyPerson| x.person == p) {
                continue;
            }
            people.push(person(
                p,
                self.open_text(link, "role")?,
                Some(made.to_datetime()),
            ));
        }
        people.sort_by_key(|p| crate::model::directory::fold(&p.display));
        let mut activity = Vec::new();
        for p in &people {
            for i in self
                .store
                .records_of_subject(p.person, RecordKind::Interaction)?
            {
                activity.push(CompanyActivity {
                    person: p.person,
                    display: p.display.clone(),
                    interaction: self.interaction_view(i)?,
                });
            }
        }
        activity.sort_by(|a, b| b.interaction.at.cmp(&a.interaction.at));
        activity.truncate(ACTIVITY_LIMIT);
        Ok(CompanyView {
            contact,
            sole_trader: owner.map(|p| person(p, None, None)),
            people,
            activity,
        })
    }

    /// What deleting a company would do: its people stay, unlinked; its
    /// follow-ups go.
    pub fn company_deletion(&self, id: RecordId) -> Result<CompanyDeletion> {
        self.require(Action::ReadContacts)?;
        let owner = self.company_record(id)?;
        let mut people: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for (_, p, _) in self.store.company_links(id)? {
            if seen.insert(p) {
                people.push(self.store.display_name(p)?.unwrap_or_default());
            }
        }
        people.sort_by_key(|d| crate::model::directory::fold(d));
        Ok(CompanyDeletion {
            company: id,
            name: self.open_text(id, "name")?.unwrap_or_default(),
            people,
            followups: u32::try_from(
                self.store
                    .records_of_subject(id, RecordKind::FollowUp)?
                    .len(),
            )
            .unwrap_or(u32::MAX),
            sole_trader: owner.is_some(),
        })
    }

    /// Deletes a company with its history, its links and its follow-ups,
    /// on every laptop; the people linked to it stay. A sole trader's
    /// company is that person's data: deleting it takes a role that erases.
    pub fn delete_company(&mut self, id: RecordId) -> Result<CompanyDeletion> {
        self.require(Action::WriteContacts)?;
        let said = self.company_deletion(id)?;
        if let Some(person) = self.company_record(id)? {
            self.require(Action::Erase)?;
            self.may_unlink(person)?;
        }
        let followups = self.store.records_of_subject(id, RecordKind::FollowUp)?;
        if !followups.is_empty() {
            self.require(Action::AddInteraction)?;
        }
        let mut records = vec![id];
        for (link, person, _) in self.store.company_links(id)? {
            self.may_unlink(person)?;
            records.push(link);
        }
        records.extend(followups);
        if said.sole_trader {
            self.forget(Forget::Records { records })?;
            self.after_removal()?;
        } else {
            self.forget(Forget::Companies { records })?;
        }
        Ok(said)
    }

    /// Merges `gone` into `keep`: the people linked to `gone` are linked
    /// to `keep` (a person linked to both keeps one link, with a role if
    /// either had one), its follow-ups move, `keep`'s empty fields are
    /// filled and its phone and address lists extended; then `gone` is
    /// deleted. A sole trader's company is merged only into another of
    /// the same person.
    pub fn merge_companies(&mut self, keep: RecordId, gone: RecordId) -> Result<CompanyMerge> {
        self.require(Action::WriteContacts)?;
        if keep == gone {
            return Err(Error::invalid(
                "merge",
                "a company cannot be merged into itself",
            ));
        }
        let keep_owner = self.company_record(keep)?;
        let gone_owner = self.company_record(gone)?;
        if let Some(owner) = gone_owner {
            if keep_owner != Some(owner) {
                return Err(Error::invalid(
                    "merge",
                    "this is a sole trader's company: merge the other company into it",
                ));
            }
            self.require(Action::Erase)?;
            self.refuse_if_held(owner)?;
        }
        if let Some(owner) = keep_owner {
            self.refuse_if_restricted(owner)?;
            if self
                .store
                .company_links(gone)?
                .iter()
                .any(|(_, p, _)| *p != owner)
            {
                return Err(Error::invalid(
                    "merge",
                    "other people are linked to the other company: a sole trader's company is linked to the one person",
                ));
            }
        }
        // A value of the other company this role cannot open would be lost.
        self.company_inputs(gone)?;
        let readable = |s: &Self, id| -> Result<Vec<(&'static str, Option<serde_json::Value>)>> {
            Ok(s.contact(id)?
                .fields
                .into_iter()
                .map(|f| match f.value {
                    FieldValue::Value { value } => (f.name, Some(value)),
                    // A locked value counts as there: it is never replaced.
                    FieldValue::Locked { .. } => (f.name, Some(serde_json::Value::Bool(true))),
                    FieldValue::Empty => (f.name, None),
                })
                .collect())
        };
        let fill = merge_fill(&readable(self, keep)?, &readable(self, gone)?);
        let mut moved = self.move_company(gone, keep)?;
        moved
            .ops
            .extend(self.field_ops(keep, RecordKind::Company, &fill)?);
        self.finish_move(moved, gone)
            .map(|(people, followups)| CompanyMerge {
                kept: keep,
                merged: gone,
                people,
                followups,
                filled: fill.into_iter().map(|(f, _)| f).collect(),
            })
    }

    /// Marks a company as `person`'s sole trading. The company must be
    /// linked to nobody but them (they are linked if nobody is). It is made
    /// again as a record about the person, with a new id, which is
    /// returned; the old record goes.
    pub fn make_sole_trader(&mut self, company: RecordId, person: RecordId) -> Result<RecordId> {
        self.require(Action::WriteContacts)?;
        if self.company_record(company)?.is_some() {
            return Err(Error::invalid(
                "sole_trader",
                "this company is a sole trader's already",
            ));
        }
        self.person_exists(person)?;
        self.refuse_if_restricted(person)?;
        let links = self.store.company_links(company)?;
        if links.iter().any(|(_, p, _)| *p != person) {
            return Err(Error::invalid(
                "sole_trader",
                "other people are linked to this company: a sole trader's company is linked to the one person",
            ));
        }
        let id = Uuid::now_v7();
        let mut ops = vec![self.create_op(id, RecordKind::Company, Some(person))];
        let fields = self.company_inputs(company)?;
        ops.extend(self.field_ops(id, RecordKind::Company, &fields)?);
        let mut moved = self.move_company(company, id)?;
        ops.append(&mut moved.ops);
        moved.ops = ops;
        if links.is_empty() {
            let name = self.open_text(company, "name")?.unwrap_or_default();
            moved.ops.extend(self.link_ops(
                person,
                &name,
                None,
                &mut HashMap::from([(name.clone(), id)]),
            )?);
        }
        self.finish_move(moved, company)?;
        Ok(id)
    }

    /// A company's values as inputs, to make them again on another
    /// record (a sealed value is bound to its record, so it is opened and
    /// sealed anew: that takes the key to it).
    fn company_inputs(&self, id: RecordId) -> Result<Vec<(String, FieldInput)>> {
        let mut out = Vec::new();
        for (name, value) in self.store.fields(id)? {
            let Some(def) = categories::field(RecordKind::Company, &name) else {
                continue;
            };
            let decoded = self.decode_value(id, def.name, def.category, &value);
            let input = match decoded.to_input() {
                Some(input) => input,
                None if matches!(decoded, FieldValue::Locked { .. }) => {
                    return Err(Error::invalid(
                        def.name,
                        "your role holds no key to this value of the company: someone whose role does must do this",
                    ));
                }
                _ => continue,
            };
            out.push((name, input));
        }
        Ok(out)
    }

    /// The follow-ups on a person's sole-trader companies (they go when
    /// the person goes).
    pub(crate) fn sole_trader_followups(&self, person: RecordId) -> Result<Vec<Uuid>> {
        let mut out = Vec::new();
        for c in self.store.records_of_subject(person, RecordKind::Company)? {
            out.extend(self.store.records_of_subject(c, RecordKind::FollowUp)?);
        }
        Ok(out)
    }

    /// A person's link to a company may go: not while they are
    /// restricted (nothing is done with their data) or under a legal hold
    /// (nothing of theirs is deleted).
    fn may_unlink(&self, person: RecordId) -> Result<()> {
        self.refuse_if_restricted(person)?;
        self.refuse_if_held(person)
    }

    /// The person a company is a sole trader's, checking it is a company.
    fn company_record(&self, id: RecordId) -> Result<Option<RecordId>> {
        match self.store.record(id)? {
            Some((RecordKind::Company, owner)) => Ok(owner),
            _ => Err(Error::NotFound {
                what: "company",
                id: id.to_string(),
            }),
        }
    }

    fn open_text(&self, id: Uuid, field: &str) -> Result<Option<String>> {
        Ok(self
            .store
            .fields(id)?
            .into_iter()
            .find(|(f, _)| f == field)
            .and_then(|(_, v)| match v {
                OpValue::Open(j) => serde_json::from_str::<String>(&j).ok(),
                _ => None,
            })
            .filter(|s| !s.is_empty()))
    }

    /// The ops that take `from`'s links and follow-ups to `into`, and what
    /// goes once they are applied.
    fn move_company(&mut self, from: RecordId, into: RecordId) -> Result<Moved> {
        let mut moved = Moved::default();
        let mut kept: HashMap<Uuid, Uuid> = self
            .store
            .company_links(into)?
            .into_iter()
            .map(|(l, p, _)| (p, l))
            .collect();
        for (link, person, _) in self.store.company_links(from)? {
            self.refuse_if_restricted(person)?;
            let role = self.open_text(link, "role")?;
            match kept.get(&person) {
                Some(theirs) => {
                    self.may_unlink(person)?;
                    if let Some(role) = role
                        && self.open_text(*theirs, "role")?.is_none()
                    {
                        let theirs = *theirs;
                        moved.ops.extend(self.field_ops(
                            theirs,
                            RecordKind::Affiliation,
                            &[("role".into(), FieldInput::Text(role))],
                        )?);
                    }
                    moved.removed.push(link);
                }
                None => {
                    moved.ops.extend(self.field_ops(
                        link,
                        RecordKind::Affiliation,
                        &[("company".into(), FieldInput::Text(into.to_string()))],
                    )?);
                    kept.insert(person, link);
                    moved.people += 1;
                }
            }
        }
        for f in self.store.records_of_subject(from, RecordKind::FollowUp)? {
            let new = Uuid::now_v7();
            let mut fields = Vec::new();
            for name in ["what", "due", "time", "assignee", "by", "done_at"] {
                if let Some(v) = self.open_text(f, name)? {
                    fields.push((name.to_owned(), FieldInput::Text(v)));
                }
            }
            moved
                .ops
                .push(self.create_op(new, RecordKind::FollowUp, Some(into)));
            moved
                .ops
                .extend(self.field_ops(new, RecordKind::FollowUp, &fields)?);
            moved.removed.push(f);
            moved.followups += 1;
        }
        Ok(moved)
    }

    /// Applies a move, then deletes `from` and what the move left behind.
    fn finish_move(&mut self, mut moved: Moved, from: RecordId) -> Result<(u32, u32)> {
        if moved.followups > 0 {
            self.require(Action::AddInteraction)?;
        }
        let owned = self.company_record(from)?.is_some();
        moved.removed.insert(0, from);
        let records = std::mem::take(&mut moved.removed);
        // The move and the deletion in one transaction: never the people
        // moved and the old company still there, or the reverse.
        self.in_batch(|s| {
            s.store.apply(&moved.ops, &[])?;
            // A sole trader's company is the person's data: gone for good.
            s.forget(if owned {
                Forget::Records { records }
            } else {
                Forget::Companies { records }
            })?;
            s.persist_clock()
        })?;
        Ok((moved.people, moved.followups))
    }
}
