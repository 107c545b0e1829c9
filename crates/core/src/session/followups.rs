//! Follow-ups (Wiedervorlage): made, listed, done, reopened and snoozed.
//! Each change is a field op, so two laptops that change one follow-up at
//! once (one snoozes it, the other marks it done) keep both changes.

use chrono::NaiveDate;
use uuid::Uuid;

use super::Session;
use crate::error::{Error, Result};
use crate::model::categories::RecordKind;
use crate::model::contacts::{FieldInput, RecordId};
use crate::model::followups::{self, FollowUp, FollowUpFilter, FollowUpInput, FollowUpState};
use crate::model::roles::Action;
use crate::ops::Op;
use crate::store::{FollowUpQuery, FollowUpRow};

impl Session {
    /// Makes a follow-up on a person or a company, for `input.assignee`
    /// (a user of the vault) or for the user who makes it.
    pub fn add_followup(&mut self, subject: RecordId, input: &FollowUpInput) -> Result<RecordId> {
        self.require(Action::AddInteraction)?;
        let ops = self.followup_ops(subject, input)?;
        let id = ops[0].record;
        self.store.apply(&ops, &[])?;
        self.persist_clock()?;
        Ok(id)
    }

    /// The ops of a new follow-up, every check made.
    pub(crate) fn followup_ops(
        &mut self,
        subject: RecordId,
        input: &FollowUpInput,
    ) -> Result<Vec<Op>> {
        match self.store.record(subject)? {
            Some((RecordKind::Person, _)) => self.refuse_if_restricted(subject)?,
            Some((RecordKind::Company, owner)) => {
                if let Some(owner) = owner {
                    self.refuse_if_restricted(owner)?;
                }
            }
            _ => {
                return Err(Error::NotFound {
                    what: "contact",
                    id: subject.to_string(),
                });
            }
        }
        let (what, time) = followups::validate(input)?;
        let due = followups::parse_day(&input.due, self.today_date())?;
        let assignee = match input.assignee.as_deref().map(str::trim) {
            None | Some("") => self.user.clone(),
            Some(name) => self.team_member(name)?,
        };
        let id = Uuid::now_v7();
        let mut fields = vec![
            ("what".to_owned(), FieldInput::Text(what)),
            ("due".to_owned(), FieldInput::Text(day(due))),
            ("assignee".to_owned(), FieldInput::Text(assignee)),
            ("by".to_owned(), FieldInput::Text(self.user.clone())),
        ];
        if let Some(time) = time {
            fields.push(("time".to_owned(), FieldInput::Text(time)));
        }
        let mut ops = vec![self.create_op(id, RecordKind::FollowUp, Some(subject))];
        ops.extend(self.field_ops(id, RecordKind::FollowUp, &fields)?);
        Ok(ops)
    }

    /// Makes many follow-ups at once, in batches (for demo data and
    /// imports): the same checks as [`Session::add_followup`].
    pub fn add_followups(&mut self, items: &[(RecordId, FollowUpInput)]) -> Result<Vec<RecordId>> {
        self.require(Action::AddInteraction)?;
        let mut ids = Vec::with_capacity(items.len());
        for chunk in items.chunks(2000) {
            let mut ops = Vec::new();
            for (subject, input) in chunk {
                let made = self.followup_ops(*subject, input)?;
                ids.push(made[0].record);
                ops.extend(made);
            }
            self.store.apply(&ops, &[])?;
        }
        self.persist_clock()?;
        Ok(ids)
    }

    /// Today by the vault's clock: the day "due today" means, and what
    /// [`followups::parse_day`] counts from.
    pub fn today_date(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Follow-ups as the filter asks: by day, open ones first.
    pub fn followups(&self, filter: &FollowUpFilter) -> Result<Vec<FollowUp>> {
        self.require(Action::ReadContacts)?;
        let today = day(self.now().date_naive());
        let rows = self.store.followups(FollowUpQuery {
            until: filter.due_only.then_some(today.as_str()),
            assignee: filter.assignee.as_deref(),
            include_done: filter.include_done && !filter.due_only,
            subject: filter.subject,
            ..FollowUpQuery::default()
        })?;
        self.views(rows)
    }

    /// The follow-ups of one person or company, done ones too.
    pub fn followups_of(&self, subject: RecordId) -> Result<Vec<FollowUp>> {
        self.followups(&FollowUpFilter {
            include_done: true,
            subject: Some(subject),
            ..FollowUpFilter::default()
        })
    }

    /// How many open follow-ups are due today or overdue: this user's, or
    /// everyone's.
    pub fn followups_due_count(&self, mine: bool) -> Result<u64> {
        self.require(Action::ReadContacts)?;
        let today = day(self.now().date_naive());
        self.store
            .followups_due_count(&today, mine.then_some(self.user.as_str()))
    }

    /// Marks a follow-up done (now).
    pub fn complete_followup(&mut self, id: RecordId) -> Result<FollowUp> {
        let current = self.followup_to_change(id)?;
        if current.done_at.is_some() {
            return Err(Error::invalid("followup", "is done already"));
        }
        let now = self.now().to_rfc3339();
        self.change_followup(id, &[("done_at", FieldInput::Text(now))])
    }

    /// Opens a done follow-up again (the undo of [`Session::complete_followup`]).
    pub fn reopen_followup(&mut self, id: RecordId) -> Result<FollowUp> {
        let current = self.followup_to_change(id)?;
        self.refuse_if_restricted_subject(&current)?;
        if current.done_at.is_none() {
            return Err(Error::invalid("followup", "is open"));
        }
        self.change_followup(id, &[("done_at", FieldInput::Clear)])
    }

    /// Puts an open follow-up off to another day (and time, or none).
    /// `until` as typed (see [`followups::parse_day`]).
    pub fn snooze_followup(
        &mut self,
        id: RecordId,
        until: &str,
        time: Option<&str>,
    ) -> Result<FollowUp> {
        let until = followups::parse_day(until, self.today_date())?;
        let current = self.followup_to_change(id)?;
        self.refuse_if_restricted_subject(&current)?;
        if current.done_at.is_some() {
            return Err(Error::invalid("followup", "is done: reopen it first"));
        }
        let time = match time.map(str::trim) {
            None | Some("") => FieldInput::Clear,
            Some(t) => FieldInput::Text(followups::parse_time(t)?),
        };
        self.change_followup(id, &[("due", FieldInput::Text(day(until))), ("time", time)])
    }

    fn followup_to_change(&self, id: RecordId) -> Result<FollowUpRow> {
        self.require(Action::AddInteraction)?;
        self.followup_row(id)
    }

    /// A restricted person's follow-ups are only marked done: nothing
    /// more is to be done about them while the restriction lasts.
    fn refuse_if_restricted_subject(&self, f: &FollowUpRow) -> Result<()> {
        if f.subject_kind == RecordKind::Person {
            self.refuse_if_restricted(f.subject)?;
        }
        Ok(())
    }

    fn followup_row(&self, id: RecordId) -> Result<FollowUpRow> {
        self.store
            .followups(FollowUpQuery {
                include_done: true,
                id: Some(id),
                ..FollowUpQuery::default()
            })?
            .pop()
            .ok_or_else(|| Error::NotFound {
                what: "follow-up",
                id: id.to_string(),
            })
    }

    fn change_followup(
        &mut self,
        id: RecordId,
        changes: &[(&str, FieldInput)],
    ) -> Result<FollowUp> {
        let fields: Vec<(String, FieldInput)> = changes
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.clone()))
            .collect();
        let ops = self.field_ops(id, RecordKind::FollowUp, &fields)?;
        self.store.apply(&ops, &[])?;
        self.persist_clock()?;
        let row = self.followup_row(id)?;
        self.views(vec![row])?
            .pop()
            .ok_or_else(|| Error::invalid("due", "is not a date"))
    }

    /// The name of a user of the vault, as the keyring spells it.
    fn team_member(&self, name: &str) -> Result<String> {
        self.users()?
            .into_iter()
            .map(|u| u.name)
            .find(|u| u.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                Error::invalid("assignee", format!("'{name}' is not a user of this vault"))
            })
    }

    fn views(&self, rows: Vec<FollowUpRow>) -> Result<Vec<FollowUp>> {
        let today = self.now().date_naive();
        let restricted = if rows.is_empty() {
            Vec::new()
        } else {
            self.restricted_people()?
        };
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let due = NaiveDate::parse_from_str(&r.due, "%Y-%m-%d").ok()?;
                let done_at = r
                    .done_at
                    .as_deref()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&chrono::Utc));
                Some(FollowUp {
                    id: r.id,
                    subject: r.subject,
                    subject_kind: r.subject_kind,
                    display: r.display,
                    what: r.what,
                    due,
                    time: r.time,
                    assignee: r.assignee,
                    by: r.by,
                    state: FollowUpState::on(due, done_at.is_some(), today),
                    done_at,
                    restricted: restricted.contains(&r.subject),
                })
            })
            .collect())
    }
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}
