//! The session side of retention: rules, legal holds, the preview, the
//! sweep and the deletion log.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::categories::{Category, Lang, RecordKind};
use crate::model::contacts::RecordId;
use crate::model::retention::RuleChange;
use crate::model::retention::{
    DeletionLogEntry, DueItem, HeldPerson, Hold, PendingErasure, RetentionAction, RetentionRule,
    RuleKey, SweepReport,
};
use crate::model::roles::Action;
use crate::ops::{Forget, OpValue};
use crate::session::Session;
use crate::session::consent::doc;
use crate::store::due::{DueRow, ERASURE_RULE};

/// What a sweep removed: per rule, its action and the count per kind.
type Tally = BTreeMap<String, (RetentionAction, BTreeMap<&'static str, u32>)>;

/// Person fields that identify someone; anonymising removes them.
const IDENTIFYING: &[Category] = &[
    Category::Identity,
    Category::ContactDetails,
    Category::Communication,
    Category::Notes,
    Category::Special,
];

/// Where the demo vault is marked as such.
const DEMO_META: &str = "demo";

impl Session {
    /// The retention rules in force.
    pub fn retention_rules(&self) -> Result<Vec<RetentionRule>> {
        self.require(Action::ViewRetention)?;
        Ok(self.store.retention_rules().to_vec())
    }

    /// Changes a rule. The change is an op (who, when) and every due date is
    /// computed again.
    pub fn set_retention_rule(
        &mut self,
        key: RuleKey,
        change: &RuleChange,
    ) -> Result<RetentionRule> {
        self.require(Action::ManageRetention)?;
        let mut rule = self
            .store
            .retention_rules()
            .iter()
            .find(|r| r.key == key)
            .cloned()
            .ok_or_else(|| Error::NotFound {
                what: "retention rule",
                id: key.as_str().into(),
            })?;
        if let Some(p) = &change.period {
            rule.period = crate::model::retention::Period::parse(p)?.to_string();
        }
        if let Some(f) = change.from {
            rule.from = f;
        }
        if let Some(a) = change.action {
            rule.action = a;
        }
        if let Some(law) = &change.law {
            let law = law.trim();
            rule.law = (!law.is_empty()).then(|| law.to_owned());
        }
        rule.validate()?;
        rule.reason_de = rule.describe(Lang::De);
        rule.reason_en = rule.describe(Lang::En);
        rule.changed_by = Some(self.user().to_owned());
        rule.changed_at = Some(self.now());
        let id = RetentionRule::record_id(key);
        let mut ops = Vec::new();
        if self.store.record(id)?.is_none() {
            ops.push(self.create_op(id, RecordKind::RetentionRule, None));
        }
        let json = serde_json::to_string(&rule).unwrap_or_default();
        ops.push(self.op(id, RecordKind::RetentionRule, "rule", OpValue::Open(json)));
        self.store.apply(&ops, &[])?;
        self.persist_clock()?;
        Ok(rule)
    }

    /// The person's legal hold, if one is set, for a role that may see
    /// retention (the reason names a lawsuit or an audit).
    pub fn hold_of(&self, person: RecordId) -> Result<Option<Hold>> {
        self.require(Action::ViewRetention)?;
        self.current_hold(person)
    }

    /// The person's legal hold, whoever asks (the rules that a hold stops
    /// check it for every role).
    pub(crate) fn current_hold(&self, person: RecordId) -> Result<Option<Hold>> {
        let mut latest = None;
        for id in self.store.records_of_subject(person, RecordKind::Hold)? {
            if let Some((_, v)) = self
                .store
                .fields(id)?
                .into_iter()
                .find(|(f, _)| f == "hold")
            {
                latest = doc::<Hold>(&v);
            }
        }
        Ok(latest.filter(|h| h.active))
    }

    /// Refuses to delete anything of a person under a legal hold.
    pub(crate) fn refuse_if_held(&self, person: RecordId) -> Result<()> {
        match self.current_hold(person)? {
            Some(h) => Err(Error::invalid(
                "contact",
                format!(
                    "the person is under a legal hold since {} ({}); nothing of them may be deleted until it is lifted",
                    h.at.format("%Y-%m-%d"),
                    h.reason
                ),
            )),
            None => Ok(()),
        }
    }

    fn write_hold(&mut self, person: RecordId, hold: &Hold) -> Result<()> {
        let id = Uuid::now_v7();
        let json = serde_json::to_string(hold).unwrap_or_default();
        let ops = vec![
            self.create_op(id, RecordKind::Hold, Some(person)),
            self.op(id, RecordKind::Hold, "hold", OpValue::Open(json)),
        ];
        self.store.apply(&ops, &[])?;
        self.persist_clock()
    }

    /// Puts a person under a legal hold (litigation, audit): no deletion of
    /// them until it is lifted.
    pub fn add_hold(&mut self, person: RecordId, reason: &str) -> Result<Hold> {
        self.require(Action::ManageRetention)?;
        self.person_exists(person)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 || reason.chars().any(char::is_control)
        {
            return Err(Error::invalid(
                "reason",
                "say why in 1–500 characters (e.g. 'lawsuit 3 O 123/26')",
            ));
        }
        if self.current_hold(person)?.is_some() {
            return Err(Error::invalid(
                "contact",
                "the person is already under a legal hold",
            ));
        }
        let hold = Hold {
            active: true,
            reason: reason.to_owned(),
            at: self.now(),
            by: self.user().to_owned(),
        };
        self.write_hold(person, &hold)?;
        Ok(hold)
    }

    /// Lifts a legal hold.
    pub fn remove_hold(&mut self, person: RecordId) -> Result<()> {
        self.require(Action::ManageRetention)?;
        self.person_exists(person)?;
        let Some(current) = self.current_hold(person)? else {
            return Err(Error::invalid(
                "contact",
                "the person is not under a legal hold",
            ));
        };
        let lifted = Hold {
            active: false,
            reason: current.reason,
            at: self.now(),
            by: self.user().to_owned(),
        };
        self.write_hold(person, &lifted)
    }

    /// Everyone under a legal hold.
    pub fn legal_holds(&self) -> Result<Vec<HeldPerson>> {
        self.require(Action::ViewRetention)?;
        let mut latest: BTreeMap<Uuid, Hold> = BTreeMap::new();
        for (_, subject, v) in self.store.records_with_field(RecordKind::Hold, "hold")? {
            if let (Some(p), Some(h)) = (subject, doc::<Hold>(&v)) {
                latest.insert(p, h);
            }
        }
        let mut out = Vec::new();
        for (person, hold) in latest.into_iter().filter(|(_, h)| h.active) {
            out.push(HeldPerson {
                person,
                display: self.store.display_name(person)?.unwrap_or_default(),
                hold,
            });
        }
        Ok(out)
    }

    fn rule(&self, name: &str) -> Option<RetentionRule> {
        let key = RuleKey::parse(name)?;
        self.store
            .retention_rules()
            .iter()
            .find(|r| r.key == key)
            .cloned()
    }

    fn pending_of(&self, person: RecordId) -> Result<Option<PendingErasure>> {
        let mut latest = None;
        for id in self
            .store
            .records_of_subject(person, RecordKind::PendingErasure)?
        {
            if let Some((_, v)) = self
                .store
                .fields(id)?
                .into_iter()
                .find(|(f, _)| f == "pending")
            {
                latest = doc::<PendingErasure>(&v);
            }
        }
        Ok(latest)
    }

    fn describe_due(&self, row: &DueRow, lang: Lang) -> Result<Option<DueItem>> {
        let Some((kind, _)) = self.store.record(row.record)? else {
            return Ok(None);
        };
        let display = match (kind, row.subject) {
            (RecordKind::Request, _) => self
                .requests_unchecked()?
                .into_iter()
                .find(|r| r.id == row.record)
                .map(|r| r.reference)
                .unwrap_or_default(),
            (_, Some(p)) => self.store.display_name(p)?.unwrap_or_default(),
            _ => String::new(),
        };
        let (action, reason) = if row.rule == ERASURE_RULE {
            let reference = self
                .pending_of(row.record)?
                .map(|p| p.reference)
                .unwrap_or_default();
            (
                RetentionAction::Delete,
                match lang {
                    Lang::De => format!(
                        "Löschung nach {reference}: bisher nur wegen gesetzlich aufzubewahrender Unterlagen behalten."
                    ),
                    Lang::En => format!(
                        "Erasure after {reference}: kept so far only for records the law requires."
                    ),
                },
            )
        } else {
            let Some(rule) = self.rule(&row.rule) else {
                return Ok(None);
            };
            let mut reason = rule.reason(lang).to_owned();
            if let Some(law) = &rule.law {
                reason.push_str(&format!(" ({law})"));
            }
            (rule.action, reason)
        };
        Ok(Some(DueItem {
            record: row.record,
            kind,
            person: row.subject,
            display,
            rule: row.rule.clone(),
            due: row.due.date_naive(),
            action,
            reason,
            held: row.held,
            overdue: row.due <= self.now(),
        }))
    }

    /// What falls due up to the end of `as_of`, and why, earliest first.
    pub fn retention_preview(&self, as_of: NaiveDate, lang: Lang) -> Result<Vec<DueItem>> {
        self.require(Action::ViewRetention)?;
        let until = as_of
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map_or_else(
                || self.now(),
                |t| Utc.from_utc_datetime(&t) - chrono::Duration::milliseconds(1),
            );
        let mut out = Vec::new();
        for row in self.store.due_until(until)? {
            if let Some(item) = self.describe_due(&row, lang)? {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// Runs the sweep because someone asked for it.
    pub fn run_retention(&mut self) -> Result<SweepReport> {
        self.require(Action::ManageRetention)?;
        let by = self.user().to_owned();
        self.sweep(&by)
    }

    /// Runs the sweep by itself (at unlock, daily): whatever the role, since
    /// the rules are the business's, not the user's. Costs one probe of the
    /// due-date index when nothing is due.
    pub fn sweep_if_due(&mut self) -> Result<Option<SweepReport>> {
        if !self.store.anything_due(self.now())? {
            return Ok(None);
        }
        self.sweep("sweep").map(Some)
    }

    /// The sweep every front door runs right after unlock, whoever signs
    /// in: the rules are enforced whenever the vault is opened. Not in the
    /// demo vault, whose generated data should stay as it is (its preview
    /// shows what a sweep would do).
    pub fn sweep_at_unlock(&mut self) -> Result<Option<SweepReport>> {
        if self.store.meta(DEMO_META)?.is_some() {
            return Ok(None);
        }
        self.sweep_if_due()
    }

    /// The daily sweep of a vault left open: runs when the last sweep is
    /// more than 24 hours ago, or there was none.
    pub fn daily_sweep(&mut self) -> Result<Option<SweepReport>> {
        let stale = self
            .last_sweep()?
            .is_none_or(|t| self.now() - t > chrono::Duration::hours(24));
        if stale {
            self.sweep_at_unlock()
        } else {
            Ok(None)
        }
    }

    /// What falls due within the next `days` days (at most ten years) from
    /// today, and why.
    pub fn retention_preview_days(&self, days: u32, lang: Lang) -> Result<Vec<DueItem>> {
        self.retention_preview(self.preview_until(days), lang)
    }

    /// The day `days` days (at most ten years) from today.
    pub fn preview_until(&self, days: u32) -> NaiveDate {
        self.now().date_naive() + chrono::Duration::days(i64::from(days.min(3650)))
    }

    pub(crate) fn mark_demo(&self) -> Result<()> {
        self.store.set_meta(DEMO_META, "1")
    }

    fn sweep(&mut self, by: &str) -> Result<SweepReport> {
        let now = self.now();
        // Every removal in one batch: the pages that each removal touches
        // again (the indexes, the journal of removals, the tombstones, the
        // clock) are written once, not once per person, and a sweep that
        // fails removes nothing.
        let (tally, held) = self.in_batch(|s| s.remove_due(now))?;
        self.log_sweep(now, by, tally, held)
    }

    /// Removes (or anonymises) what is due at `now` and not held; returns
    /// the counts per rule and the number of held items.
    fn remove_due(&mut self, now: DateTime<Utc>) -> Result<(Tally, u32)> {
        let mut tally = Tally::new();
        let mut held = 0u32;
        for row in self.store.due_until(now)? {
            if row.held {
                held += 1;
                continue;
            }
            let Some((kind, _)) = self.store.record(row.record)? else {
                continue; // went with its person earlier in this sweep
            };
            if self.store.is_erased(row.record)? {
                continue;
            }
            let action = if row.rule == ERASURE_RULE {
                RetentionAction::Delete
            } else {
                match self.rule(&row.rule) {
                    Some(r) => r.action,
                    None => continue,
                }
            };
            let removed: Vec<(RecordKind, u32)> = match kind {
                RecordKind::Person => self.sweep_person(row.record, &row.rule, action)?,
                RecordKind::Interaction | RecordKind::Request | RecordKind::FollowUp => {
                    if action == RetentionAction::Anonymise {
                        self.anonymise_record(row.record, kind)?;
                    } else {
                        self.forget(Forget::Records {
                            records: vec![row.record],
                        })?;
                    }
                    vec![(kind, 1)]
                }
                _ => continue,
            };
            let entry = tally
                .entry(row.rule.clone())
                .or_insert((action, BTreeMap::new()));
            for (k, n) in removed {
                *entry.1.entry(k.as_str()).or_default() += n;
            }
        }
        Ok((tally, held))
    }

    /// After the removals: clears their traces from the search index and
    /// the WAL, and writes a deletion log entry per rule.
    fn log_sweep(
        &mut self,
        now: DateTime<Utc>,
        by: &str,
        tally: Tally,
        held: u32,
    ) -> Result<SweepReport> {
        let mut entries = Vec::new();
        if !tally.is_empty() {
            self.store.purge()?;
            self.after_removal()?;
            for (rule, (action, counts)) in tally {
                let entry = DeletionLogEntry {
                    at: now,
                    rule,
                    action,
                    counts: counts.into_iter().map(|(k, n)| (k.to_owned(), n)).collect(),
                    by: by.to_owned(),
                };
                let id = Uuid::now_v7();
                let ops = vec![
                    self.create_op(id, RecordKind::DeletionLog, None),
                    self.op(
                        id,
                        RecordKind::DeletionLog,
                        "entry",
                        OpValue::Open(serde_json::to_string(&entry).unwrap_or_default()),
                    ),
                ];
                self.store.apply(&ops, &[])?;
                entries.push(entry);
            }
            self.persist_clock()?;
        }
        self.store.set_meta("last_sweep", &now.to_rfc3339())?;
        Ok(SweepReport {
            at: now,
            entries,
            held,
        })
    }

    fn sweep_person(
        &mut self,
        person: RecordId,
        rule: &str,
        action: RetentionAction,
    ) -> Result<Vec<(RecordKind, u32)>> {
        let reference = match self.pending_of(person)? {
            Some(p) if rule == ERASURE_RULE => p.reference,
            _ => format!("retention:{rule}"),
        };
        if action == RetentionAction::Anonymise
            && self.pending_of(person)?.is_none()
            && let Some(counts) = self.anonymise_person(person, &reference)?
        {
            return Ok(counts);
        }
        Ok(self.erase_subject(person, &reference)?.1)
    }

    /// Removes what identifies a person and keeps the rest (tags, company,
    /// deal, the kinds and dates of interactions) for statistics. Returns
    /// none when records kept by law need the name: then the person is
    /// erased as far as the law allows instead.
    fn anonymise_person(
        &mut self,
        person: RecordId,
        reference: &str,
    ) -> Result<Option<Vec<(RecordKind, u32)>>> {
        let now = self.now();
        if self.store.due_of(person)?.iter().any(|r| {
            RuleKey::parse(&r.rule).is_some_and(|k| k.keep_class().is_some()) && r.due > now
        }) {
            return Ok(None);
        }
        let mut gone = Vec::new();
        for kind in [
            RecordKind::Consent,
            RecordKind::Restriction,
            RecordKind::PackageRelease,
            RecordKind::Rectification,
            RecordKind::Hold,
            // What was to be done about someone no one can name any more.
            RecordKind::FollowUp,
            // A sole trader's company names them.
            RecordKind::Company,
        ] {
            gone.extend(self.store.records_of_subject(person, kind)?);
        }
        gone.extend(self.sole_trader_followups(person)?);
        self.forget(Forget::Records { records: gone })?;
        let identifying: Vec<&str> = crate::model::categories::fields_of(RecordKind::Person)
            .filter(|f| IDENTIFYING.contains(&f.category))
            .map(|f| f.name)
            .collect();
        self.forget(Forget::fields(person, &identifying))?;
        self.forget(Forget::History { record: person })?;
        let interactions = self
            .store
            .records_of_subject(person, RecordKind::Interaction)?;
        for i in &interactions {
            self.forget(Forget::fields(*i, &["summary", "text", "by"]))?;
            self.forget(Forget::History { record: *i })?;
        }
        self.forget(Forget::Anonymised {
            subject: person,
            at_ms: now.timestamp_millis(),
            reference: reference.to_owned(),
        })?;
        Ok(Some(vec![
            (RecordKind::Person, 1),
            (
                RecordKind::Interaction,
                u32::try_from(interactions.len()).unwrap_or(u32::MAX),
            ),
        ]))
    }

    fn anonymise_record(&mut self, id: Uuid, kind: RecordKind) -> Result<()> {
        let now = self.now();
        if kind == RecordKind::Interaction {
            self.forget(Forget::fields(id, &["summary", "text", "by"]))?;
        } else if kind == RecordKind::FollowUp {
            self.forget(Forget::fields(id, &["what", "by", "assignee"]))?;
        } else if let Some(mut r) = self.requests_unchecked()?.into_iter().find(|r| r.id == id) {
            r.person = None;
            r.identity_check = None;
            r.outcome = None;
            r.extension_reason = None;
            self.forget(Forget::fields(id, &["request"]))?;
            self.write_request(&r, false)?;
        }
        self.forget(Forget::History { record: id })?;
        self.forget(Forget::Anonymised {
            subject: id,
            at_ms: now.timestamp_millis(),
            reference: "retention:anonymised".into(),
        })
        .map(|_| ())
    }

    /// The deletion log, newest first: counts per rule and kind, no
    /// personal data.
    pub fn deletion_log(&self) -> Result<Vec<DeletionLogEntry>> {
        self.require(Action::ViewRetention)?;
        let mut out: Vec<DeletionLogEntry> = self
            .store
            .records_with_field(RecordKind::DeletionLog, "entry")?
            .into_iter()
            .filter_map(|(_, _, v)| doc(&v))
            .collect();
        out.reverse();
        Ok(out)
    }

    /// When the sweep last ran.
    pub fn last_sweep(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .store
            .meta("last_sweep")?
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc)))
    }
}
