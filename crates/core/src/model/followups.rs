//! Follow-ups (Wiedervorlage): something to do about a person or a
//! company by a day, for one user of the team, open until it is done.
//!
//! A follow-up is dated by the day (and, if given, a time of that day), so
//! "due today" and "overdue" are questions of the calendar, not of the
//! hour: one due at 9:00 is still due today at 15:00, and overdue from the
//! next day on. Done follow-ups are part of the communication record and
//! go with its retention rule (see `store/due.rs`).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::categories::RecordKind;

/// The longest "what" a follow-up takes.
pub const MAX_WHAT: usize = 500;

/// A new follow-up, or the fields a snooze changes.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FollowUpInput {
    /// What to do ("Angebot nachfassen").
    pub what: String,
    /// The day it is due, as typed (see [`parse_day`]): `YYYY-MM-DD`,
    /// `DD.MM.YYYY`, `today`, `tomorrow` or `+N` days.
    pub due: String,
    /// The time of that day (`HH:MM`), if it has one.
    pub time: Option<String>,
    /// The user it is for; the one who makes it when none.
    pub assignee: Option<String>,
}

/// Where a follow-up stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FollowUpState {
    /// Open, its day not yet come.
    Upcoming,
    /// Open and due today.
    DueToday,
    /// Open and its day has passed.
    Overdue,
    /// Done.
    Done,
}

impl FollowUpState {
    /// The state of a follow-up due on `due` on the day `today`.
    pub fn on(due: NaiveDate, done: bool, today: NaiveDate) -> Self {
        if done {
            FollowUpState::Done
        } else if due < today {
            FollowUpState::Overdue
        } else if due == today {
            FollowUpState::DueToday
        } else {
            FollowUpState::Upcoming
        }
    }

    /// Open and due today or earlier.
    pub fn is_due(self) -> bool {
        matches!(self, FollowUpState::DueToday | FollowUpState::Overdue)
    }
}

/// A follow-up as both front doors show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FollowUp {
    /// The follow-up's id.
    pub id: Uuid,
    /// The person or company it is about.
    pub subject: Uuid,
    /// Whether that is a person or a company.
    pub subject_kind: RecordKind,
    /// Their name as the directory shows it.
    pub display: String,
    /// What to do.
    pub what: String,
    /// The day it is due.
    pub due: NaiveDate,
    /// The time of that day, `HH:MM`, if it has one.
    pub time: Option<String>,
    /// The user it is for.
    pub assignee: String,
    /// Who made it.
    pub by: String,
    /// When it was done.
    pub done_at: Option<DateTime<Utc>>,
    /// Where it stands today (by the vault's clock).
    pub state: FollowUpState,
    /// Its person's processing is restricted (Art. 18): listed, marked,
    /// and only to be marked done.
    pub restricted: bool,
}

/// Which follow-ups a list shows.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FollowUpFilter {
    /// Only those due today or overdue.
    #[serde(default)]
    pub due_only: bool,
    /// Only those for this user.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Done ones too.
    #[serde(default)]
    pub include_done: bool,
    /// Only those about this person or company.
    #[serde(default)]
    pub subject: Option<Uuid>,
}

/// Checks a follow-up's text and time; returns them trimmed (the time as
/// `HH:MM`).
pub fn validate(input: &FollowUpInput) -> Result<(String, Option<String>)> {
    let what = input.what.trim().to_owned();
    if what.is_empty() {
        return Err(Error::invalid(
            "what",
            "a follow-up needs to say what to do",
        ));
    }
    if what.chars().count() > MAX_WHAT {
        return Err(Error::invalid(
            "what",
            format!("is longer than {MAX_WHAT} characters"),
        ));
    }
    if what.chars().any(char::is_control) {
        return Err(Error::invalid("what", "contains control characters"));
    }
    let time = match input.time.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(parse_time(t)?),
    };
    Ok((what, time))
}

/// A day as typed: `YYYY-MM-DD`, `DD.MM.YYYY`, `today`/`heute`,
/// `tomorrow`/`morgen`, or `+N` days from `today`.
pub fn parse_day(text: &str, today: NaiveDate) -> Result<NaiveDate> {
    let t = text.trim().to_lowercase();
    let parsed = match t.as_str() {
        "today" | "heute" => Some(today),
        "tomorrow" | "morgen" => today.succ_opt(),
        _ => match t.strip_prefix('+') {
            Some(n) => n
                .parse::<u16>()
                .ok()
                .and_then(|n| today.checked_add_days(chrono::Days::new(u64::from(n)))),
            None => NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                .or_else(|_| NaiveDate::parse_from_str(&t, "%d.%m.%Y"))
                .ok(),
        },
    };
    parsed.ok_or_else(|| {
        Error::invalid(
            "due",
            format!("'{text}' is not a day (YYYY-MM-DD, DD.MM.YYYY, today, tomorrow or +N)"),
        )
    })
}

/// A time of day as `HH:MM` (also `H:MM` and `HH.MM`, as typed in German).
pub fn parse_time(text: &str) -> Result<String> {
    let t = text.trim().replace('.', ":");
    NaiveTime::parse_from_str(&t, "%H:%M")
        .map(|t| t.format("%H:%M").to_string())
        .map_err(|_| Error::invalid("time", format!("'{text}' is not a time of day (HH:MM)")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("ok")
    }

    #[test]
    fn the_state_follows_the_calendar_day() {
        let today = day("2026-12-03");
        assert_eq!(
            FollowUpState::on(day("2026-12-02"), false, today),
            FollowUpState::Overdue
        );
        assert_eq!(
            FollowUpState::on(today, false, today),
            FollowUpState::DueToday
        );
        assert_eq!(
            FollowUpState::on(day("2026-12-04"), false, today),
            FollowUpState::Upcoming
        );
        assert_eq!(
            FollowUpState::on(day("2026-12-01"), true, today),
            FollowUpState::Done
        );
        assert!(FollowUpState::Overdue.is_due() && FollowUpState::DueToday.is_due());
        assert!(!FollowUpState::Upcoming.is_due() && !FollowUpState::Done.is_due());
    }

    #[test]
    fn days_are_read_as_typed() {
        let today = day("2026-12-31");
        assert_eq!(
            parse_day("2027-01-05", today).expect("ok"),
            day("2027-01-05")
        );
        assert_eq!(
            parse_day("05.01.2027", today).expect("ok"),
            day("2027-01-05")
        );
        assert_eq!(parse_day(" Heute ", today).expect("ok"), today);
        assert_eq!(parse_day("tomorrow", today).expect("ok"), day("2027-01-01"));
        assert_eq!(parse_day("+7", today).expect("ok"), day("2027-01-07"));
        for bad in ["", "31.02.2027", "next week", "+x", "-1"] {
            assert_eq!(
                parse_day(bad, today).expect_err("refused").field(),
                Some("due"),
                "{bad}"
            );
        }
    }

    #[test]
    fn text_and_time_are_checked() {
        let input = |what: &str, time: Option<&str>| FollowUpInput {
            what: what.into(),
            due: "2026-12-03".into(),
            time: time.map(Into::into),
            assignee: None,
        };
        assert_eq!(
            validate(&input("  Angebot nachfassen ", Some("9.30"))).expect("ok"),
            ("Angebot nachfassen".to_owned(), Some("09:30".to_owned()))
        );
        assert_eq!(validate(&input("x", Some(" "))).expect("ok").1, None);
        assert_eq!(
            validate(&input("   ", None)).expect_err("refused").field(),
            Some("what")
        );
        assert_eq!(
            validate(&input("x", Some("25:00")))
                .expect_err("refused")
                .field(),
            Some("time")
        );
        assert!(validate(&input("a\u{7}b", None)).is_err());
        assert!(validate(&input(&"x".repeat(MAX_WHAT + 1), None)).is_err());
    }
}
