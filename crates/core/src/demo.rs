//! Demo data: realistic German and English people, companies, interactions
//! and notes, the same for the same seed.
//!
//! Generation is pure (a seeded ChaCha RNG); writing goes through the same
//! [`Session`] API as every other change, in batched transactions.

use chrono::{Duration, TimeZone, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::Result;
use crate::model::consent::ConsentState;
use crate::model::contacts::{FieldInput, InteractionInput, PersonInput};
use crate::model::followups::FollowUpInput;
use crate::model::requests::{NewRequest, RequestKind};
use crate::session::Session;

/// Given names with the salutation that goes with them.
const GIVEN_DE: &[(&str, &str)] = &[
    ("Anna", "ms"),
    ("Lena", "ms"),
    ("Sophie", "ms"),
    ("Marie", "ms"),
    ("Laura", "ms"),
    ("Julia", "ms"),
    ("Katrin", "ms"),
    ("Sabine", "ms"),
    ("Ute", "ms"),
    ("Birgit", "ms"),
    ("Jürgen", "mr"),
    ("Klaus", "mr"),
    ("Stefan", "mr"),
    ("Thomas", "mr"),
    ("Andreas", "mr"),
    ("Michael", "mr"),
    ("Jörg", "mr"),
    ("Lukas", "mr"),
    ("Jonas", "mr"),
    ("Felix", "mr"),
    ("Maximilian", "mr"),
    ("Paul", "mr"),
    ("Özlem", "ms"),
    ("Mehmet", "mr"),
    ("Agnieszka", "ms"),
    ("Dariusz", "mr"),
    ("Hannelore", "ms"),
    ("Günther", "mr"),
    ("Björn", "mr"),
    ("Svenja", "ms"),
];
const FAMILY_DE: &[&str] = &[
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Schmitt",
    "Werner",
    "Krause",
    "Meier",
    "Lehmann",
    "Yılmaz",
    "Kowalski",
    "Nowak",
    "Groß",
    "Weiß",
];
const GIVEN_EN: &[(&str, &str)] = &[
    ("Oliver", "mr"),
    ("Amelia", "ms"),
    ("George", "mr"),
    ("Isla", "ms"),
    ("Harry", "mr"),
    ("Ava", "ms"),
    ("Jack", "mr"),
    ("Emily", "ms"),
    ("Charlie", "mr"),
    ("Sophia", "ms"),
    ("James", "mr"),
    ("Grace", "ms"),
    ("William", "mr"),
    ("Olivia", "ms"),
    ("Thomas", "mr"),
    ("Chloe", "ms"),
    ("Daniel", "mr"),
    ("Ella", "ms"),
    ("Samuel", "mr"),
    ("Mia", "ms"),
];
const FAMILY_EN: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
    "Jackson", "Clarke",
];
const COMPANY_STEM: &[&str] = &[
    "Nordlicht",
    "Alpen",
    "Rhein",
    "Elbe",
    "Spree",
    "Hanse",
    "Isar",
    "Main",
    "Weser",
    "Brunnen",
    "Sonnen",
    "Linden",
    "Eichen",
    "Kiefer",
    "Harbour",
    "Bridge",
    "Oak",
    "Maple",
    "Silver",
    "Blue",
];
const COMPANY_TRADE: &[&str] = &[
    "Bäckerei",
    "Metallbau",
    "Steuerberatung",
    "Möbelhaus",
    "Elektrotechnik",
    "Logistik",
    "Software",
    "Gartenbau",
    "Druckerei",
    "Consulting",
    "Trading",
    "Engineering",
];
const COMPANY_FORM: &[&str] = &[
    "GmbH",
    "GmbH & Co. KG",
    "KG",
    "e.K.",
    "AG",
    "UG (haftungsbeschränkt)",
    "Ltd",
];
const CITIES: &[(&str, &str)] = &[
    ("10115", "Berlin"),
    ("20095", "Hamburg"),
    ("80331", "München"),
    ("50667", "Köln"),
    ("60311", "Frankfurt am Main"),
    ("70173", "Stuttgart"),
    ("04109", "Leipzig"),
    ("01067", "Dresden"),
    ("28195", "Bremen"),
    ("90402", "Nürnberg"),
];
const STREETS: &[&str] = &[
    "Hauptstraße",
    "Bahnhofstraße",
    "Gartenweg",
    "Schillerstraße",
    "Goethestraße",
    "Lindenallee",
    "Am Markt",
    "Kirchgasse",
    "Mühlenweg",
    "Rosenstraße",
];
const ROLES: &[&str] = &[
    "Geschäftsführung",
    "Einkauf",
    "Buchhaltung",
    "Vertrieb",
    "Head of Operations",
    "Office Manager",
];
const TAGS: &[&str] = &[
    "Kunde",
    "Interessent",
    "Newsletter",
    "Messe 2026",
    "VIP",
    "Lieferant",
    "prospect",
    "partner",
];
const SUMMARIES: &[&str] = &[
    "Angebot besprochen",
    "Rückruf wegen Lieferung",
    "Termin vereinbart",
    "Reklamation aufgenommen",
    "Follow-up on quote",
    "Intro call",
    "Rechnung erläutert",
    "Messegespräch",
];
const NOTES: &[&str] = &[
    "Bevorzugt Kontakt per E-Mail, nicht vor 10 Uhr anrufen.",
    "Entscheidet gemeinsam mit der Geschäftsführung.",
    "Prefers short calls; follow up in writing.",
    "Budget für Q2 freigegeben.",
    "Hat nach Ratenzahlung gefragt.",
];
const KINDS: &[&str] = &["call", "meeting", "email", "letter", "note"];

fn pick<'a>(rng: &mut ChaCha8Rng, list: &[&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or_default()
}

fn ascii(s: &str) -> String {
    crate::model::directory::fold(s)
        .replace('ı', "i")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// One generated person with their interactions.
#[derive(Debug, Clone)]
pub struct DemoPerson {
    /// The person.
    pub person: PersonInput,
    /// Their interactions.
    pub interactions: Vec<InteractionInput>,
}

/// Generates `n` people deterministically from `seed`.
pub fn generate(n: usize, seed: u64) -> Vec<DemoPerson> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let companies: Vec<String> = (0..(n / 8).max(1))
        .map(|_| {
            format!(
                "{} {} {}",
                pick(&mut rng, COMPANY_STEM),
                pick(&mut rng, COMPANY_TRADE),
                pick(&mut rng, COMPANY_FORM)
            )
        })
        .collect();
    let base = Utc
        .with_ymd_and_hms(2026, 1, 1, 9, 0, 0)
        .single()
        .unwrap_or_default();
    (0..n)
        .map(|i| {
            let german = rng.gen_bool(0.8);
            let given_names = if german { GIVEN_DE } else { GIVEN_EN };
            let (given, salutation) = given_names
                .choose(&mut rng)
                .copied()
                .unwrap_or(("Anna", "ms"));
            let family = pick(&mut rng, if german { FAMILY_DE } else { FAMILY_EN });
            let domain = if german {
                "example.de"
            } else {
                "example.co.uk"
            };
            let email = format!("{}.{}{}@{}", ascii(given), ascii(family), i, domain);
            let phone = if german {
                format!(
                    "+49 {} {}",
                    rng.gen_range(30..=9999),
                    rng.gen_range(100_000..=9_999_999)
                )
            } else {
                format!(
                    "+44 20 {} {}",
                    rng.gen_range(1000..=9999),
                    rng.gen_range(1000..=9999)
                )
            };
            let (zip, city) = CITIES
                .choose(&mut rng)
                .copied()
                .unwrap_or(("10115", "Berlin"));
            let address = format!(
                "{} {}\n{} {}",
                pick(&mut rng, STREETS),
                rng.gen_range(1..200),
                zip,
                city
            );
            let mut person = PersonInput::default()
                .with("given_name", FieldInput::Text(given.into()))
                .with("family_name", FieldInput::Text(family.into()))
                .with("salutation", FieldInput::Text(salutation.into()))
                .with("emails", FieldInput::List(vec![email]))
                .with("phones", FieldInput::List(vec![phone]))
                .with("addresses", FieldInput::List(vec![address]))
                .with(
                    "language",
                    FieldInput::Text(if german { "de" } else { "en" }.into()),
                )
                .with("tags", FieldInput::List(vec![pick(&mut rng, TAGS).into()]));
            if rng.gen_bool(0.15) {
                person = person.with("title", FieldInput::Text("Dr.".into()));
            }
            if rng.gen_bool(0.3) {
                let y = rng.gen_range(1950..2004);
                let d = format!(
                    "{y}-{:02}-{:02}",
                    rng.gen_range(1..=12),
                    rng.gen_range(1..=28)
                );
                person = person.with("birthday", FieldInput::Text(d));
            }
            if rng.gen_bool(0.3) {
                person = person.with("note", FieldInput::Text(pick(&mut rng, NOTES).into()));
            }
            if rng.gen_bool(0.6) {
                person.company = companies.choose(&mut rng).cloned();
                person.company_role = Some(pick(&mut rng, ROLES).into());
            }
            let interactions = (0..rng.gen_range(0..=2))
                .map(|_| InteractionInput {
                    kind: pick(&mut rng, KINDS).into(),
                    summary: pick(&mut rng, SUMMARIES).into(),
                    text: rng.gen_bool(0.4).then(|| pick(&mut rng, NOTES).to_owned()),
                    at: Some(base + Duration::minutes(rng.gen_range(0..(60 * 24 * 300)))),
                    keep: None,
                })
                .collect();
            DemoPerson {
                person,
                interactions,
            }
        })
        .collect()
}

/// The demo vault's only user.
pub const DEMO_USER: &str = "demo";
/// The demo vault's passphrase: public on purpose, shown on the unlock screen.
pub const DEMO_PASSPHRASE: &str = "demo-passphrase";

/// Opens the demo vault in `dir`, creating and filling it on first use.
pub fn open_demo(
    dir: &std::path::Path,
    people: usize,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
) -> Result<Session> {
    let vault = crate::vault::VaultDir::new(dir);
    if vault.exists() {
        let session = Session::unlock(dir, DEMO_USER, DEMO_PASSPHRASE.as_bytes(), clock)?;
        session.mark_demo()?;
        return Ok(session);
    }
    let (mut session, _) = Session::create(
        dir,
        DEMO_USER,
        DEMO_PASSPHRASE.as_bytes(),
        crate::crypto::KdfParams::FLOOR,
        clock,
    )?;
    seed(&mut session, people, 1, &mut |_, _| {})?;
    session.checkpoint()?;
    Ok(session)
}

/// What seeding wrote.
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SeedReport {
    /// People added.
    pub people: usize,
    /// Interactions added.
    pub interactions: usize,
}

/// Generates and writes `n` demo people (admin only).
pub fn seed(
    session: &mut Session,
    n: usize,
    seed: u64,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<SeedReport> {
    session.require_seed()?;
    // Generated people are a demo: the sweep at unlock leaves them as they
    // are, as it does in the app's demo vault.
    session.mark_demo()?;
    let people = generate(n, seed);
    let inputs: Vec<PersonInput> = people.iter().map(|p| p.person.clone()).collect();
    let ids = session.add_people(&inputs, progress)?;
    let interactions: Vec<_> = ids
        .iter()
        .zip(&people)
        .flat_map(|(id, p)| p.interactions.iter().map(move |i| (*id, i.clone())))
        .collect();
    session.add_interactions(&interactions)?;
    // Every third person gave e-marketing consent some time in the last 30
    // months (so some have expired); every thirtieth withdrew it since.
    let now = session.now();
    let sources = ["web_form", "business_card", "event", "phone", "email"];
    let mut consents = Vec::new();
    for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
        let offset = usize::try_from(seed % 900).unwrap_or(0);
        let days = i64::try_from((i * 7919 + offset) % 900).unwrap_or(0);
        let given = now - Duration::days(days);
        consents.push((*id, ConsentState::Given, given, sources[i % sources.len()]));
        if i % 30 == 0 {
            let withdrawn = given + Duration::days(days / 2);
            consents.push((
                *id,
                ConsentState::Withdrawn,
                withdrawn,
                sources[i % sources.len()],
            ));
        }
    }
    session.add_consent_entries(&consents)?;
    // A few open data-subject requests, so the Requests view has something
    // to show: one just in, one half-way, one close to its deadline.
    let sample = [
        (RequestKind::Access, 3, "Personalausweis vorgelegt"),
        (
            RequestKind::Rectification,
            12,
            "Rückruf unter bekannter Nummer",
        ),
        (RequestKind::Erasure, 26, "E-Mail von der bekannten Adresse"),
    ];
    for ((kind, days, check), id) in sample.into_iter().zip(ids.iter().skip(1)) {
        session.open_request(&NewRequest {
            kind,
            person: Some(*id),
            received: (now - Duration::days(days)).date_naive(),
            identity_check: Some(check.to_owned()),
        })?;
    }
    // Follow-ups for whoever seeded: two overdue, three due today, some
    // in the coming weeks, so the start view has a day's work to show.
    let tasks = [
        ("-3", "Angebot nachfassen"),
        ("-1", "Rückruf wegen Rechnung"),
        ("today", "Termin bestätigen"),
        ("today", "Unterlagen zuschicken"),
        ("today", "Vertrag zur Unterschrift senden"),
        ("tomorrow", "Preisliste schicken"),
        ("+3", "Nach Zufriedenheit fragen"),
        ("+7", "Jahresgespräch vereinbaren"),
        ("+14", "Wartungsvertrag verlängern"),
    ];
    let today = session.today_date();
    let followups: Vec<_> = tasks
        .iter()
        .zip(ids.iter().skip(5))
        .map(|((due, what), id)| {
            let due = match due.strip_prefix('-').and_then(|d| d.parse::<i64>().ok()) {
                Some(back) => (today - Duration::days(back))
                    .format("%Y-%m-%d")
                    .to_string(),
                None => (*due).to_owned(),
            };
            (
                *id,
                FollowUpInput {
                    what: (*what).to_owned(),
                    due,
                    time: None,
                    assignee: None,
                },
            )
        })
        .collect();
    session.add_followups(&followups)?;
    Ok(SeedReport {
        people: ids.len(),
        interactions: interactions.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_salutation_follows_the_given_name() {
        let text = |p: &PersonInput, f: &str| match p.fields.iter().find(|(n, _)| n == f) {
            Some((_, FieldInput::Text(t))) => t.clone(),
            _ => String::new(),
        };
        let people = generate(400, 5);
        let salutations = |name: &str| -> Vec<String> {
            people
                .iter()
                .filter(|d| text(&d.person, "given_name") == name)
                .map(|d| text(&d.person, "salutation"))
                .collect()
        };
        for (name, want) in [
            ("Anna", "ms"),
            ("Klaus", "mr"),
            ("Emily", "ms"),
            ("George", "mr"),
        ] {
            let got = salutations(name);
            assert!(!got.is_empty(), "no {name} among 400");
            assert!(got.iter().all(|s| s == want), "{name}: {got:?}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_people() {
        let a = generate(50, 7);
        let b = generate(50, 7);
        let c = generate(50, 8);
        let fields = |v: &[DemoPerson]| {
            v.iter()
                .map(|p| format!("{:?}", p.person.fields))
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(&a), fields(&b));
        assert_ne!(fields(&a), fields(&c));
    }
}
