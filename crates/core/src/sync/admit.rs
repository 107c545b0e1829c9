//! What a laptop admits from the others: every change and removal that
//! arrives is checked again here against the role of the user who made it,
//! as the team's admins signed it in this laptop's own keyring, and its
//! author against the user pinned on the sending device's card.
//!
//! A role is enforced by keys only where a compartment is concerned; every
//! other rule (who may erase, change purposes, retention rules, holds, the
//! mail settings, or anything at all as an auditor) would otherwise hold
//! only on the laptop where the change was made, whose owner can patch the
//! program or rewrite its files. What fails is left out of the state and
//! reported; the laptop that sent it is flagged to the admins. This module
//! decides; it never writes.

use std::collections::{BTreeMap, HashMap};

use uuid::Uuid;

use crate::model::categories::{self, RecordKind, ValueType};
use crate::model::consent::{DEFAULT_SOURCES, default_purposes};
use crate::model::roles::{Action, Role, actions_for};
use crate::ops::{CREATE_FIELD, Forget, Op, OpValue};
use crate::session::Session;

/// The facts a laptop checks arrivals against.
pub(super) struct Gate {
    /// Each known device (hex id) and the user its card pins.
    users: HashMap<String, String>,
    /// Each user's role as the admins signed it (and removed users' last).
    roles: BTreeMap<String, Role>,
    /// Whether this laptop has the suppression key already: only its first
    /// creation is admitted from anyone (a second one would make every
    /// suppressed address unrecognised).
    has_suppression_key: bool,
}

/// A change as far as the gate needs to see it.
pub(super) struct Change<'a> {
    pub device: &'a str,
    pub author: &'a str,
    pub kind: RecordKind,
    pub record: Uuid,
    /// The field changed ([`CREATE_FIELD`] for a creation).
    pub field: &'a str,
    /// When it was made, by its author's clock (milliseconds since 1970).
    pub wall_ms: u64,
    pub value: Option<&'a OpValue>,
}

impl<'a> Change<'a> {
    /// An op as the gate sees it (a creation carries no value to judge).
    pub(super) fn of(op: &'a Op) -> Change<'a> {
        Change {
            device: &op.device,
            author: &op.author,
            kind: op.kind,
            record: op.record,
            field: &op.field,
            wall_ms: op.hlc.wall_ms(),
            value: (op.field != CREATE_FIELD).then_some(&op.value),
        }
    }
}

impl Gate {
    pub(super) fn new(
        users: HashMap<String, String>,
        roles: BTreeMap<String, Role>,
        has_suppression_key: bool,
    ) -> Gate {
        Gate {
            users,
            roles,
            has_suppression_key,
        }
    }

    /// The user a device's card pins, and their signed role. `from` is the
    /// device whose log is read (a change must come from it); `None` for a
    /// snapshot, which carries the changes of many devices.
    fn who(&self, from: Option<&str>, device: &str) -> Result<(&str, Role), String> {
        if from.is_some_and(|f| f != device) {
            return Err(format!(
                "a change in the log of laptop {} claims to come from laptop {device}",
                from.unwrap_or_default()
            ));
        }
        let user = self.users.get(device).ok_or_else(|| {
            format!("a change from laptop {device}, which this laptop does not know")
        })?;
        let role = self.role(user)?;
        Ok((user, role))
    }

    fn role(&self, user: &str) -> Result<Role, String> {
        self.roles
            .get(user)
            .copied()
            .ok_or_else(|| format!("a change by '{user}', who has no role the admins signed"))
    }

    /// Whether a change may be applied: its author is the user of the
    /// laptop it comes from, and that user's role may make it.
    pub(super) fn change(&self, from: Option<&str>, c: &Change<'_>) -> Result<(), String> {
        let role = match self.who(from, c.device) {
            Ok((user, role)) => {
                if user != c.author {
                    return Err(format!(
                        "a change signed by the laptop of '{user}' names '{}' as its author",
                        c.author
                    ));
                }
                role
            }
            // A snapshot may hold changes of laptops whose cards are gone.
            Err(_) if from.is_none() && !self.users.contains_key(c.device) => {
                self.role(c.author)?
            }
            Err(e) => return Err(e),
        };
        if role.may_change(c.kind) {
            return field_within_role(c, role);
        }
        if written_by_any_program(c, self.has_suppression_key) && role.may(Action::ReadContacts) {
            return Ok(());
        }
        let needs = actions_for(c.kind)
            .first()
            .map_or("change this", |a| a.describe());
        Err(format!(
            "'{}' ({role}) changed a record of kind {}, but a {role} may not {needs}",
            c.author,
            c.kind.as_str()
        ))
    }

    /// Whether a removal may be applied. Roles that erase or manage
    /// retention may remove anything; for others, the removal is the
    /// retention sweep of their laptop (which runs whatever the role), so
    /// everything it removes must be due by this laptop's own rules and
    /// not on hold (`due`), or a deletion of companies
    /// ([`Forget::Companies`]) by a role that edits contacts, checked
    /// against what this laptop knows of each record (`target`).
    pub(super) fn removal(
        &self,
        from: Option<&str>,
        device: &str,
        f: &Forget,
        due: impl Fn(Uuid) -> bool,
        target: impl Fn(Uuid) -> Option<Target>,
    ) -> Result<(), String> {
        let (user, role) = self.who(from, device)?;
        if role.may(Action::Erase) || role.may(Action::ManageRetention) {
            return Ok(());
        }
        // An erasure names the records it knew of too: each must be due
        // (a record of the due person is).
        let targets: Vec<Uuid> = match f {
            Forget::Companies { records } => {
                return if role.may(Action::WriteContacts)
                    && is_company_deletion(records, role, target)
                {
                    Ok(())
                } else {
                    Err(format!(
                        "'{user}' ({role}) deleted as companies records that are not only companies of no one, their links and their follow-ups"
                    ))
                };
            }
            Forget::Subject {
                subject, records, ..
            } => std::iter::once(*subject)
                .chain(records.iter().copied())
                .collect(),
            Forget::Anonymised { subject, .. } => vec![*subject],
            Forget::Records { records } => records.clone(),
            Forget::Fields { record, .. } | Forget::History { record } => vec![*record],
        };
        if targets.iter().all(|t| due(*t)) {
            Ok(())
        } else {
            Err(format!(
                "'{user}' ({role}) removed data that no retention rule makes due here, and a {role} may not {}",
                Action::Erase.describe()
            ))
        }
    }
}

/// What a receiving laptop knows of a record a removal names.
#[derive(Debug, Clone, Copy)]
pub(super) struct Target {
    /// Its kind.
    pub kind: RecordKind,
    /// Its subject.
    pub subject: Option<Uuid>,
    /// The company a link names.
    pub company: Option<Uuid>,
    /// It is about a person who is restricted or under a legal hold.
    pub protected: bool,
}

/// A deletion of companies by a role that edits contacts: at least one
/// company of no one (a sole trader's is the person's data and needs a
/// role that erases), and besides only links that name one of those
/// companies and follow-ups on them, nothing of a restricted or held
/// person. Ids not known here are nothing to remove ([`Forget::Companies`]
/// keeps no mark of them).
fn is_company_deletion(
    records: &[Uuid],
    role: Role,
    target: impl Fn(Uuid) -> Option<Target>,
) -> bool {
    let found: Vec<(Uuid, Option<Target>)> = records.iter().map(|r| (*r, target(*r))).collect();
    let companies: Vec<Uuid> = found
        .iter()
        .filter(|(_, t)| {
            matches!(
                t,
                Some(Target {
                    kind: RecordKind::Company,
                    subject: None,
                    ..
                })
            )
        })
        .map(|(id, _)| *id)
        .collect();
    !companies.is_empty()
        && found.iter().all(|(_, t)| match t {
            None => true,
            Some(t) if t.protected => false,
            Some(t) => match t.kind {
                RecordKind::Company => t.subject.is_none(),
                RecordKind::Affiliation => t.company.is_some_and(|c| companies.contains(&c)),
                RecordKind::FollowUp => {
                    role.may(Action::AddInteraction)
                        && t.subject.is_some_and(|s| companies.contains(&s))
                }
                _ => false,
            },
        })
}

/// The kinds whose every field is one of the catalogue's, written by the
/// session from the catalogue alone (`Session::field_ops`).
const CATALOGUED: [RecordKind; 5] = [
    RecordKind::Person,
    RecordKind::Company,
    RecordKind::Affiliation,
    RecordKind::Interaction,
    RecordKind::FollowUp,
];

/// Whether the field a change writes is one the record's kind has, in the
/// form its category is kept in, and within the author's keys: a field of
/// a compartment (notes, Art. 9 data, deals) is written, sealed under that
/// compartment, or cleared only by a role that holds its key. No program
/// writes such a field otherwise, so an open value there, junk bytes or a
/// clearing by a role without the key is a patched program overwriting
/// what it may not even read.
fn field_within_role(c: &Change<'_>, role: Role) -> Result<(), String> {
    let Some(value) = c.value else {
        return Ok(());
    };
    if !CATALOGUED.contains(&c.kind) {
        return Ok(());
    }
    let Some(def) = categories::field(c.kind, c.field) else {
        return Err(format!(
            "'{}' changed the field '{}', which a {} does not have",
            c.author,
            c.field,
            c.kind.as_str()
        ));
    };
    let fits = match (def.category.compartment(), value) {
        (None, OpValue::Open(_) | OpValue::Cleared) => true,
        (None, OpValue::Sealed { .. }) => false,
        (Some(want), OpValue::Sealed { compartment, .. }) => {
            *compartment == want && role.can_read(def.category)
        }
        (Some(_), OpValue::Cleared) => role.can_read(def.category),
        (Some(_), OpValue::Open(_)) => false,
    };
    if !fits {
        return Err(format!(
            "'{}' ({role}) wrote the field '{}' ({}) in a form or with a key a {role} does not have",
            c.author,
            c.field,
            def.category.as_str()
        ));
    }
    // A day or a moment later than the change itself (a day allowed for
    // clocks that differ): a done follow-up or a contact dated in 2099
    // would keep a person from every retention rule.
    if matches!(
        def.value,
        ValueType::Date | ValueType::Birthday | ValueType::Timestamp
    ) && let OpValue::Open(json) = value
        && let Some(when) = serde_json::from_str::<String>(json)
            .ok()
            .and_then(|s| moment_of(&s))
        && when.timestamp_millis() > i64::try_from(c.wall_ms).unwrap_or(i64::MAX) + DAY_MS
    {
        return Err(format!(
            "'{}' dated the field '{}' {when}, after the change was made",
            c.author, c.field
        ));
    }
    Ok(())
}

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// The moment a date (its start, UTC) or a time names.
fn moment_of(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        })
}

/// Changes every laptop's program makes by itself, whoever is signed in:
/// the default purposes and consent sources of a new vault (identical on
/// every laptop), and the key suppression hashes are made with (created
/// by whoever first adds a contact).
fn written_by_any_program(c: &Change<'_>, has_suppression_key: bool) -> bool {
    let json = |v: Option<&OpValue>| match v {
        Some(OpValue::Open(j)) => Some(j.clone()),
        _ => None,
    };
    match c.kind {
        RecordKind::Purpose => default_purposes().iter().any(|p| {
            p.id() == c.record
                && (c.value.is_none() || json(c.value) == serde_json::to_string(p).ok())
        }),
        RecordKind::Setting => {
            (c.record == Session::setting_id("sources")
                && (c.value.is_none()
                    || json(c.value) == serde_json::to_string(DEFAULT_SOURCES).ok()))
                || c.record == Session::setting_id("suppression-key") && !has_suppression_key
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::categories::Compartment;

    fn gate() -> Gate {
        Gate::new(
            [
                ("a1".to_owned(), "ada".to_owned()),
                ("c1".to_owned(), "carl".to_owned()),
            ]
            .into(),
            [
                ("ada".to_owned(), Role::Admin),
                ("carl".to_owned(), Role::Agent),
            ]
            .into(),
            true,
        )
    }

    fn change<'a>(device: &'a str, author: &'a str, kind: RecordKind) -> Change<'a> {
        Change {
            device,
            author,
            kind,
            record: Uuid::nil(),
            field: CREATE_FIELD,
            wall_ms: 1_780_000_000_000,
            value: None,
        }
    }

    #[test]
    fn a_field_is_one_of_its_kind_in_its_form_and_within_the_authors_keys() {
        let g = gate();
        let open = OpValue::Open("\"x\"".into());
        let sealed = |c| OpValue::Sealed {
            compartment: c,
            bytes: vec![1, 2, 3],
        };
        let notes = sealed(Compartment::Notes);
        let special = sealed(Compartment::Special);
        let write = |author: &'static str, kind, field: &'static str, value: &OpValue| {
            let device = if author == "ada" { "a1" } else { "c1" };
            let mut c = change(device, author, kind);
            c.field = field;
            g.change(
                Some(device),
                &Change {
                    value: Some(value),
                    ..c
                },
            )
        };
        // What an agent's program writes.
        assert!(write("carl", RecordKind::Person, "tags", &open).is_ok());
        assert!(write("carl", RecordKind::Person, "phones", &OpValue::Cleared).is_ok());
        // A field no person has, an open value where notes are sealed,
        // junk under a key the agent does not hold, clearing a note.
        for (field, value) in [
            ("nonsense", &open),
            ("note", &open),
            ("note", &notes),
            ("note", &OpValue::Cleared),
            ("special", &special),
            ("tags", &notes),
        ] {
            let e = write("carl", RecordKind::Person, field, value).expect_err(field);
            assert!(e.contains(field), "{e}");
        }
        // The admin holds the keys: sealed notes and Art. 9 data, cleared too.
        assert!(write("ada", RecordKind::Person, "note", &notes).is_ok());
        assert!(write("ada", RecordKind::Person, "special", &special).is_ok());
        assert!(write("ada", RecordKind::Person, "note", &OpValue::Cleared).is_ok());
        // A day or moment after the change was made (2026-05-28 here).
        let day = |d: &str| OpValue::Open(format!("\"{d}\""));
        assert!(
            write(
                "carl",
                RecordKind::Person,
                "last_contact",
                &day("2026-05-28")
            )
            .is_ok()
        );
        assert!(
            write(
                "carl",
                RecordKind::FollowUp,
                "done_at",
                &day("2026-05-28T12:00:00Z")
            )
            .is_ok()
        );
        for (kind, field, when) in [
            (RecordKind::FollowUp, "done_at", "2099-01-01T00:00:00Z"),
            (RecordKind::Interaction, "at", "2027-01-01T00:00:00+02:00"),
            (RecordKind::Person, "last_contact", "2026-06-30"),
        ] {
            let e = write("ada", kind, field, &day(when)).expect_err(when);
            assert!(e.contains("after the change was made"), "{e}");
        }
        // Under the wrong compartment, or open, it is refused for her too.
        assert!(write("ada", RecordKind::Person, "note", &special).is_err());
        assert!(write("ada", RecordKind::Interaction, "text", &open).is_err());
    }

    #[test]
    fn a_change_counts_only_from_its_authors_laptop_and_within_the_role() {
        let g = gate();
        assert!(
            g.change(Some("c1"), &change("c1", "carl", RecordKind::Person))
                .is_ok()
        );
        assert!(
            g.change(Some("c1"), &change("c1", "carl", RecordKind::RetentionRule))
                .is_err()
        );
        assert!(
            g.change(Some("c1"), &change("c1", "ada", RecordKind::Person))
                .is_err()
        );
        assert!(
            g.change(Some("c1"), &change("a1", "ada", RecordKind::Person))
                .is_err()
        );
        assert!(
            g.change(Some("x9"), &change("x9", "carl", RecordKind::Person))
                .is_err()
        );
        assert!(
            g.change(Some("a1"), &change("a1", "ada", RecordKind::Setting))
                .is_ok()
        );
        assert!(
            g.change(Some("c1"), &change("c1", "carl", RecordKind::Setting))
                .is_err()
        );
    }

    #[test]
    fn the_default_purposes_are_admitted_from_anyone_but_not_a_changed_one() {
        let g = gate();
        let mut p = default_purposes().remove(0);
        let same = OpValue::Open(serde_json::to_string(&p).expect("json"));
        let mut c = change("c1", "carl", RecordKind::Purpose);
        c.record = p.id();
        c.value = Some(&same);
        assert!(g.change(Some("c1"), &c).is_ok());
        p.name_en = "Something else".into();
        let changed = OpValue::Open(serde_json::to_string(&p).expect("json"));
        c.value = Some(&changed);
        assert!(g.change(Some("c1"), &c).is_err());
    }

    #[test]
    fn a_removal_by_a_role_that_may_not_erase_counts_only_for_what_is_due() {
        let g = gate();
        let person = Uuid::now_v7();
        let erase = Forget::Subject {
            subject: person,
            records: vec![],
            at_ms: 0,
            request: String::new(),
        };
        assert!(
            g.removal(Some("c1"), "c1", &erase, |_| false, |_| None)
                .is_err()
        );
        assert!(
            g.removal(Some("c1"), "c1", &erase, |p| p == person, |_| None)
                .is_ok()
        );
        // Records of someone else named with a due person are not due.
        let other = Uuid::now_v7();
        let wider = Forget::Subject {
            subject: person,
            records: vec![other],
            at_ms: 0,
            request: String::new(),
        };
        assert!(
            g.removal(Some("c1"), "c1", &wider, |p| p == person, |_| None)
                .is_err()
        );
        // The suppression key is taken from anyone only while there is none.
        let mut key = change("c1", "carl", RecordKind::Setting);
        key.record = Session::setting_id("suppression-key");
        assert!(g.change(Some("c1"), &key).is_err());
        let fresh = Gate::new(g.users.clone(), g.roles.clone(), false);
        assert!(fresh.change(Some("c1"), &key).is_ok());
        assert!(
            g.removal(Some("a1"), "a1", &erase, |_| false, |_| None)
                .is_ok()
        );
    }

    #[test]
    fn an_agent_deletes_a_company_with_its_links_and_follow_ups_and_nothing_else() {
        let g = gate();
        let (company, link, followup) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let (person, theirs, sole) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let (elsewhere, held_link, unknown) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let at = |kind, subject, company, protected| {
            Some(Target {
                kind,
                subject,
                company,
                protected,
            })
        };
        let known = |id: Uuid| match id {
            i if i == company => at(RecordKind::Company, None, None, false),
            i if i == link => at(RecordKind::Affiliation, Some(person), Some(company), false),
            i if i == followup => at(RecordKind::FollowUp, Some(company), None, false),
            i if i == theirs => at(RecordKind::FollowUp, Some(person), None, false),
            i if i == sole => at(RecordKind::Company, Some(person), None, false),
            i if i == person => at(RecordKind::Person, None, None, false),
            i if i == elsewhere => at(RecordKind::Affiliation, Some(person), Some(sole), false),
            i if i == held_link => at(RecordKind::Affiliation, Some(person), Some(company), true),
            _ => None,
        };
        let by_agent = |records: Vec<Uuid>| {
            g.removal(
                Some("c1"),
                "c1",
                &Forget::Companies { records },
                |_| false,
                known,
            )
        };
        assert!(by_agent(vec![company, link, followup]).is_ok());
        assert!(
            by_agent(vec![company, unknown]).is_ok(),
            "an id not known here is nothing to remove"
        );
        for wider in [
            vec![company, person],
            vec![company, theirs],
            vec![sole],
            vec![link],
            vec![company, sole],
            vec![company, elsewhere],
            vec![company, held_link],
        ] {
            assert!(by_agent(wider.clone()).is_err(), "{wider:?}");
        }
        // The same list as plain records is a removal the agent's role may not make.
        let records = Forget::Records {
            records: vec![company, link],
        };
        assert!(
            g.removal(Some("c1"), "c1", &records, |_| false, known)
                .is_err()
        );
    }
}
