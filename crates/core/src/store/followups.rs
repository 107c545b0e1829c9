//! The `followups` table: each follow-up record's current fields in one
//! row, refreshed whenever a change touches the record, so the lists of
//! what is due read one index and the directory's names.

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::handle::Store;
use super::rows::{creator_in, fields_in, record_in};
use crate::error::Result;
use crate::model::categories::RecordKind;
use crate::model::followups::{MAX_WHAT, parse_time};
use crate::ops::OpValue;

/// One follow-up as the table holds it.
#[derive(Debug, Clone)]
pub struct FollowUpRow {
    /// The follow-up.
    pub id: Uuid,
    /// The person or company it is about.
    pub subject: Uuid,
    /// What the subject is (a person when the directory does not say).
    pub subject_kind: RecordKind,
    /// The subject's name in the directory.
    pub display: String,
    /// What to do.
    pub what: String,
    /// `YYYY-MM-DD`.
    pub due: String,
    /// `HH:MM`, if it has one.
    pub time: Option<String>,
    /// Whom it is for.
    pub assignee: String,
    /// Who made it.
    pub by: String,
    /// RFC 3339, once done.
    pub done_at: Option<String>,
}

/// Which rows a read returns.
#[derive(Debug, Clone, Copy, Default)]
pub struct FollowUpQuery<'a> {
    /// Due on or before this day (`YYYY-MM-DD`).
    pub until: Option<&'a str>,
    /// Only for this user.
    pub assignee: Option<&'a str>,
    /// Done ones too.
    pub include_done: bool,
    /// Only about this person or company.
    pub subject: Option<Uuid>,
    /// Only this one.
    pub id: Option<Uuid>,
}

/// Rebuilds the row of one follow-up from its record (none once the
/// record, its subject or its day is gone).
pub(super) fn refresh(tx: &Connection, id: Uuid) -> Result<()> {
    let sid = id.to_string();
    tx.prepare_cached("DELETE FROM followups WHERE id = ?1")?
        .execute([&sid])?;
    let Some((RecordKind::FollowUp, Some(subject))) = record_in(tx, id)? else {
        return Ok(());
    };
    // Neither about an anonymised subject nor anonymised itself.
    let erased = tx
        .prepare_cached("SELECT 1 FROM erased WHERE id IN (?1, ?2)")?
        .exists(params![subject.to_string(), sid])?;
    // About a person or a company only (a subject not here yet lets it
    // through: its name shows once it arrives).
    let about = record_in(tx, subject)?.map(|(k, _)| k);
    if erased || about.is_some_and(|k| !matches!(k, RecordKind::Person | RecordKind::Company)) {
        return Ok(());
    }
    let mut what = None;
    let mut due = None;
    let mut time = None;
    let mut assignee = None;
    let mut by = None;
    let mut done_at = None;
    for (field, value) in fields_in(tx, id)? {
        let OpValue::Open(json) = value else { continue };
        let Ok(text) = serde_json::from_str::<String>(&json) else {
            continue;
        };
        match field.as_str() {
            "what" => what = Some(text),
            "due" => due = Some(text),
            "time" => time = Some(text),
            "assignee" => assignee = Some(text),
            "by" => by = Some(text),
            "done_at" => done_at = Some(text),
            _ => {}
        }
    }
    // A day that does not read as one (from a program that did not check
    // it) leaves the follow-up out of every list rather than out of order.
    let (Some(what), Some(due)) = (
        what,
        due.filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok()),
    ) else {
        return Ok(());
    };
    // Who made it is who signed its creation (the author the sync gate
    // checked), not what the field says; none once the field is erased.
    let by = match by {
        Some(field) => creator_in(tx, id)?.unwrap_or(field),
        None => String::new(),
    };
    // What another laptop's program did not check is checked here: a
    // text a list would show wrongly leaves the follow-up out of the
    // lists, a time or a done mark that does not read is no time, or
    // open (so nothing that is to be done disappears).
    if what.chars().count() > MAX_WHAT || what.chars().any(char::is_control) {
        return Ok(());
    }
    let time = time.filter(|t| parse_time(t).is_ok_and(|p| &p == t));
    let done_at = done_at.filter(|d| chrono::DateTime::parse_from_rfc3339(d).is_ok());
    let subject_id = subject.to_string();
    let (display, kind) = tx
        .prepare_cached("SELECT display, kind FROM directory WHERE id = ?1")?
        .query_row([&subject_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .optional()?
        .unwrap_or_else(|| {
            let kind = about.unwrap_or(RecordKind::Person);
            (String::new(), kind.as_str().to_owned())
        });
    tx.prepare_cached(
        "INSERT INTO followups(id, subject, subject_kind, display, what, due, time, assignee, by, done_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        sid,
        subject_id,
        kind,
        display,
        what,
        due,
        time,
        assignee.unwrap_or_else(|| by.clone()),
        by,
        done_at
    ])?;
    Ok(())
}

/// The subject's name changed in the directory: its follow-ups show it.
pub(super) fn rename(
    tx: &Connection,
    subject: &str,
    kind: RecordKind,
    display: &str,
) -> Result<()> {
    tx.prepare_cached("UPDATE followups SET display = ?2, subject_kind = ?3 WHERE subject = ?1")?
        .execute(params![subject, display, kind.as_str()])?;
    Ok(())
}

/// Removes the rows of a deleted record and of everything about it.
pub(super) fn drop_rows(tx: &Connection, id: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM followups WHERE id = ?1 OR subject = ?1")?
        .execute([id])?;
    Ok(())
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<FollowUpRow>> {
    let id: String = r.get(0)?;
    let subject: String = r.get(1)?;
    let kind: Option<String> = r.get(2)?;
    let (Ok(id), Ok(subject)) = (Uuid::parse_str(&id), Uuid::parse_str(&subject)) else {
        return Ok(None);
    };
    Ok(Some(FollowUpRow {
        id,
        subject,
        subject_kind: kind
            .as_deref()
            .and_then(RecordKind::parse)
            .unwrap_or(RecordKind::Person),
        display: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
        what: r.get(4)?,
        due: r.get(5)?,
        time: r.get(6)?,
        assignee: r.get(7)?,
        by: r.get(8)?,
        done_at: r.get(9)?,
    }))
}

impl Store {
    /// Follow-ups as `query` asks, by day and time; open ones first when
    /// done ones are included.
    pub fn followups(&self, query: FollowUpQuery<'_>) -> Result<Vec<FollowUpRow>> {
        // One statement per shape, so that the open ones are read through
        // their partial index and the planner sees no `?1 IS NULL`.
        let mut sql = String::from(
            "SELECT f.id, f.subject, f.subject_kind, f.display, f.what, f.due, f.time, f.assignee, f.by, f.done_at
             FROM followups f WHERE 1",
        );
        let mut args: Vec<String> = Vec::new();
        if !query.include_done {
            sql.push_str(" AND f.done_at IS NULL");
        }
        if let Some(until) = query.until {
            args.push(until.to_owned());
            sql.push_str(&format!(" AND f.due <= ?{}", args.len()));
        }
        if let Some(assignee) = query.assignee {
            args.push(assignee.to_owned());
            sql.push_str(&format!(" AND f.assignee = ?{}", args.len()));
        }
        if let Some(subject) = query.subject {
            args.push(subject.to_string());
            sql.push_str(&format!(" AND f.subject = ?{}", args.len()));
        }
        if let Some(id) = query.id {
            args.push(id.to_string());
            sql.push_str(&format!(" AND f.id = ?{}", args.len()));
        }
        // Open ones come in the order of their index, with no sort.
        sql.push_str(if query.include_done {
            " ORDER BY f.done_at IS NOT NULL, f.due, f.time, f.id"
        } else {
            " ORDER BY f.due, f.time, f.id"
        });
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().flatten().collect())
    }

    /// How many open follow-ups are due on or before `until`, for one user
    /// or for all.
    pub fn followups_due_count(&self, until: &str, assignee: Option<&str>) -> Result<u64> {
        let n: i64 = match assignee {
            Some(a) => self
                .conn
                .prepare_cached(
                    "SELECT count(*) FROM followups
                     WHERE done_at IS NULL AND due <= ?1 AND assignee = ?2",
                )?
                .query_row(params![until, a], |r| r.get(0))?,
            None => self
                .conn
                .prepare_cached(
                    "SELECT count(*) FROM followups WHERE done_at IS NULL AND due <= ?1",
                )?
                .query_row([until], |r| r.get(0))?,
        };
        Ok(u64::try_from(n).unwrap_or_default())
    }
}
