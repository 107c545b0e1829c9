//! The `due` table: when each record falls due under the retention rules.
//!
//! Derived from records and rules, refreshed per person (and per request)
//! whenever a change touches them, and rebuilt entirely when a rule
//! changes. Everything it reads is open (not compartmented), so it needs no
//! key and stays current for changes from any source.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use uuid::Uuid;

use super::handle::Store;
use super::rows::value_from_sql;
use crate::error::Result;
use crate::model::consent::ConsentState;
use crate::model::due::{ConsentFacts, InteractionFacts, PersonFacts, period_start};
use crate::model::requests::RequestStatus;
use crate::model::retention::{
    Hold, PendingErasure, RetentionRule, RuleKey, default_rules, start_of_day,
};
use crate::ops::{Hlc, OpValue};

/// The rule name of a person kept after an erasure for records the law
/// requires; due when the last of them may go.
pub const ERASURE_RULE: &str = "erasure";

/// One row of the due table.
#[derive(Debug, Clone)]
pub struct DueRow {
    /// The record that falls due.
    pub record: Uuid,
    /// The rule name.
    pub rule: String,
    /// The person it belongs to.
    pub subject: Option<Uuid>,
    /// When.
    pub due: DateTime<Utc>,
    /// Under a legal hold.
    pub held: bool,
}

/// The rules in force: the stored ones over the defaults.
pub(crate) fn load_rules(conn: &rusqlite::Connection) -> Result<Vec<RetentionRule>> {
    let mut rules = default_rules();
    let mut stmt = conn.prepare_cached(
        "SELECT f.value, f.compartment FROM records r
         JOIN fields f ON f.record = r.id AND f.field = 'rule'
         WHERE r.kind = 'retention_rule'",
    )?;
    let stored = stmt
        .query_map([], |r| Ok(value_from_sql(r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for v in stored {
        if let OpValue::Open(json) = v
            && let Ok(rule) = serde_json::from_str::<RetentionRule>(&json)
            && let Some(slot) = rules.iter_mut().find(|r| r.key == rule.key)
        {
            *slot = rule;
        }
    }
    Ok(rules)
}

fn rule_of(rules: &[RetentionRule], key: RuleKey) -> Option<&RetentionRule> {
    rules.iter().find(|r| r.key == key)
}

fn json_str(v: &OpValue) -> Option<String> {
    match v {
        OpValue::Open(json) => serde_json::from_str::<String>(json).ok(),
        _ => None,
    }
}

/// A person's facts as the store reads them, with the records of their
/// interactions (in the order of `facts.interactions`) and whether a legal
/// hold is on them.
struct PersonRead {
    facts: PersonFacts,
    interaction_ids: Vec<String>,
    /// Done follow-ups and when they were done: part of the
    /// communication record, they go with its rule.
    done_followups: Vec<(String, DateTime<Utc>)>,
    held: bool,
}

/// Reads what dates a person's retention; none for a person that is not
/// there (or was anonymised).
fn read_person(tx: &Connection, pid: &str) -> Result<Option<PersonRead>> {
    let created: Option<i64> = tx
        .prepare_cached(
            "SELECT created_hlc FROM records WHERE id = ?1 AND kind = 'person'
             AND NOT EXISTS (SELECT 1 FROM erased WHERE erased.id = ?1)",
        )?
        .query_row([pid], |r| r.get(0))
        .optional()?;
    let Some(created) = created else {
        return Ok(None);
    };
    let recorded_contact = tx
        .prepare_cached(
            "SELECT value, compartment FROM fields WHERE record = ?1 AND field = 'last_contact'",
        )?
        .query_row([pid], |r| Ok(value_from_sql(r.get(0)?, r.get(1)?)))
        .optional()?
        .and_then(|v| json_str(&v))
        .and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
        .and_then(start_of_day);

    let mut interactions: BTreeMap<String, InteractionFacts> = BTreeMap::new();
    let mut consents = Vec::new();
    let mut hold: Option<Hold> = None;
    let mut pending: Option<PendingErasure> = None;
    let mut done_followups = Vec::new();
    let mut stmt = tx.prepare_cached(
        "SELECT r.id, r.kind, f.field, f.value, f.compartment FROM records r
         JOIN fields f ON f.record = r.id
         WHERE r.subject = ?1
           AND r.kind IN ('interaction', 'consent', 'hold', 'pending_erasure', 'follow_up')
           AND f.field IN ('at', 'keep', 'entry', 'hold', 'pending', 'done_at')
           AND NOT EXISTS (SELECT 1 FROM erased e WHERE e.id = r.id)
         ORDER BY r.created_hlc",
    )?;
    let mut rows = stmt.query([pid])?;
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let kind: String = row.get(1)?;
        let field: String = row.get(2)?;
        let value = value_from_sql(row.get(3)?, row.get(4)?);
        let blank = || InteractionFacts {
            at: None,
            keep: None,
        };
        match (kind.as_str(), field.as_str()) {
            ("interaction", "at") => {
                interactions.entry(id).or_insert_with(blank).at = json_str(&value)
                    .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                    .map(|t| t.with_timezone(&Utc));
            }
            ("interaction", "keep") => {
                interactions.entry(id).or_insert_with(blank).keep = json_str(&value);
            }
            ("consent", "entry") => {
                if let OpValue::Open(json) = &value {
                    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
                    let at = v["at"]
                        .as_str()
                        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                        .map(|t| t.with_timezone(&Utc));
                    if let Some(at) = at {
                        consents.push(ConsentFacts {
                            purpose: v["purpose"].as_str().unwrap_or_default().to_owned(),
                            channel: v["channel"].as_str().unwrap_or_default().to_owned(),
                            at,
                            state: ConsentState::deserialize(&v["state"]).ok(),
                        });
                    }
                }
            }
            ("follow_up", "done_at") => {
                if let Some(at) = json_str(&value)
                    .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                    .map(|t| t.with_timezone(&Utc))
                {
                    done_followups.push((id, at));
                }
            }
            ("hold", "hold") => {
                if let OpValue::Open(json) = &value {
                    hold = serde_json::from_str(json).ok();
                }
            }
            ("pending_erasure", "pending") => {
                if let OpValue::Open(json) = &value {
                    pending = serde_json::from_str(json).ok();
                }
            }
            _ => {}
        }
    }
    let (interaction_ids, interactions) = interactions.into_iter().unzip();
    Ok(Some(PersonRead {
        facts: PersonFacts {
            created: Hlc::from_sql(created).to_datetime(),
            recorded_contact,
            interactions,
            consents,
            pending,
        },
        interaction_ids,
        done_followups,
        held: hold.is_some_and(|h| h.active),
    }))
}

/// Recomputes the due rows of one person: each interaction's under its
/// rule, and the person's own under the rules that date them as a whole
/// ([`period_start`]) or, once kept after an erasure, under that.
pub(crate) fn refresh_person(tx: &Connection, rules: &[RetentionRule], person: Uuid) -> Result<()> {
    let pid = person.to_string();
    tx.prepare_cached("DELETE FROM due WHERE subject = ?1")?
        .execute([&pid])?;
    let Some(PersonRead {
        facts,
        interaction_ids,
        done_followups,
        held,
    }) = read_person(tx, &pid)?
    else {
        return Ok(());
    };
    let held = i64::from(held);
    let mut insert = tx.prepare_cached(
        "INSERT INTO due(record, rule, subject, due, held) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(record, rule) DO UPDATE SET due = excluded.due, held = excluded.held",
    )?;
    for (id, i) in interaction_ids.iter().zip(&facts.interactions) {
        let Some(at) = i.at else { continue };
        let key = i.rule();
        if let Some(rule) = rule_of(rules, key) {
            insert.execute(params![
                id,
                key.as_str(),
                pid,
                rule.due(at).timestamp_millis(),
                held
            ])?;
        }
    }
    if let Some(rule) = rule_of(rules, RuleKey::Communication) {
        for (id, done) in &done_followups {
            insert.execute(params![
                id,
                RuleKey::Communication.as_str(),
                pid,
                rule.due(*done).timestamp_millis(),
                held
            ])?;
        }
    }
    if let Some(p) = &facts.pending {
        insert.execute(params![
            pid,
            ERASURE_RULE,
            pid,
            p.due().timestamp_millis(),
            held
        ])?;
    }
    for key in [RuleKey::People, RuleKey::Consent] {
        if let Some(rule) = rule_of(rules, key)
            && let Some(start) = period_start(rule, &facts)
        {
            insert.execute(params![
                pid,
                key.as_str(),
                pid,
                rule.due(start).timestamp_millis(),
                held
            ])?;
        }
    }
    Ok(())
}

/// Recomputes the due row of one request: closed requests fall due.
pub(crate) fn refresh_request(
    tx: &Connection,
    rules: &[RetentionRule],
    request: Uuid,
) -> Result<()> {
    let rid = request.to_string();
    tx.prepare_cached("DELETE FROM due WHERE record = ?1")?
        .execute([&rid])?;
    let anonymised = tx
        .prepare_cached("SELECT 1 FROM erased WHERE id = ?1")?
        .query_row([&rid], |_| Ok(()))
        .optional()?
        .is_some();
    if anonymised {
        return Ok(());
    }
    let value = tx
        .prepare_cached(
            "SELECT value, compartment FROM fields WHERE record = ?1 AND field = 'request'",
        )?
        .query_row([&rid], |r| Ok(value_from_sql(r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some(OpValue::Open(json)) = value else {
        return Ok(());
    };
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    if RequestStatus::deserialize(&v["status"]).ok() != Some(RequestStatus::Closed) {
        return Ok(());
    }
    let received = v["received"]
        .as_str()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .and_then(start_of_day);
    if let (Some(received), Some(rule)) = (received, rule_of(rules, RuleKey::Requests)) {
        tx.prepare_cached(
            "INSERT INTO due(record, rule, subject, due, held) VALUES (?1, ?2, NULL, ?3, 0)
             ON CONFLICT(record, rule) DO UPDATE SET due = excluded.due",
        )?
        .execute(params![
            rid,
            RuleKey::Requests.as_str(),
            rule.due(received).timestamp_millis()
        ])?;
    }
    Ok(())
}

/// Recomputes the due row of a follow-up on a company: once done, it
/// falls due under the communication rule, as a person's does (those are
/// dated with their person, [`refresh_person`]).
pub(crate) fn refresh_company_followup(
    tx: &Connection,
    rules: &[RetentionRule],
    followup: Uuid,
) -> Result<()> {
    let fid = followup.to_string();
    tx.prepare_cached("DELETE FROM due WHERE record = ?1")?
        .execute([&fid])?;
    let row: Option<(String, OpValue)> = tx
        .prepare_cached(
            "SELECT r.subject, f.value, f.compartment FROM records r
             JOIN records s ON s.id = r.subject AND s.kind = 'company'
             JOIN fields f ON f.record = r.id AND f.field = 'done_at'
             WHERE r.id = ?1 AND r.kind = 'follow_up'",
        )?
        .query_row([&fid], |r| {
            Ok((r.get(0)?, value_from_sql(r.get(1)?, r.get(2)?)))
        })
        .optional()?;
    let Some((subject, value)) = row else {
        return Ok(());
    };
    let done = json_str(&value)
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc));
    if let (Some(done), Some(rule)) = (done, rule_of(rules, RuleKey::Communication)) {
        tx.prepare_cached(
            "INSERT INTO due(record, rule, subject, due, held) VALUES (?1, ?2, ?3, ?4, 0)
             ON CONFLICT(record, rule) DO UPDATE SET due = excluded.due",
        )?
        .execute(params![
            fid,
            RuleKey::Communication.as_str(),
            subject,
            rule.due(done).timestamp_millis()
        ])?;
    }
    Ok(())
}

/// Rebuilds the whole table (after a rule changed).
pub(crate) fn rebuild(tx: &Connection, rules: &[RetentionRule]) -> Result<()> {
    tx.execute("DELETE FROM due", [])?;
    let ids: Vec<(String, String)> = tx
        .prepare(
            "SELECT id, kind FROM records WHERE kind IN ('person', 'request')
             UNION ALL
             SELECT r.id, r.kind FROM records r JOIN records s ON s.id = r.subject
             WHERE r.kind = 'follow_up' AND s.kind = 'company'",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, kind) in ids {
        let Ok(id) = Uuid::parse_str(&id) else {
            continue;
        };
        match kind.as_str() {
            "person" => refresh_person(tx, rules, id)?,
            "request" => refresh_request(tx, rules, id)?,
            _ => refresh_company_followup(tx, rules, id)?,
        }
    }
    Ok(())
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<DueRow>> {
    let record: String = r.get(0)?;
    let subject: Option<String> = r.get(2)?;
    let due: i64 = r.get(3)?;
    let held: i64 = r.get(4)?;
    Ok(Uuid::parse_str(&record).ok().map(|record| DueRow {
        record,
        rule: r.get(1).unwrap_or_default(),
        subject: subject.and_then(|s| Uuid::parse_str(&s).ok()),
        due: Utc.timestamp_millis_opt(due).single().unwrap_or_default(),
        held: held != 0,
    }))
}

impl Store {
    /// The retention rules in force.
    pub fn retention_rules(&self) -> &[RetentionRule] {
        &self.rules
    }

    /// Everything due at or before `until`, earliest first.
    pub fn due_until(&self, until: DateTime<Utc>) -> Result<Vec<DueRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT record, rule, subject, due, held FROM due WHERE due <= ?1 ORDER BY due, record",
        )?;
        let rows = stmt
            .query_map([until.timestamp_millis()], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().flatten().collect())
    }

    /// The due rows of one person and their records.
    pub fn due_of(&self, person: Uuid) -> Result<Vec<DueRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT record, rule, subject, due, held FROM due WHERE subject = ?1 ORDER BY due, record",
        )?;
        let rows = stmt
            .query_map([person.to_string()], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().flatten().collect())
    }

    /// Whether anything is due at or before `until` and not held: one probe
    /// of the date index.
    pub fn anything_due(&self, until: DateTime<Utc>) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM due WHERE due <= ?1 AND held = 0 LIMIT 1")?
            .query_row([until.timestamp_millis()], |_| Ok(()))
            .optional()?
            .is_some())
    }
}
