//! The export of many contacts on real vaults: what goes out comes back
//! in through the import as the same people (a property test over CSV in
//! German and English, XLSX, and vCard 4.0 and 3.0), restricted people stay out, the
//! export is a disclosure the person's legal-basis view names, and a role
//! without the right is refused.

use std::path::Path;

use proptest::prelude::*;
use tresor_core::model::categories::Lang;
use tresor_core::model::contacts::{FieldInput, PersonInput, RecordId};
use tresor_core::model::export::{Card, ContactFormat, ContactSelection};
use tresor_core::model::import::{ImportOptions, OnDuplicate};
use tresor_core::model::requests::{NewRequest, RequestKind};
use tresor_core::model::roles::Role;
use tresor_core::{ErrorCode, Session};

use crate::clocked::{at, second_laptop, vault_at};

/// A person as the property test makes them.
#[derive(Debug, Clone)]
struct Someone {
    salutation: &'static str,
    title: &'static str,
    given: &'static str,
    family: &'static str,
    emails: usize,
    phones: Vec<&'static str>,
    addresses: Vec<&'static str>,
    birthday: Option<(i32, u32, u32)>,
    language: &'static str,
    tags: Vec<&'static str>,
    note: Option<&'static str>,
    company: Option<(&'static str, Option<&'static str>)>,
}

fn someone() -> impl Strategy<Value = Someone> {
    let pick = |items: &'static [&'static str]| proptest::sample::select(items);
    (
        (
            pick(&["", "mr", "ms", "mx"]),
            pick(&["", "Dr.", "Prof. Dr."]),
            pick(&["Jürgen", "Anna Maria", "Özlem", "Zoë", "Jean-Luc", ""]),
            pick(&[
                "Weiß",
                "Müller-Lüdenscheidt",
                "O'Brien",
                "Groß",
                "de la Cruz",
            ]),
            0usize..5,
            proptest::sample::subsequence(
                &[
                    "+49 30 1234567",
                    "0221 998877",
                    "+1 212 555 0100",
                    "089/555-12",
                ][..],
                0..4,
            ),
        ),
        (
            proptest::sample::subsequence(
                &[
                    "Hauptstraße 1\n10115 Berlin",
                    "Am Ring 2; Hinterhaus\nD-80331 München",
                    "12 Main Street\nLondon",
                    "Postfach 12, \"Nord\"",
                ][..],
                0..4,
            ),
            proptest::option::of((1930i32..2005, 1u32..13, 1u32..29)),
            pick(&["", "de", "en"]),
            proptest::sample::subsequence(&["VIP", "Messe 2026", "=SUM(A1)", "Kunde"][..], 0..3),
            proptest::option::of(pick(&[
                "Stammkunde;\nliefert samstags",
                "+ wichtig",
                "\"Zitat\", sagt er",
            ])),
            proptest::option::of((
                pick(&["Bäckerei Weiß", "Acme; GmbH", "=Firma"]),
                proptest::option::of(pick(&["Inhaber", "CEO"])),
            )),
        ),
    )
        .prop_map(
            |(
                (salutation, title, given, family, emails, phones),
                (addresses, birthday, language, tags, note, company),
            )| Someone {
                salutation,
                title,
                given,
                family,
                emails,
                phones,
                addresses,
                birthday,
                language,
                tags,
                note,
                company,
            },
        )
}

fn add(s: &mut Session, i: usize, p: &Someone) -> RecordId {
    let mut input = PersonInput::default().with("family_name", FieldInput::Text(p.family.into()));
    let text = |v: &str| FieldInput::Text(v.to_owned());
    let list = |v: &[&str]| FieldInput::List(v.iter().map(|x| (*x).to_owned()).collect());
    for (field, v) in [
        ("salutation", p.salutation),
        ("title", p.title),
        ("given_name", p.given),
        ("language", p.language),
    ] {
        if !v.is_empty() {
            input = input.with(field, text(v));
        }
    }
    if p.emails > 0 {
        let emails: Vec<String> = (0..p.emails)
            .map(|n| format!("p{i}.{n}@example.de"))
            .collect();
        input = input.with("emails", FieldInput::List(emails));
    }
    for (field, v) in [
        ("phones", &p.phones),
        ("addresses", &p.addresses),
        ("tags", &p.tags),
    ] {
        if !v.is_empty() {
            input = input.with(field, list(v));
        }
    }
    match p.birthday {
        // An early year stands for a birthday without its year.
        Some((y, m, d)) if y < 1950 => {
            input = input.with("birthday", FieldInput::Text(format!("--{m:02}-{d:02}")));
        }
        Some((y, m, d)) => {
            input = input.with(
                "birthday",
                FieldInput::Text(format!("{y:04}-{m:02}-{d:02}")),
            );
        }
        None => {}
    }
    if let Some(note) = p.note {
        input = input.with("note", text(note));
    }
    if let Some((company, role)) = p.company {
        input.company = Some(company.to_owned());
        input.company_role = role.map(str::to_owned);
    }
    s.add_person(&input).expect("add")
}

/// Every person's card without what the vault itself gives them (the id,
/// which a new vault makes anew), sorted.
fn cards(s: &Session) -> Vec<Card> {
    let mut out: Vec<Card> = s
        .list(0, 10_000)
        .expect("list")
        .into_iter()
        .map(|r| Card {
            id: RecordId::nil(),
            ..Card::of(&s.contact(r.id).expect("contact"))
        })
        .collect();
    out.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    out
}

fn round_trip(people: &[Someone], format: ContactFormat, lang: Lang) -> Result<(), TestCaseError> {
    let (tmp, _clock, mut a) = vault_at(at(2026, 12, 4));
    for (i, p) in people.iter().enumerate() {
        add(&mut a, i, p);
    }
    let file = tmp.path().join(format!("out.{}", format.extension()));
    let export = a
        .export_contacts(&ContactSelection::default(), format, lang, None, &file)
        .expect("export");
    prop_assert_eq!(export.count as usize, people.len());
    prop_assert!(export.left_out.is_empty());

    let (_tmp_b, _clock_b, mut b) = vault_at(at(2026, 12, 5));
    let options = ImportOptions {
        on_duplicate: OnDuplicate::Add,
        ..ImportOptions::default()
    };
    let report = b
        .import_files(&[file.as_path()], &options, &mut |_| true)
        .expect("import");
    let f = &report.files[0];
    prop_assert!(f.problems.is_empty(), "{:?}", f.problems);
    prop_assert!(f.notes.is_empty(), "{:?}", f.notes);
    let mut sent = cards(&a);
    if format == ContactFormat::Vcard3 {
        // vCard 3.0 has no LANG.
        for c in &mut sent {
            c.language.clear();
        }
    }
    prop_assert_eq!(cards(&b), sent);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    #[test]
    fn an_exported_file_imports_as_the_same_people(
        people in proptest::collection::vec(someone(), 1..6),
        which in 0usize..5,
    ) {
        let (format, lang) = [
            (ContactFormat::Csv, Lang::De),
            (ContactFormat::Csv, Lang::En),
            (ContactFormat::Xlsx, Lang::De),
            (ContactFormat::Vcard, Lang::De),
            (ContactFormat::Vcard3, Lang::En),
        ][which];
        round_trip(&people, format, lang)?;
    }
}

fn person(s: &mut Session, given: &str, family: &str, tags: &[&str]) -> RecordId {
    let mut input = PersonInput::default()
        .with("given_name", FieldInput::Text(given.into()))
        .with("family_name", FieldInput::Text(family.into()))
        .with(
            "emails",
            FieldInput::List(vec![format!("{}@example.de", given.to_lowercase())]),
        )
        .with("special", FieldInput::Text("Diabetes".into()));
    if !tags.is_empty() {
        input = input.with(
            "tags",
            FieldInput::List(tags.iter().map(|t| (*t).to_owned()).collect()),
        );
    }
    s.add_person(&input).expect("add")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read export")
}

#[test]
fn an_export_leaves_out_the_restricted_and_is_a_disclosure_of_each_person() {
    let (tmp, clock, mut a) = vault_at(at(2026, 12, 4));
    let ada = person(&mut a, "Ada", "Lovelace", &["VIP"]);
    let bob = person(&mut a, "Bob", "Baker", &["vip", "Messe"]);
    let cem = person(&mut a, "Cem", "Çelik", &["VIP"]);
    let req = a
        .open_request(&NewRequest {
            kind: RequestKind::Restriction,
            person: Some(cem),
            received: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).expect("day"),
            identity_check: None,
        })
        .expect("request");
    a.restrict(cem, &req.reference).expect("restrict");

    let vip = ContactSelection {
        tag: Some("VIP".into()),
        ..ContactSelection::default()
    };
    let (path, export) = a
        .export_contacts_in(tmp.path(), &vip, ContactFormat::Vcard, Lang::De, None)
        .expect("export");
    assert_eq!((export.count, export.restricted), (2, 1));
    assert!(path.ends_with("kontakte-vip-2026-12-04.vcf"), "{path:?}");
    let vcf = read(&path);
    assert_eq!(vcf.matches("BEGIN:VCARD").count(), 2);
    assert!(vcf.contains("FN:Ada Lovelace") && vcf.contains("FN:Bob Baker"));
    assert!(!vcf.contains("Çelik"), "a restricted person is left out");
    assert!(!vcf.contains("Diabetes"), "special categories never go out");

    // The disclosure names the file and the people, and each person's
    // legal-basis view shows it.
    let seen = |s: &Session, id| {
        s.legal_basis(id)
            .expect("legal basis")
            .disclosures
            .iter()
            .map(|d| (d.file.clone(), d.by.clone(), d.format))
            .collect::<Vec<_>>()
    };
    let file = path
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert_eq!(
        seen(&a, ada),
        [(file, "dora".to_owned(), Some(ContactFormat::Vcard))]
    );
    assert!(seen(&a, cem).is_empty());

    // A search narrows the same way; the selection of the app names ids.
    let csv = tmp.path().join("bob.csv");
    let by_search = ContactSelection {
        search: Some("Baker".into()),
        ..ContactSelection::default()
    };
    let e = a
        .export_contacts(&by_search, ContactFormat::Csv, Lang::En, None, &csv)
        .expect("export");
    assert_eq!(e.count, 1);
    let text = read(&csv);
    assert!(text.starts_with("\u{feff}Salutation,Title,First Name,Last Name"));
    assert!(text.contains("Bob,Baker") && !text.contains("Ada"));
    let with_a_company = ContactSelection {
        ids: Some(vec![
            ada,
            a.contact(ada).expect("ada").id,
            tresor_core::model::contacts::RecordId::nil(),
        ]),
        ..ContactSelection::default()
    };
    let one = tmp.path().join("one.csv");
    let e = a
        .export_contacts(&with_a_company, ContactFormat::Csv, Lang::De, None, &one)
        .expect("an id that is no person is left out");
    assert_eq!(e.count, 1);
    let only_cem = ContactSelection {
        ids: Some(vec![cem]),
        ..ContactSelection::default()
    };
    let none = tmp.path().join("none.csv");
    let err = a
        .export_contacts(&only_cem, ContactFormat::Csv, Lang::De, None, &none)
        .expect_err("only a restricted person");
    assert_eq!(err.code(), ErrorCode::Invalid);
    assert!(!none.exists(), "a refused export writes nothing");
    let err = a
        .export_contacts(
            &vip,
            ContactFormat::Csv,
            Lang::De,
            Some("no such purpose"),
            &none,
        )
        .expect_err("unknown purpose");
    assert_eq!(err.code(), ErrorCode::NotFound);
    let err = a
        .export_contacts(
            &vip,
            ContactFormat::Csv,
            Lang::De,
            Some("e-marketing"),
            &none,
        )
        .expect_err("a purpose resting on consent is the mailing list's");
    assert_eq!(err.code(), ErrorCode::Invalid);
    assert!(!none.exists());

    // An agent may read contacts but not take them out in bulk.
    let mut agent = second_laptop(tmp.path(), &mut a, clock, "ali", Role::Agent);
    agent.sync().expect("sync");
    let err = agent
        .export_contacts(
            &ContactSelection::default(),
            ContactFormat::Csv,
            Lang::De,
            None,
            &none,
        )
        .expect_err("agent");
    assert_eq!(err.code(), ErrorCode::Forbidden);
    assert!(!none.exists());
    let _ = bob;
}
