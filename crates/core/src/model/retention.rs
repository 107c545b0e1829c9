//! Retention rules, legal holds and the sweep that enforces them offline.
//!
//! - A rule per data category and record kind: a period, the event it runs
//!   from, delete or anonymise, and the law where a law is the reason to
//!   keep. Rules are records, so every change is an op with who and when.
//! - The store keeps a `due` table current as changes are applied (see
//!   `store::due`): one row per record and rule with the date it falls due.
//!   A sweep reads that table through its date index, so it costs what
//!   expires, not what is stored.
//! - Deleting uses the erasure machinery. Records the law requires to be
//!   kept (invoices, business letters: HGB §257, AO §147) outlive the
//!   person's deletion: the person is reduced to the name and address those
//!   records need, restricted, and erased when the last of them may go.
//! - A legal hold (litigation, audit) on a person stops every deletion of
//!   them until it is lifted.
//! - Every sweep writes a deletion log entry per rule: counts by kind, the
//!   rule, the time. No personal data.

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::categories::{Category, Lang, RecordKind};

/// What a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum RuleKey {
    /// People (identity and everything about them).
    People,
    /// Interactions that no law requires to keep.
    Communication,
    /// Business letters sent or received (HGB §257 (1) 2–3).
    BusinessLetters,
    /// Invoices and other booking vouchers (HGB §257 (1) 4).
    Invoices,
    /// People held only because of a consent that was withdrawn.
    Consent,
    /// Data-subject requests and how they were answered.
    Requests,
}

impl RuleKey {
    /// Every rule, in display order.
    pub const ALL: [RuleKey; 6] = [
        RuleKey::People,
        RuleKey::Communication,
        RuleKey::BusinessLetters,
        RuleKey::Invoices,
        RuleKey::Consent,
        RuleKey::Requests,
    ];

    /// Stable name (command line, store).
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKey::People => "people",
            RuleKey::Communication => "communication",
            RuleKey::BusinessLetters => "business-letters",
            RuleKey::Invoices => "invoices",
            RuleKey::Consent => "consent",
            RuleKey::Requests => "requests",
        }
    }

    /// Parses a rule name, or the name of the data category it covers.
    pub fn parse(s: &str) -> Option<RuleKey> {
        let s = s.trim().to_lowercase().replace('_', "-");
        match s.as_str() {
            "identity" | "contact-details" => Some(RuleKey::People),
            "letters" => Some(RuleKey::BusinessLetters),
            _ => RuleKey::ALL.into_iter().find(|k| k.as_str() == s),
        }
    }

    /// The data category it covers.
    pub fn category(self) -> Category {
        match self {
            RuleKey::People => Category::Identity,
            RuleKey::Communication | RuleKey::BusinessLetters | RuleKey::Invoices => {
                Category::Communication
            }
            RuleKey::Consent => Category::Consent,
            RuleKey::Requests => Category::Requests,
        }
    }

    /// The record kind it deletes.
    pub fn kind(self) -> RecordKind {
        match self {
            RuleKey::People | RuleKey::Consent => RecordKind::Person,
            RuleKey::Communication | RuleKey::BusinessLetters | RuleKey::Invoices => {
                RecordKind::Interaction
            }
            RuleKey::Requests => RecordKind::Request,
        }
    }

    /// The events a period of this rule may run from.
    pub fn events(self) -> &'static [RetentionEvent] {
        match self {
            RuleKey::People => &[
                RetentionEvent::LastContact,
                RetentionEvent::RelationshipEnd,
                RetentionEvent::ContractEnd,
                RetentionEvent::Creation,
            ],
            RuleKey::Communication
            | RuleKey::BusinessLetters
            | RuleKey::Invoices
            | RuleKey::Requests => &[RetentionEvent::Creation],
            RuleKey::Consent => &[RetentionEvent::ConsentWithdrawal],
        }
    }

    /// The shortest period a law allows, with the law.
    pub fn statutory_minimum(self) -> Option<(Period, &'static str)> {
        match self {
            RuleKey::BusinessLetters => Some((Period::years(6), "HGB §257 (4), AO §147 (3)")),
            RuleKey::Invoices => Some((Period::years(8), "HGB §257 (4), AO §147 (3)")),
            _ => None,
        }
    }

    /// The interaction class a rule covers (`keep` field), if any.
    pub fn keep_class(self) -> Option<&'static str> {
        match self {
            RuleKey::BusinessLetters => Some("business_letter"),
            RuleKey::Invoices => Some("invoice"),
            _ => None,
        }
    }

    /// The rule for an interaction of a keep class.
    pub fn for_keep_class(class: Option<&str>) -> RuleKey {
        match class {
            Some("business_letter") => RuleKey::BusinessLetters,
            Some("invoice") => RuleKey::Invoices,
            _ => RuleKey::Communication,
        }
    }
}

/// The event a retention period runs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RetentionEvent {
    /// The latest interaction, or the recorded last contact.
    LastContact,
    /// The latest invoice or business letter (else the last contact).
    ContractEnd,
    /// The withdrawal of the last consent.
    ConsentWithdrawal,
    /// When the record was created (an interaction: when it happened).
    Creation,
    /// The end of the business relationship: the last contact of any kind.
    RelationshipEnd,
}

impl RetentionEvent {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            RetentionEvent::LastContact => "last-contact",
            RetentionEvent::ContractEnd => "contract-end",
            RetentionEvent::ConsentWithdrawal => "consent-withdrawal",
            RetentionEvent::Creation => "creation",
            RetentionEvent::RelationshipEnd => "relationship-end",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<RetentionEvent> {
        [
            RetentionEvent::LastContact,
            RetentionEvent::ContractEnd,
            RetentionEvent::ConsentWithdrawal,
            RetentionEvent::Creation,
            RetentionEvent::RelationshipEnd,
        ]
        .into_iter()
        .find(|e| e.as_str() == s.trim())
    }

    /// Label.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            RetentionEvent::LastContact => lang.pick("letzter Kontakt", "last contact"),
            RetentionEvent::ContractEnd => lang.pick("Vertragsende", "end of contract"),
            RetentionEvent::ConsentWithdrawal => {
                lang.pick("Widerruf der Einwilligung", "withdrawal of consent")
            }
            RetentionEvent::Creation => lang.pick("Entstehung", "creation"),
            RetentionEvent::RelationshipEnd => lang.pick(
                "Ende der Geschäftsbeziehung",
                "end of the business relationship",
            ),
        }
    }
}

/// What happens when a record falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RetentionAction {
    /// Erased like an erasure request.
    Delete,
    /// Identifying fields removed; the rest kept for statistics.
    Anonymise,
}

impl RetentionAction {
    /// Parses `delete` or `anonymise` (also `anonymize`).
    pub fn parse(s: &str) -> Option<RetentionAction> {
        match s.trim() {
            "delete" => Some(RetentionAction::Delete),
            "anonymise" | "anonymize" => Some(RetentionAction::Anonymise),
            _ => None,
        }
    }

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            RetentionAction::Delete => "delete",
            RetentionAction::Anonymise => "anonymise",
        }
    }
}

/// A period of years, months and days, written like `2y`, `6m`, `1y6m`, `30d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    /// Years.
    pub years: u32,
    /// Months.
    pub months: u32,
    /// Days.
    pub days: u32,
}

impl Period {
    /// A whole number of years.
    pub const fn years(years: u32) -> Period {
        Period {
            years,
            months: 0,
            days: 0,
        }
    }

    /// Parses `2y`, `6m`, `30d`, `1y6m` (at least one day, at most 100 years).
    pub fn parse(s: &str) -> Result<Period> {
        let bad = || {
            Error::invalid(
                "period",
                format!("'{s}' is not a period: write e.g. 2y, 6m, 30d or 1y6m"),
            )
        };
        let mut p = Period {
            years: 0,
            months: 0,
            days: 0,
        };
        let mut num = String::new();
        let mut seen = String::new();
        for c in s.trim().to_lowercase().chars() {
            if c.is_ascii_digit() {
                num.push(c);
                continue;
            }
            let n: u32 = num.parse().map_err(|_| bad())?;
            num.clear();
            if seen.contains(c) {
                return Err(bad());
            }
            seen.push(c);
            match c {
                'y' | 'j' => p.years = n,
                'm' => p.months = n,
                'd' | 't' => p.days = n,
                _ => return Err(bad()),
            }
        }
        if !num.is_empty() || seen.is_empty() {
            return Err(bad());
        }
        let total_days = u64::from(p.years) * 366 + u64::from(p.months) * 31 + u64::from(p.days);
        if total_days == 0 || total_days > 100 * 366 {
            return Err(Error::invalid(
                "period",
                "use a period between one day and 100 years",
            ));
        }
        Ok(p)
    }

    /// Adds the period to a time (month ends are clamped).
    pub fn after(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let months = self.years * 12 + self.months;
        t.checked_add_months(Months::new(months))
            .unwrap_or(t)
            .checked_add_signed(chrono::Duration::days(i64::from(self.days)))
            .unwrap_or(t)
    }

    /// Words, e.g. "2 Jahre" / "2 years".
    pub fn words(self, lang: Lang) -> String {
        let mut parts = Vec::new();
        let unit = |n: u32, de1: &str, den: &str, en1: &str, enn: &str| {
            let word = match (lang, n == 1) {
                (Lang::De, true) => de1,
                (Lang::De, false) => den,
                (Lang::En, true) => en1,
                (Lang::En, false) => enn,
            };
            format!("{n} {word}")
        };
        if self.years > 0 {
            parts.push(unit(self.years, "Jahr", "Jahre", "year", "years"));
        }
        if self.months > 0 {
            parts.push(unit(self.months, "Monat", "Monate", "month", "months"));
        }
        if self.days > 0 {
            parts.push(unit(self.days, "Tag", "Tage", "day", "days"));
        }
        parts.join(" ")
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.years > 0 {
            write!(f, "{}y", self.years)?;
        }
        if self.months > 0 {
            write!(f, "{}m", self.months)?;
        }
        if self.days > 0 {
            write!(f, "{}d", self.days)?;
        }
        Ok(())
    }
}

/// A retention rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RetentionRule {
    /// What it covers.
    pub key: RuleKey,
    /// The data category.
    pub category: Category,
    /// The record kind it deletes.
    pub kind: RecordKind,
    /// The period, e.g. `2y`.
    pub period: String,
    /// The event the period runs from.
    pub from: RetentionEvent,
    /// Whether the period starts at the end of the event's calendar year
    /// (HGB §257 (5), AO §147 (4), BGB §199).
    pub year_end: bool,
    /// Delete or anonymise.
    pub action: RetentionAction,
    /// The law that requires keeping, if a law is the reason.
    pub law: Option<String>,
    /// One-line reason, German.
    pub reason_de: String,
    /// One-line reason, English.
    pub reason_en: String,
    /// Who changed it last (none for a default).
    pub changed_by: Option<String>,
    /// When it was changed last.
    pub changed_at: Option<DateTime<Utc>>,
}

impl RetentionRule {
    /// The parsed period (a stored rule was validated when it was set).
    pub fn period(&self) -> Period {
        Period::parse(&self.period).unwrap_or(Period::years(100))
    }

    /// The reason in a language.
    pub fn reason(&self, lang: Lang) -> &str {
        match lang {
            Lang::De => &self.reason_de,
            Lang::En => &self.reason_en,
        }
    }

    /// The rule in words, for a rule the business changed (the default
    /// reasons describe the defaults).
    pub fn describe(&self, lang: Lang) -> String {
        let what = match (self.key, lang) {
            (RuleKey::People, Lang::De) => "Personen werden",
            (RuleKey::People, Lang::En) => "People are",
            (RuleKey::Communication, Lang::De) => "Kontakte ohne Aufbewahrungspflicht werden",
            (RuleKey::Communication, Lang::En) => "Contacts no law requires to keep are",
            (RuleKey::BusinessLetters, Lang::De) => "Geschäftsbriefe werden",
            (RuleKey::BusinessLetters, Lang::En) => "Business letters are",
            (RuleKey::Invoices, Lang::De) => "Rechnungen werden",
            (RuleKey::Invoices, Lang::En) => "Invoices are",
            (RuleKey::Consent, Lang::De) => "Nur aufgrund einer Einwilligung Gespeicherte werden",
            (RuleKey::Consent, Lang::En) => "People kept only because of a consent are",
            (RuleKey::Requests, Lang::De) => "Betroffenenanfragen werden",
            (RuleKey::Requests, Lang::En) => "Data-subject requests are",
        };
        let done = match (self.action, lang) {
            (RetentionAction::Delete, Lang::De) => "gelöscht",
            (RetentionAction::Delete, Lang::En) => "deleted",
            (RetentionAction::Anonymise, Lang::De) => "anonymisiert",
            (RetentionAction::Anonymise, Lang::En) => "anonymised",
        };
        let event = self.from.label(lang);
        let period = self.period().words(lang);
        let mut text = match lang {
            Lang::De if self.year_end => {
                format!("{what} {period} nach Ende des Jahres der/des {event} {done}.")
            }
            Lang::De => format!("{what} {period} nach dem Ereignis „{event}“ {done}."),
            Lang::En if self.year_end => {
                format!("{what} {done} {period} after the end of the year of their {event}.")
            }
            Lang::En => format!("{what} {done} {period} after their {event}."),
        };
        if let Some(law) = &self.law {
            text.push_str(&format!(" ({law})"));
        }
        text
    }

    /// When something whose event happened at `event` falls due.
    pub fn due(&self, event: DateTime<Utc>) -> DateTime<Utc> {
        let start = if self.year_end {
            NaiveDate::from_ymd_opt(event.year() + 1, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map_or(event, |d| Utc.from_utc_datetime(&d))
        } else {
            event
        };
        self.period().after(start)
    }

    /// The stable id of the rule's record.
    pub fn record_id(key: RuleKey) -> Uuid {
        Uuid::new_v5(
            &crate::model::consent::NAMESPACE,
            format!("retention-rule:{}", key.as_str()).as_bytes(),
        )
    }

    /// Checks a rule before it is stored.
    pub fn validate(&self) -> Result<()> {
        let period = Period::parse(&self.period)?;
        if !self.key.events().contains(&self.from) {
            let allowed: Vec<_> = self.key.events().iter().map(|e| e.as_str()).collect();
            return Err(Error::invalid(
                "from",
                format!(
                    "the rule '{}' runs from {}",
                    self.key.as_str(),
                    allowed.join(" or ")
                ),
            ));
        }
        if let Some((min, law)) = self.key.statutory_minimum()
            && period < min
        {
            return Err(Error::invalid(
                "period",
                format!(
                    "{law} requires keeping {} for at least {}",
                    self.key.as_str(),
                    min.words(Lang::En)
                ),
            ));
        }
        if let Some(law) = &self.law
            && (law.chars().count() > 200 || law.chars().any(char::is_control))
        {
            return Err(Error::invalid("law", "use at most 200 characters"));
        }
        Ok(())
    }
}

fn rule(
    key: RuleKey,
    period: &str,
    from: RetentionEvent,
    year_end: bool,
    law: Option<&str>,
    de: &str,
    en: &str,
) -> RetentionRule {
    RetentionRule {
        key,
        category: key.category(),
        kind: key.kind(),
        period: period.into(),
        from,
        year_end,
        action: RetentionAction::Delete,
        law: law.map(Into::into),
        reason_de: de.into(),
        reason_en: en.into(),
        changed_by: None,
        changed_at: None,
    }
}

/// The rules a new vault starts with: sensible for a small German business.
pub fn default_rules() -> Vec<RetentionRule> {
    vec![
        rule(
            RuleKey::People,
            "2y",
            RetentionEvent::LastContact,
            false,
            None,
            "Personen ohne Kontakt seit 2 Jahren werden gelöscht; ihre Rechnungen und Geschäftsbriefe bleiben gesperrt bis zum Ende der gesetzlichen Frist.",
            "People with no contact for 2 years are deleted; their invoices and business letters stay, restricted, until their legal period ends.",
        ),
        rule(
            RuleKey::Communication,
            "3y",
            RetentionEvent::Creation,
            true,
            None,
            "Notizen zu Anrufen, Terminen und E-Mails gehen nach 3 Jahren ab Jahresende (regelmäßige Verjährung, §§ 195, 199 BGB).",
            "Records of calls, meetings and emails go 3 years after the end of their year (regular limitation period, BGB §§ 195, 199).",
        ),
        rule(
            RuleKey::BusinessLetters,
            "6y",
            RetentionEvent::Creation,
            true,
            Some("HGB §257 Abs. 1 Nr. 2–3, Abs. 4; AO §147 Abs. 1 Nr. 2–3, Abs. 3"),
            "Geschäftsbriefe sind 6 Jahre ab Ende des Kalenderjahres aufzubewahren und werden danach gelöscht.",
            "Business letters must be kept 6 years from the end of their calendar year and are deleted afterwards.",
        ),
        rule(
            RuleKey::Invoices,
            "8y",
            RetentionEvent::Creation,
            true,
            Some("HGB §257 Abs. 1 Nr. 4, Abs. 4; AO §147 Abs. 1 Nr. 4, Abs. 3"),
            "Rechnungen (Buchungsbelege) sind 8 Jahre ab Ende des Kalenderjahres aufzubewahren und werden danach gelöscht.",
            "Invoices (booking vouchers) must be kept 8 years from the end of their calendar year and are deleted afterwards.",
        ),
        rule(
            RuleKey::Consent,
            "1m",
            RetentionEvent::ConsentWithdrawal,
            false,
            None,
            "Wer nur wegen einer Einwilligung gespeichert ist (kein Kontakt, kein Geschäft), wird einen Monat nach dem Widerruf gelöscht.",
            "People kept only because of a consent (no contact, no business) are deleted one month after they withdraw it.",
        ),
        rule(
            RuleKey::Requests,
            "3y",
            RetentionEvent::Creation,
            true,
            None,
            "Betroffenenanfragen bleiben als Nachweis 3 Jahre ab Jahresende (§§ 195, 199 BGB), dann werden sie gelöscht.",
            "Data-subject requests stay as evidence for 3 years after the end of their year (BGB §§ 195, 199), then they are deleted.",
        ),
    ]
}

/// A legal hold entry; the latest per person counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Hold {
    /// Set (true) or lifted (false).
    pub active: bool,
    /// Why (litigation, tax audit, …).
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: String,
}

/// A held person as listed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HeldPerson {
    /// The person.
    pub person: Uuid,
    /// Display name.
    pub display: String,
    /// The hold.
    pub hold: Hold,
}

/// A record kept after an erasure because a law requires it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KeptRecord {
    /// The record.
    pub record: Uuid,
    /// business_letter or invoice.
    pub class: String,
    /// When it was written.
    pub at: DateTime<Utc>,
    /// The law.
    pub law: String,
    /// Kept until this date, then erased.
    pub until: NaiveDate,
}

/// A person reduced to what kept records need, erased when they may go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingErasure {
    /// The request reference, or `retention:<rule>`.
    pub reference: String,
    /// When the rest was erased.
    pub at: DateTime<Utc>,
    /// What was kept.
    pub kept: Vec<KeptRecord>,
}

impl PendingErasure {
    /// When the person falls due: the day after the last kept record's
    /// period ends, or at once if nothing was kept.
    pub fn due(&self) -> DateTime<Utc> {
        let until = self.kept.iter().map(|k| k.until).max();
        until.and_then(start_of_day).unwrap_or(self.at)
    }
}

/// Midnight UTC at the start of a day.
pub(crate) fn start_of_day(d: NaiveDate) -> Option<DateTime<Utc>> {
    d.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t))
}

/// One item of the preview: what falls due, when, and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DueItem {
    /// The record.
    pub record: Uuid,
    /// Its kind.
    pub kind: RecordKind,
    /// The person it belongs to, if any.
    pub person: Option<Uuid>,
    /// The person's display name (or the request reference).
    pub display: String,
    /// The rule (`erasure` for people kept after an erasure).
    pub rule: String,
    /// When it falls due.
    pub due: NaiveDate,
    /// Delete or anonymise.
    pub action: RetentionAction,
    /// Why, in the preview's language.
    pub reason: String,
    /// Under a legal hold: due, but not deleted.
    pub held: bool,
    /// The due date has passed (by the vault's clock): the sweep has not
    /// run since, or a hold keeps the record.
    pub overdue: bool,
}

/// One line of the deletion log: counts only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeletionLogEntry {
    /// When the sweep ran.
    pub at: DateTime<Utc>,
    /// The rule, or `erasure` for people kept after an erasure.
    pub rule: String,
    /// Delete or anonymise.
    pub action: RetentionAction,
    /// How many records of which kind, e.g. `person` → 3.
    pub counts: Vec<(String, u32)>,
    /// `sweep` when it ran by itself, else the user who started it.
    pub by: String,
}

/// What a sweep did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SweepReport {
    /// When.
    pub at: DateTime<Utc>,
    /// One entry per rule that removed something.
    pub entries: Vec<DeletionLogEntry>,
    /// Due items left alone because of a legal hold.
    pub held: u32,
}

impl SweepReport {
    /// Records removed or anonymised in all.
    pub fn total(&self) -> u32 {
        self.entries
            .iter()
            .flat_map(|e| e.counts.iter().map(|(_, n)| *n))
            .sum()
    }
}

/// A change of a retention rule; unset parts stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RuleChange {
    /// The period, e.g. `2y`.
    pub period: Option<String>,
    /// The event it runs from.
    pub from: Option<RetentionEvent>,
    /// Delete or anonymise.
    pub action: Option<RetentionAction>,
    /// The law; an empty text removes it.
    pub law: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_print() {
        assert_eq!(Period::parse("2y").expect("valid"), Period::years(2));
        let p = Period::parse("1y6m").expect("valid");
        assert_eq!((p.years, p.months, p.days), (1, 6, 0));
        assert_eq!(p.to_string(), "1y6m");
        assert_eq!(Period::parse("30d").expect("valid").days, 30);
        for bad in ["", "2", "y", "2x", "0d", "2y2y", "101y", "-1y"] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Period::parse("6m").expect("valid").words(Lang::De),
            "6 Monate"
        );
    }

    #[test]
    fn year_end_periods_start_with_the_next_year() {
        let mut r = default_rules()
            .into_iter()
            .find(|r| r.key == RuleKey::Invoices)
            .expect("valid");
        let written = Utc
            .with_ymd_and_hms(2018, 5, 3, 10, 0, 0)
            .single()
            .expect("valid");
        assert_eq!(
            r.due(written),
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0)
                .single()
                .expect("valid")
        );
        r.year_end = false;
        assert_eq!(
            r.due(written),
            Utc.with_ymd_and_hms(2026, 5, 3, 10, 0, 0)
                .single()
                .expect("valid")
        );
    }

    #[test]
    fn statutory_minimums_and_events_are_enforced() {
        let mut r = default_rules()
            .into_iter()
            .find(|r| r.key == RuleKey::BusinessLetters)
            .expect("valid");
        assert!(r.validate().is_ok());
        r.period = "5y".into();
        let e = r.validate().expect_err("invalid").to_string();
        assert!(e.contains("HGB §257"), "{e}");
        r.period = "10y".into();
        r.from = RetentionEvent::LastContact;
        assert!(r.validate().is_err());
    }

    #[test]
    fn every_default_rule_is_valid() {
        for r in default_rules() {
            r.validate().expect("valid");
            assert!(!r.reason_de.is_empty() && !r.reason_en.is_empty());
        }
        assert_eq!(RuleKey::parse("identity"), Some(RuleKey::People));
        assert_eq!(
            RuleKey::parse("business_letters"),
            Some(RuleKey::BusinessLetters)
        );
    }
}
