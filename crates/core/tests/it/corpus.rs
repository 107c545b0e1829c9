//! The import corpus (`tests/corpus`): each file as an exporting program
//! writes it, imported into a vault of its own, gives exactly the people
//! `expected.json` names, field by field, and reports the lines it names.

use std::path::PathBuf;

use serde_json::Value;
use tresor_core::model::export::Card;
use tresor_core::model::import::{ImportOptions, OnDuplicate};

use crate::clocked::{at, vault_at};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// A person as `expected.json` writes them: absent fields are empty.
fn expected_card(p: &Value) -> Card {
    let text = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
    let list = |k: &str| {
        p[k].as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let companies = p["companies"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        c[0].as_str().unwrap_or_default().to_owned(),
                        c[1].as_str().map(str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Card {
        salutation: text("salutation"),
        title: text("title"),
        given_name: text("given_name"),
        family_name: text("family_name"),
        emails: list("emails"),
        phones: list("phones"),
        addresses: list("addresses"),
        birthday: text("birthday"),
        language: text("language"),
        tags: list("tags"),
        note: text("note"),
        companies,
        ..Card::default()
    }
}

fn lines(v: &Value) -> Vec<u64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default()
}

#[test]
fn every_file_of_the_corpus_gives_the_people_it_holds() {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(corpus().join("expected.json")).expect("expected.json"),
    )
    .expect("json");
    let files = expected.as_object().expect("files");
    assert!(files.len() >= 7);
    let mut failures = Vec::new();
    for (name, want) in files {
        let (_tmp, _clock, mut s) = vault_at(at(2026, 12, 4));
        let options = ImportOptions {
            on_duplicate: OnDuplicate::Add,
            ..ImportOptions::default()
        };
        let path = corpus().join(name);
        let report = s
            .import_files(&[path.as_path()], &options, &mut |_| true)
            .expect("import");
        let f = &report.files[0];
        assert_eq!(f.refused, None, "{name}");
        let got = (
            f.reading.encoding.clone(),
            f.reading.looks_like.clone(),
            f.problems.iter().map(|p| p.line).collect::<Vec<_>>(),
        );
        let wanted = (
            want["encoding"].as_str().unwrap_or_default().to_owned(),
            want["looks_like"].as_str().map(str::to_owned),
            lines(&want["problems"]),
        );
        if got != wanted {
            failures.push(format!(
                "{name}: read {got:?}, expected {wanted:?}; {:?}",
                f.problems
            ));
        }
        if want.get("notes").is_some() {
            let notes: Vec<u64> = f.notes.iter().map(|n| n.line).collect();
            if notes != lines(&want["notes"]) {
                failures.push(format!("{name}: notes {:?}", f.notes));
            }
        } else if !f.notes.is_empty() {
            failures.push(format!("{name}: unexpected notes {:?}", f.notes));
        }
        let mut people: Vec<Card> = s
            .list(0, 100)
            .expect("list")
            .into_iter()
            .map(|r| {
                let c = Card::of(&s.contact(r.id).expect("contact"));
                Card {
                    id: Default::default(),
                    display: String::new(),
                    ..c
                }
            })
            .collect();
        people
            .sort_by(|a, b| (&a.family_name, &a.given_name).cmp(&(&b.family_name, &b.given_name)));
        let mut wanted: Vec<Card> = want["people"]
            .as_array()
            .expect("people")
            .iter()
            .map(expected_card)
            .collect();
        wanted
            .sort_by(|a, b| (&a.family_name, &a.given_name).cmp(&(&b.family_name, &b.given_name)));
        if people != wanted {
            failures.push(format!(
                "{name}:\n  got      {people:?}\n  expected {wanted:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
