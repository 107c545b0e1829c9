//! Companies as records of their own: what a company page shows, what a
//! deletion does to the people linked to it, and how two companies merge.
//!
//! A sole trader's company names a person ("Malerbetrieb Anna Bauer"), so
//! it is personal data of that person. Tresor makes it a record *about*
//! them: its subject is the person, so its values travel sealed under the
//! person's key, it is in their access package, and it goes with their
//! erasure on every laptop, as everything else about them does.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::model::categories::{self, RecordKind, ValueType};
use crate::model::contacts::{ContactView, FieldInput, InteractionView, RecordId};

/// The most interactions of its people a company page lists.
pub const ACTIVITY_LIMIT: usize = 50;

/// A person linked to a company, as its page lists them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CompanyPerson {
    /// The person.
    pub person: RecordId,
    /// Their name.
    pub display: String,
    /// Their role at the company.
    pub role: Option<String>,
    /// Since when they are linked (when the link was made).
    pub since: Option<DateTime<Utc>>,
    /// Processing of the person is restricted (Art. 18).
    pub restricted: bool,
}

/// An interaction with one of a company's people.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CompanyActivity {
    /// The person it was with.
    pub person: RecordId,
    /// Their name.
    pub display: String,
    /// The interaction.
    pub interaction: InteractionView,
}

/// A company's page.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CompanyView {
    /// The company's fields, as a contact shows them.
    pub contact: ContactView,
    /// The person whose sole trading this is, if it is.
    pub sole_trader: Option<CompanyPerson>,
    /// The people linked to it, by name.
    pub people: Vec<CompanyPerson>,
    /// The latest interactions with its people, newest first (at most
    /// [`ACTIVITY_LIMIT`]).
    pub activity: Vec<CompanyActivity>,
}

/// What deleting a company does, said before it is done.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CompanyDeletion {
    /// The company.
    pub company: RecordId,
    /// Its name.
    pub name: String,
    /// The people linked to it: they stay; only their link goes.
    pub people: Vec<String>,
    /// Its follow-ups, which go with it.
    pub followups: u32,
    /// It is a sole trader's: its data is the person's, and goes.
    pub sole_trader: bool,
}

/// What a merge of two companies did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CompanyMerge {
    /// The company that stays (a new id when it became a sole trader's).
    pub kept: RecordId,
    /// The company merged into it, now gone.
    pub merged: RecordId,
    /// People whose link moved to the kept company.
    pub people: u32,
    /// Follow-ups moved.
    pub followups: u32,
    /// Fields of the kept company filled or extended from the other.
    pub filled: Vec<String>,
}

/// The changes that take what `gone` holds into `keep`: empty text fields
/// are filled, lists (phones, addresses) gain the values they lack; a
/// value `keep` has is never replaced. Field values are the stored JSON.
pub fn merge_fill(
    keep: &[(&'static str, Option<Value>)],
    gone: &[(&'static str, Option<Value>)],
) -> Vec<(String, FieldInput)> {
    let mut out = Vec::new();
    for (name, theirs) in gone {
        let Some(theirs) = theirs else { continue };
        let ours = keep
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_ref());
        let is_list = categories::field(RecordKind::Company, name)
            .is_some_and(|d| matches!(d.value, ValueType::Phones | ValueType::Addresses));
        if is_list {
            let mut values = strings(ours);
            let before = values.len();
            for v in strings(Some(theirs)) {
                if !values.iter().any(|o| same(o, &v)) {
                    values.push(v);
                }
            }
            if values.len() > before {
                out.push(((*name).to_owned(), FieldInput::List(values)));
            }
        } else if ours.is_none_or(|v| strings(Some(v)).is_empty())
            && let Some(text) = strings(Some(theirs)).into_iter().next()
        {
            out.push(((*name).to_owned(), FieldInput::Text(text)));
        }
    }
    out
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Two values that differ only in spacing and case are one.
fn same(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_merge_fills_what_is_empty_and_adds_what_is_missing() {
        let keep = [
            ("name", Some(json!("Muster GmbH"))),
            ("website", None),
            ("phones", Some(json!(["+49 30 1234"]))),
        ];
        let gone = [
            ("name", Some(json!("Muster G.m.b.H."))),
            ("website", Some(json!("muster.de"))),
            ("phones", Some(json!(["+4930 1234", "+49 40 999"]))),
            ("note", Some(json!(""))),
        ];
        let fill = merge_fill(&keep, &gone);
        assert_eq!(
            fill,
            vec![
                ("website".into(), FieldInput::Text("muster.de".into())),
                (
                    "phones".into(),
                    FieldInput::List(vec!["+49 30 1234".into(), "+49 40 999".into()])
                ),
            ],
            "the kept name stays, an empty note fills nothing, a phone differing in spaces is one"
        );
    }

    #[test]
    fn nothing_to_take_makes_no_change() {
        let keep = [("website", Some(json!("a.de")))];
        assert!(merge_fill(&keep, &[("website", Some(json!("b.de")))]).is_empty());
        assert!(merge_fill(&keep, &[("phones", None)]).is_empty());
    }
}
