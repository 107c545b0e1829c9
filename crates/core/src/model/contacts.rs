//! People, companies, their links and interactions: input validation and the
//! views handed to front doors.
//!
//! Values are validated against the field catalogue before any op is made,
//! and each error names the field so a UI can show it next to the input.
//! Record text is never interpreted: it is stored and shown as typed.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::categories::{Category, FieldDef, KeepClass, RecordKind, ValueType};
use crate::model::directory::last_contact_day;

/// Newtype for record ids handed out by the API.
pub type RecordId = Uuid;

/// A point in time (UTC).
pub type Timestamp = DateTime<Utc>;

/// Parses a time as typed: RFC 3339, or `YYYY-MM-DDTHH:MM` / `YYYY-MM-DD HH:MM`
/// (as a date-time input gives it), read as UTC.
pub fn parse_time(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .map(|n| n.and_utc())
}

/// A value typed by a person or a script, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldInput {
    /// One value.
    Text(String),
    /// Several values (emails, phones, addresses, tags).
    List(Vec<String>),
    /// Empty the field.
    Clear,
}

/// A change as sent by the UI: a field and its new values. No values
/// clears the field; list fields take all values, others the first.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldChange {
    /// Catalogue name, or "name"/"company" (see [`crate::session::Session::edit`]).
    pub field: String,
    /// New values.
    pub values: Vec<String>,
}

impl FieldChange {
    /// The typed input for a field of a record kind.
    pub fn to_input(&self, kind: RecordKind) -> (String, FieldInput) {
        let is_list = crate::model::categories::field(kind, &self.field).is_some_and(|d| {
            matches!(
                d.value,
                ValueType::Emails | ValueType::Phones | ValueType::Addresses | ValueType::Tags
            )
        });
        let input = match (self.values.as_slice(), is_list) {
            ([], _) => FieldInput::Clear,
            (values, true) => FieldInput::List(values.to_vec()),
            ([first, ..], false) => FieldInput::Text(first.clone()),
        };
        (self.field.clone(), input)
    }
}

/// Input for a new person.
#[derive(Debug, Clone, Default)]
pub struct PersonInput {
    /// Field name → value, using catalogue names.
    pub fields: Vec<(String, FieldInput)>,
    /// Company to link (found by exact name, or created).
    pub company: Option<String>,
    /// The person's role at that company.
    pub company_role: Option<String>,
}

impl PersonInput {
    /// Splits "Given Family" (last word is the family name) into fields.
    pub fn with_name(mut self, full: &str) -> Self {
        let full = full.trim();
        match full.rsplit_once(char::is_whitespace) {
            Some((given, family)) => {
                self.fields
                    .push(("given_name".into(), FieldInput::Text(given.trim().into())));
                self.fields
                    .push(("family_name".into(), FieldInput::Text(family.into())));
            }
            None => self
                .fields
                .push(("family_name".into(), FieldInput::Text(full.into()))),
        }
        self
    }

    /// Adds a field.
    pub fn with(mut self, field: &str, value: FieldInput) -> Self {
        self.fields.push((field.into(), value));
        self
    }
}

/// Input for a new interaction.
#[derive(Debug, Clone, Default)]
pub struct InteractionInput {
    /// call, meeting, email, letter or note.
    pub kind: String,
    /// One-line summary.
    pub summary: String,
    /// Free text (notes compartment).
    pub text: Option<String>,
    /// When it happened; now if absent.
    pub at: Option<DateTime<Utc>>,
    /// A record the law requires to keep.
    pub keep: Option<KeepClass>,
}

/// What a reader sees of a field.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FieldValue {
    /// The value.
    Value {
        /// JSON: a string or a list of strings.
        value: Value,
    },
    /// No value.
    Empty,
    /// The reader's role holds no key for this category.
    Locked {
        /// Why, in words.
        reason: String,
    },
}

/// The last contact a person's record shows: the recorded date (typed,
/// or brought by an import) or the day of the latest interaction,
/// whichever is later. The same "latest contact of any kind" the
/// retention rules count from (`model::due`).
pub fn shown_last_contact(recorded: &FieldValue, interactions: &[InteractionView]) -> FieldValue {
    if matches!(recorded, FieldValue::Locked { .. }) {
        return recorded.clone();
    }
    let kept = recorded
        .as_text()
        .and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok());
    let latest = last_contact_day(
        kept,
        interactions
            .iter()
            .filter_map(|i| DateTime::parse_from_rfc3339(&i.at).ok())
            .map(|t| t.with_timezone(&Utc)),
    );
    match latest {
        Some(l) if Some(l) != kept => date_value(l),
        _ => recorded.clone(),
    }
}

fn date_value(d: NaiveDate) -> FieldValue {
    FieldValue::Value {
        value: Value::String(d.format("%Y-%m-%d").to_string()),
    }
}

impl FieldValue {
    /// The value as the input that would write it again: a text, or the
    /// texts of a list; none for an empty or locked field.
    pub fn to_input(&self) -> Option<FieldInput> {
        match self {
            FieldValue::Value {
                value: Value::String(s),
            } => Some(FieldInput::Text(s.clone())),
            FieldValue::Value {
                value: Value::Array(items),
            } => Some(FieldInput::List(
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            )),
            _ => None,
        }
    }

    /// The value as one line of text, if readable.
    pub fn as_text(&self) -> Option<String> {
        match self {
            FieldValue::Value {
                value: Value::String(s),
            } => Some(s.clone()),
            FieldValue::Value {
                value: Value::Array(items),
            } => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => None,
        }
    }
}

/// A field as shown.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldView {
    /// Catalogue name.
    pub name: &'static str,
    /// English label.
    pub label_en: &'static str,
    /// German label.
    pub label_de: &'static str,
    /// Data category.
    pub category: Category,
    /// Value, empty, or locked.
    pub value: FieldValue,
}

/// A company link as shown on a person.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CompanyLink {
    /// Company id.
    pub company: RecordId,
    /// Company name.
    pub name: String,
    /// The person's role there.
    pub role: Option<String>,
    /// It is this person's sole trading (their data).
    pub sole_trader: bool,
}

/// An interaction as shown.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InteractionView {
    /// Id.
    pub id: RecordId,
    /// Kind.
    pub kind: String,
    /// When.
    pub at: String,
    /// Who recorded it.
    pub by: String,
    /// Summary.
    pub summary: String,
    /// Free text, or locked.
    pub text: FieldValue,
    /// Kept by law as business_letter or invoice.
    pub keep: Option<String>,
}

/// A person or company as shown.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContactView {
    /// Id.
    pub id: RecordId,
    /// Person or company.
    pub kind: RecordKind,
    /// Display name.
    pub display: String,
    /// Every catalogue field of the kind, in catalogue order.
    pub fields: Vec<FieldView>,
    /// Companies a person is linked to.
    pub companies: Vec<CompanyLink>,
    /// Interactions, newest first.
    pub interactions: Vec<InteractionView>,
}

impl ContactView {
    /// A field by name.
    pub fn field(&self, name: &str) -> Option<&FieldView> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// One line of "who changed what, when".
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub author: String,
    /// On which device.
    pub device: String,
    /// Which record.
    pub record: RecordId,
    /// Its kind.
    pub record_kind: RecordKind,
    /// The field; "" for the creation of the record.
    pub field: String,
    /// The new value, empty, or locked.
    pub value: FieldValue,
}

/// Refuses control characters (terminal escapes, NUL, the C0 and C1 sets),
/// except line breaks and tabs where the field is multi-line.
pub(crate) fn no_controls(field: &str, s: &str, allow_newlines: bool) -> Result<()> {
    if s.chars()
        .any(|c| c.is_control() && !(allow_newlines && (c == '\n' || c == '\t' || c == '\r')))
    {
        return Err(Error::invalid(field, "contains control characters"));
    }
    Ok(())
}

fn max_len(field: &str, s: &str, max: usize) -> Result<()> {
    if s.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    Ok(())
}

/// Checks an email address: one `@`, something before it, a dotted domain after.
pub fn validate_email(s: &str) -> Result<()> {
    let ok = s.len() <= 254
        && !s.chars().any(char::is_whitespace)
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "email",
            format!("'{s}' is not an email address (name@example.de)"),
        ))
    }
}

/// Checks a phone number: digits with spaces, `+ - / ( ) .`, at least 3 digits.
pub fn validate_phone(s: &str) -> Result<()> {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let ok = (3..=20).contains(&digits)
        && s.len() <= 40
        && s.chars()
            .all(|c| c.is_ascii_digit() || " +-/().".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "phone",
            format!("'{s}' is not a phone number (+49 30 1234567)"),
        ))
    }
}

fn list_of(input: &FieldInput) -> Vec<String> {
    match input {
        FieldInput::Text(s) => s
            .split([',', ';'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        FieldInput::List(v) => v
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        FieldInput::Clear => Vec::new(),
    }
}

/// Validates and normalises a value for a field; `None` clears it.
pub fn normalise(def: &FieldDef, input: &FieldInput, now: DateTime<Utc>) -> Result<Option<Value>> {
    let field = def.name;
    if matches!(input, FieldInput::Clear) {
        return Ok(None);
    }
    let text = || match input {
        FieldInput::Text(s) => s.trim().to_owned(),
        FieldInput::List(v) => v.join(" ").trim().to_owned(),
        FieldInput::Clear => String::new(),
    };
    let value = match def.value {
        ValueType::Text => {
            let s = text();
            no_controls(field, &s, false)?;
            max_len(field, &s, 500)?;
            (!s.is_empty()).then_some(Value::String(s))
        }
        ValueType::LongText => {
            let s = match input {
                FieldInput::Text(s) => s.clone(),
                _ => text(),
            };
            no_controls(field, &s, true)?;
            max_len(field, &s, 100_000)?;
            (!s.trim().is_empty()).then_some(Value::String(s))
        }
        ValueType::Emails | ValueType::Phones | ValueType::Tags | ValueType::Addresses => {
            let items = match (def.value, input) {
                // An address has commas of its own: one text is one address.
                (ValueType::Addresses, FieldInput::Text(s)) => vec![s.trim().to_owned()],
                _ => list_of(input),
            };
            for item in &items {
                match def.value {
                    ValueType::Emails => validate_email(item)?,
                    ValueType::Phones => validate_phone(item)?,
                    ValueType::Tags => {
                        no_controls(field, item, false)?;
                        max_len(field, item, 50)?;
                    }
                    _ => {
                        no_controls(field, item, true)?;
                        max_len(field, item, 500)?;
                    }
                }
            }
            (!items.is_empty())
                .then(|| Value::Array(items.into_iter().map(Value::String).collect()))
        }
        ValueType::Birthday if text().trim().starts_with("--") => {
            let s = text();
            let day = s.trim().trim_start_matches("--");
            // Any day of any year: 29 February too.
            let d =
                NaiveDate::parse_from_str(&format!("2000-{day}"), "%Y-%m-%d").map_err(|_| {
                    Error::invalid(field, format!("'{s}' is not a day of a month (--MM-DD)"))
                })?;
            Some(Value::String(d.format("--%m-%d").to_string()))
        }
        ValueType::Date | ValueType::Birthday => {
            let s = text();
            let d = NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|_| Error::invalid(field, format!("'{s}' is not a date (YYYY-MM-DD)")))?;
            if d > now.date_naive() {
                return Err(Error::invalid(field, "lies in the future"));
            }
            if d < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default() {
                return Err(Error::invalid(field, "lies before 1900"));
            }
            Some(Value::String(d.format("%Y-%m-%d").to_string()))
        }
        ValueType::Day => {
            let s = text();
            let d = NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|_| Error::invalid(field, format!("'{s}' is not a date (YYYY-MM-DD)")))?;
            Some(Value::String(d.format("%Y-%m-%d").to_string()))
        }
        ValueType::Timestamp => {
            let s = text();
            let t = DateTime::parse_from_rfc3339(&s).map_err(|_| {
                Error::invalid(
                    field,
                    format!("'{s}' is not a time (2026-11-24T10:30:00+01:00)"),
                )
            })?;
            Some(Value::String(t.with_timezone(&Utc).to_rfc3339()))
        }
        ValueType::Language => {
            let s = text().to_ascii_lowercase();
            if s.len() != 2 || !s.chars().all(|c| c.is_ascii_lowercase()) {
                return Err(Error::invalid(
                    field,
                    "use a two-letter language code such as de or en",
                ));
            }
            Some(Value::String(s))
        }
        ValueType::OneOf(allowed) => {
            let s = text().to_ascii_lowercase();
            if !allowed.contains(&s.as_str()) {
                return Err(Error::invalid(
                    field,
                    format!("must be one of: {}", allowed.join(", ")),
                ));
            }
            Some(Value::String(s))
        }
        ValueType::Reference(_) => {
            let s = text();
            Uuid::parse_str(&s).map_err(|_| Error::invalid(field, "is not a record id"))?;
            Some(Value::String(s))
        }
        ValueType::Document => {
            return Err(Error::invalid(
                field,
                "is written by its own command, not edited as a field",
            ));
        }
    };
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock as _;
    use crate::model::categories::field;

    fn logged(at: &str) -> InteractionView {
        InteractionView {
            id: Uuid::nil(),
            kind: "email".into(),
            at: at.into(),
            by: "anna".into(),
            summary: "Angebot".into(),
            text: FieldValue::Empty,
            keep: None,
        }
    }

    fn day(d: &str) -> FieldValue {
        FieldValue::Value {
            value: Value::String(d.into()),
        }
    }

    #[test]
    fn the_last_contact_shown_is_the_later_of_the_recorded_one_and_the_latest_interaction() {
        let mail = [
            logged("2026-03-02T09:30:00+00:00"),
            logged("2025-01-01T08:00:00+00:00"),
        ];
        assert_eq!(
            shown_last_contact(&FieldValue::Empty, &mail)
                .as_text()
                .as_deref(),
            Some("2026-03-02")
        );
        assert_eq!(
            shown_last_contact(&day("2025-06-01"), &mail)
                .as_text()
                .as_deref(),
            Some("2026-03-02")
        );
        assert_eq!(
            shown_last_contact(&day("2026-05-01"), &mail)
                .as_text()
                .as_deref(),
            Some("2026-05-01")
        );
        assert!(matches!(
            shown_last_contact(&FieldValue::Empty, &[]),
            FieldValue::Empty
        ));
        let locked = FieldValue::Locked {
            reason: "no key".into(),
        };
        assert!(matches!(
            shown_last_contact(&locked, &mail),
            FieldValue::Locked { .. }
        ));
    }

    fn norm(kind: RecordKind, name: &str, input: FieldInput) -> Result<Option<Value>> {
        normalise(
            field(kind, name).expect("field"),
            &input,
            crate::clock::SystemClock.now(),
        )
    }

    #[test]
    fn emails_and_phones_are_checked() {
        assert!(
            norm(
                RecordKind::Person,
                "emails",
                FieldInput::Text("anna@example.de, b@x.com".into())
            )
            .is_ok()
        );
        assert!(matches!(
            norm(
                RecordKind::Person,
                "emails",
                FieldInput::Text("anna(at)example".into())
            ),
            Err(Error::Invalid { .. })
        ));
        assert!(
            norm(
                RecordKind::Person,
                "phones",
                FieldInput::List(vec!["+49 (30) 123-456".into()])
            )
            .is_ok()
        );
        assert!(
            norm(
                RecordKind::Person,
                "phones",
                FieldInput::List(vec!["call me".into()])
            )
            .is_err()
        );
    }

    #[test]
    fn dates_must_be_real_and_past() {
        assert!(
            norm(
                RecordKind::Person,
                "birthday",
                FieldInput::Text("1980-02-29".into())
            )
            .is_ok()
        );
        assert!(
            norm(
                RecordKind::Person,
                "birthday",
                FieldInput::Text("1981-02-29".into())
            )
            .is_err()
        );
        assert!(
            norm(
                RecordKind::Person,
                "birthday",
                FieldInput::Text("2999-01-01".into())
            )
            .is_err()
        );
    }

    #[test]
    fn a_birthday_may_be_known_without_its_year() {
        let birthday = |s: &str| norm(RecordKind::Person, "birthday", FieldInput::Text(s.into()));
        assert_eq!(
            birthday("--02-29").expect("a leap day"),
            Some(Value::String("--02-29".into()))
        );
        assert!(birthday("--02-30").is_err());
        assert!(birthday("--1231").is_err(), "stored in one form only");
        assert!(
            norm(
                RecordKind::Person,
                "last_contact",
                FieldInput::Text("--02-29".into())
            )
            .is_err(),
            "only a birthday goes without its year"
        );
    }

    #[test]
    fn hostile_text_is_kept_verbatim() {
        let s = "<img src=x onerror=alert(1)> \u{202e}gnp.exe";
        assert_eq!(
            norm(
                RecordKind::Person,
                "family_name",
                FieldInput::Text(s.into())
            )
            .expect("ok"),
            Some(Value::String(s.into()))
        );
    }

    #[test]
    fn name_splits_at_the_last_word() {
        let p = PersonInput::default().with_name("Anna Maria Müller");
        assert_eq!(p.fields[0].1, FieldInput::Text("Anna Maria".into()));
        assert_eq!(p.fields[1].1, FieldInput::Text("Müller".into()));
    }
}
