//! Imports on a real SQLCipher vault: a German Excel list in Windows-1252
//! with its bad rows reported by line, duplicates skipped or merged, a
//! suppressed address refused without being named, a cancel that leaves
//! nothing, an undo that erases what the import created and sets back what
//! it merged, and the imported people arriving on the other laptop.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use tresor_core::model::contacts::{FieldInput, FieldValue, RecordId};
use tresor_core::model::import::{ImportOptions, ImportReport, OnDuplicate};
use tresor_core::model::requests::{NewRequest, RequestKind};
use tresor_core::model::roles::Role;
use tresor_core::{ErrorCode, Session};

use crate::clocked::{at, second_laptop, vault_at};

/// The list an office keeps in Excel, saved as "CSV (Trennzeichen-getrennt)":
/// Windows-1252, semicolons, CRLF, a note with a line break and a semicolon.
const EXCEL: &str = "Anrede;Vorname;Nachname;Firma;Position;Straße;PLZ;Ort;Telefon;E-Mail;Geburtstag;Bemerkung\r\n\
Herr;Jürgen;Weiß;Bäckerei Weiß;Inhaber;Hauptstraße 1;10115;Berlin;030 1234567;jw@example.de;3.4.1968;\"Stammkunde;\r\nliefert samstags\"\r\n\
Frau;Özlem;Yilmaz;;;Am Ring 2;50667;Köln;0221 998877;oezlem@example.de;;\r\n\
;;;Nur Firma GmbH;;;;;;;;\r\n\
Frau;Grete;Groß;;;Gartenweg 5;80331;München;+49 89 555;kaputt@;;\r\n";

fn excel_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!unmappable, "the test file is Windows-1252");
    let path = dir.join(name);
    std::fs::write(&path, &bytes).expect("write");
    path
}

fn import(s: &mut Session, files: &[&Path], options: &ImportOptions) -> ImportReport {
    s.import_files(files, options, &mut |_| true)
        .expect("import")
}

fn text(s: &Session, id: RecordId, field: &str) -> Option<String> {
    s.contact(id)
        .expect("contact")
        .field(field)
        .and_then(|f| f.value.as_text())
}

fn find(s: &Session, name: &str) -> RecordId {
    let hits = s.search(name, 5).expect("search");
    assert_eq!(hits.len(), 1, "{name}: {hits:?}");
    hits[0].id
}

#[test]
fn a_german_excel_list_comes_in_with_its_bad_rows_reported() {
    let (tmp, _clock, mut s) = vault_at(at(2026, 12, 4));
    let file = excel_file(tmp.path(), "Kunden.csv", EXCEL);
    let r = import(&mut s, &[&file], &ImportOptions::default());
    let f = &r.files[0];
    assert_eq!(f.reading.encoding, "windows-1252");
    assert_eq!(f.reading.delimiter.as_deref(), Some(";"));
    assert_eq!(
        (f.read, f.imported, f.duplicates, f.suppressed),
        (4, 3, 0, 0)
    );
    assert_eq!(f.problems.len(), 1, "{:?}", f.problems);
    assert_eq!(
        f.problems[0].line, 5,
        "the company row, after the quoted line break"
    );
    assert!(
        f.notes
            .iter()
            .any(|n| n.line == 6 && n.reason.contains("kaputt@")),
        "{:?}",
        f.notes
    );

    let jw = find(&s, "Jürgen");
    assert_eq!(text(&s, jw, "family_name").as_deref(), Some("Weiß"));
    assert_eq!(text(&s, jw, "salutation").as_deref(), Some("mr"));
    assert_eq!(text(&s, jw, "birthday").as_deref(), Some("1968-04-03"));
    assert_eq!(
        text(&s, jw, "addresses").as_deref(),
        Some("Hauptstraße 1\n10115 Berlin")
    );
    assert_eq!(
        text(&s, jw, "note").as_deref(),
        Some("Stammkunde;\r\nliefert samstags")
    );
    assert_eq!(
        text(&s, jw, "source").as_deref(),
        Some("Import: Kunden.csv (2026-12-04, dora)"),
        "where the data came from (Art. 14(2)(f))"
    );
    let view = s.contact(jw).expect("contact");
    assert_eq!(view.companies[0].name, "Bäckerei Weiß");
    assert_eq!(view.companies[0].role.as_deref(), Some("Inhaber"));
    let groß = find(&s, "Grete");
    assert_eq!(
        text(&s, groß, "emails"),
        None,
        "the broken address is left out"
    );
    assert_eq!(text(&s, groß, "phones").as_deref(), Some("+49 89 555"));

    let batches = s.import_batches().expect("batches");
    assert_eq!(batches.len(), 1);
    assert_eq!(Some(batches[0].id), r.batch);
    assert_eq!(batches[0].files, vec!["Kunden.csv"]);
    assert_eq!(batches[0].created.len(), 3);
}

#[test]
fn duplicates_are_skipped_or_merged_and_an_undo_sets_the_merge_back() {
    let (tmp, _clock, mut s) = vault_at(at(2026, 12, 4));
    let first = excel_file(tmp.path(), "Kunden.csv", EXCEL);
    let r1 = import(&mut s, &[&first], &ImportOptions::default());
    assert_eq!(s.count().expect("count"), 3);

    // The same people again, one spelled differently, one with a new phone.
    let again = excel_file(
        tmp.path(),
        "Messe.csv",
        "Vorname;Nachname;PLZ;Straße;E-Mail;Telefon\r\n\
         Juergen;Weiss;10115;Hauptstraße 1;JW@example.de;0171 2223334\r\n\
         Özlem;Yilmaz;50667;;;+49 221 998877\r\n\
         Grete;Groß;80331;Gartenweg 5;grete@example.de;\r\n\
         Neu;Kunde;;;neu@example.de;\r\n",
    );
    let skip = import(&mut s, &[&again], &ImportOptions::default());
    let f = &skip.files[0];
    assert_eq!((f.imported, f.duplicates, f.merged), (1, 3, 0), "{f:?}");
    assert!(
        f.notes[0].reason.contains("the same email address"),
        "{:?}",
        f.notes
    );
    assert_eq!(s.count().expect("count"), 4);

    let dry = import(
        &mut s,
        &[&again],
        &ImportOptions {
            on_duplicate: OnDuplicate::Merge,
            dry_run: true,
            ..ImportOptions::default()
        },
    );
    assert_eq!(dry.files[0].merged, 2, "{dry:?}");
    let jw = find(&s, "Jürgen");
    assert_eq!(
        text(&s, jw, "phones").as_deref(),
        Some("030 1234567"),
        "a dry run merges nothing"
    );

    let merge = import(
        &mut s,
        &[&again],
        &ImportOptions {
            on_duplicate: OnDuplicate::Merge,
            ..ImportOptions::default()
        },
    );
    let f = &merge.files[0];
    // Jürgen gets the mobile, Grete the email; Özlem's phone is the one
    // she has; the new customer is there since the last import.
    assert_eq!((f.imported, f.merged, f.duplicates), (0, 2, 2), "{f:?}");
    let jw = find(&s, "Jürgen");
    assert_eq!(
        text(&s, jw, "phones").as_deref(),
        Some("030 1234567, 0171 2223334")
    );
    assert_eq!(
        text(&s, jw, "given_name").as_deref(),
        Some("Jürgen"),
        "a name is never overwritten"
    );
    let grete = find(&s, "Grete");
    assert_eq!(
        text(&s, grete, "emails").as_deref(),
        Some("grete@example.de")
    );

    let undo = s
        .undo_import(merge.batch.expect("batch"))
        .expect("undo merge");
    assert_eq!((undo.erased, undo.reverted), (0, 2));
    assert_eq!(text(&s, jw, "phones").as_deref(), Some("030 1234567"));
    assert_eq!(text(&s, grete, "emails"), None);
    let again_undo = s
        .undo_import(merge.batch.expect("batch"))
        .expect_err("refused");
    assert!(
        again_undo.to_string().contains("undone already"),
        "{again_undo}"
    );

    // Someone edits a person of the first import (and the merge changed
    // Grete since): its undo is refused whole.
    s.edit(jw, &[("note".into(), FieldInput::Text("rief an".into()))])
        .expect("edit");
    let refused = s
        .undo_import(r1.batch.expect("batch"))
        .expect_err("refused");
    assert_eq!(refused.code(), ErrorCode::Invalid);
    assert!(refused.to_string().contains("2 of the people"), "{refused}");
    assert_eq!(s.count().expect("count"), 4, "nothing erased");

    // The second import's one new person goes; the erasure is real.
    let undo = s.undo_import(skip.batch.expect("batch")).expect("undo");
    assert_eq!(undo.erased, 1);
    assert_eq!(s.count().expect("count"), 3);
    assert!(s.search("neu@example.de", 5).expect("search").is_empty());
}

#[test]
fn a_suppressed_address_is_refused_by_row_without_naming_it() {
    let (tmp, _clock, mut s) = vault_at(at(2026, 12, 4));
    let file = excel_file(tmp.path(), "Kunden.csv", EXCEL);
    import(&mut s, &[&file], &ImportOptions::default());
    let oezlem = find(&s, "Özlem");
    let req = s
        .open_request(&NewRequest {
            kind: RequestKind::Erasure,
            person: Some(oezlem),
            received: NaiveDate::from_ymd_opt(2026, 12, 4).expect("day"),
            identity_check: None,
        })
        .expect("request");
    s.erase_person(oezlem, &req.reference, true).expect("erase");

    let r = import(&mut s, &[&file], &ImportOptions::default());
    let f = &r.files[0];
    assert_eq!((f.suppressed, f.duplicates, f.imported), (1, 2, 0), "{f:?}");
    let refusal = f
        .problems
        .iter()
        .find(|p| p.line == 4)
        .expect("row 4 refused");
    assert!(refusal.reason.contains("suppressed"), "{}", refusal.reason);
    let json = serde_json::to_string(&r).expect("json");
    assert!(
        !json.contains("oezlem@example.de") && !json.contains("998877"),
        "{json}"
    );
    assert!(s.search("Özlem", 5).expect("search").is_empty());
}

#[test]
fn a_cancel_or_a_dry_run_writes_nothing_and_a_consent_purpose_is_refused() {
    let (tmp, _clock, mut s) = vault_at(at(2026, 12, 4));
    let mut big = String::from("Vorname;Nachname;E-Mail\r\n");
    for i in 0..1200 {
        big.push_str(&format!("Vor{i};Nach{i};p{i}@example.de\r\n"));
    }
    let file = excel_file(tmp.path(), "Gross.csv", &big);
    let mut seen = 0;
    let err = s
        .import_files(&[&file], &ImportOptions::default(), &mut |p| {
            seen += 1;
            p.done < 600
        })
        .expect_err("refused");
    assert_eq!(err.code(), ErrorCode::Cancelled);
    assert!(seen >= 3);
    assert_eq!(s.count().expect("count"), 0, "nothing half-imported");
    assert!(s.import_batches().expect("batches").is_empty());

    let dry = import(
        &mut s,
        &[&file],
        &ImportOptions {
            dry_run: true,
            ..ImportOptions::default()
        },
    );
    assert_eq!((dry.batch, dry.files[0].imported), (None, 1200));
    assert_eq!(s.count().expect("count"), 0);

    let consent = s
        .import_files(
            &[&file],
            &ImportOptions {
                purpose: Some("e-marketing".into()),
                ..ImportOptions::default()
            },
            &mut |_| true,
        )
        .expect_err("refused");
    assert!(
        consent.to_string().contains("rests on consent"),
        "{consent}"
    );

    // A file that is no list is reported; the other file still comes in.
    let png = tmp.path().join("foto.csv");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("png");
    let r = import(&mut s, &[&png, &file], &ImportOptions::default());
    assert!(
        r.files[0]
            .refused
            .as_deref()
            .is_some_and(|m| m.contains("not a text file"))
    );
    assert_eq!(r.files[1].imported, 1200);
}

#[test]
fn imported_people_and_their_source_reach_the_other_laptop() {
    let (tmp, clock, mut a) = vault_at(at(2026, 12, 4));
    let mut b = second_laptop(tmp.path(), &mut a, clock, "eve", Role::Sales);
    let file = excel_file(tmp.path(), "Kunden.csv", EXCEL);
    let r = import(
        &mut b,
        &[&file],
        &ImportOptions {
            source: Some("Messe Köln 2026".into()),
            ..ImportOptions::default()
        },
    );
    assert_eq!(r.files[0].imported, 3);
    b.sync().expect("sync b");
    a.sync().expect("sync a");
    let jw = find(&a, "Jürgen");
    assert_eq!(
        text(&a, jw, "source").as_deref(),
        Some("Import: Messe Köln 2026 (2026-12-04, eve)")
    );
    assert_eq!(a.import_batches().expect("batches").len(), 1);
    let v = a.contact(jw).expect("contact");
    assert!(matches!(
        v.field("emails").expect("emails").value,
        FieldValue::Value { .. }
    ));
}

#[test]
fn a_batch_rewritten_by_a_patched_laptop_cannot_make_an_undo_erase_others() {
    let (tmp, clock, mut a) = vault_at(at(2026, 12, 4));
    let victim = a
        .add_person(&tresor_core::model::contacts::PersonInput::default().with_name("Vera Opfer"))
        .expect("victim");
    let mut b = second_laptop(tmp.path(), &mut a, clock, "eve", Role::Sales);
    let file = excel_file(tmp.path(), "Kunden.csv", EXCEL);
    let r = import(&mut b, &[&file], &ImportOptions::default());
    let mut batch = b.import_batches().expect("batches").remove(0);
    // Eve's patched program adds Vera to the batch before it is sent.
    batch.created.push(victim);
    batch.from = "0".into();
    b.patch_outbox_value("batch", &serde_json::to_string(&batch).expect("json"))
        .expect("patch");
    b.sync().expect("sync b");
    a.sync().expect("sync a");

    let refused = a.undo_import(r.batch.expect("batch")).expect_err("refused");
    assert!(refused.to_string().contains("did not create"), "{refused}");
    assert!(a.contact(victim).is_ok(), "Vera is still there");
    assert_eq!(a.count().expect("count"), 4);
}

#[test]
fn duplicates_already_in_the_vault_are_found_in_groups() {
    let (tmp, _clock, mut s) = vault_at(at(2026, 12, 4));
    let file = excel_file(tmp.path(), "Kunden.csv", EXCEL);
    import(&mut s, &[&file], &ImportOptions::default());
    // Typed by hand later: the same Jürgen by email, Özlem by her phone.
    let jw2 = s
        .add_person(
            &tresor_core::model::contacts::PersonInput::default()
                .with_name("J. Weiss")
                .with("emails", FieldInput::List(vec!["JW@example.de".into()])),
        )
        .expect("jw2");
    let oy2 = s
        .add_person(
            &tresor_core::model::contacts::PersonInput::default()
                .with_name("Özlem Yilmaz-Kaya")
                .with("phones", FieldInput::List(vec!["+49 221 998877".into()])),
        )
        .expect("oy2");
    let groups = s.duplicates().expect("duplicates");
    assert_eq!(groups.len(), 2, "{groups:?}");
    let with = |id: RecordId| {
        groups
            .iter()
            .find(|g| g.people.iter().any(|p| p.id == id))
            .expect("group")
    };
    assert_eq!(with(jw2).people.len(), 2);
    assert_eq!(with(jw2).why, vec!["the same email address"]);
    assert_eq!(with(oy2).why, vec!["the same phone number"]);
    assert!(with(oy2).people.iter().any(|p| p.display == "Özlem Yilmaz"));
}

#[test]
fn an_excel_sheet_is_imported_like_a_list() {
    let (tmp, _clock, mut s) = vault_at(at(2026, 12, 4));
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in ["First Name", "Last Name", "E-mail Address", "Mobile Phone"]
        .iter()
        .enumerate()
    {
        ws.write_string(0, c as u16, *h).expect("header");
    }
    for (r, row) in [
        ["Jürgen", "Weiß", "jw@example.de", "0171 2223334"],
        ["Özlem", "Kaya", "", ""],
    ]
    .iter()
    .enumerate()
    {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, *v).expect("cell");
            }
        }
    }
    let path = tmp.path().join("Kunden.xlsx");
    std::fs::write(&path, wb.save_to_buffer().expect("xlsx")).expect("write");
    let r = import(&mut s, &[&path], &ImportOptions::default());
    let f = &r.files[0];
    assert_eq!(
        (f.reading.format.as_str(), f.imported),
        ("xlsx", 2),
        "{f:?}"
    );
    assert_eq!(f.reading.looks_like.as_deref(), Some("Outlook (English)"));
    let jw = find(&s, "Jürgen");
    assert_eq!(text(&s, jw, "phones").as_deref(), Some("0171 2223334"));
    assert_eq!(
        text(&s, jw, "source").as_deref(),
        Some("Import: Kunden.xlsx (2026-12-04, dora)")
    );
}

/// An Android phone's export in UTF-16 with a byte-order mark, and an old
/// Outlook card in raw Latin-1 (8-bit, no quoted-printable): both read,
/// a card without a name reported by its line.
#[test]
fn address_books_in_vcard_come_in_whatever_their_encoding() {
    let (tmp, _clock, mut s) = vault_at(at(2026, 12, 4));
    let android = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Yılmaz;Özlem;;;\r\nFN:Özlem Yılmaz\r\n\
        TEL;TYPE=CELL:+49 171 5550100\r\nEMAIL;TYPE=HOME:oezlem@example.de\r\nEND:VCARD\r\n\
        BEGIN:VCARD\r\nVERSION:3.0\r\nTEL:+49 30 1\r\nEND:VCARD\r\n";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(android.encode_utf16().flat_map(u16::to_le_bytes));
    let phone = tmp.path().join("Kontakte.vcf");
    std::fs::write(&phone, &utf16).expect("write");
    let outlook = tmp.path().join("Weiß.vcf");
    std::fs::write(
        &outlook,
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nN:Wei\xdf;J\xfcrgen;;Herr\r\nORG:B\xe4ckerei Wei\xdf\r\n\
          ADR;WORK:;;Hauptstra\xdfe 1;K\xf6ln;;50667;Deutschland\r\nEND:VCARD\r\n",
    )
    .expect("write");
    let r = import(&mut s, &[&phone, &outlook], &ImportOptions::default());
    let (a, b) = (&r.files[0], &r.files[1]);
    assert_eq!(
        (a.reading.format.as_str(), a.reading.encoding.as_str()),
        ("vcard", "UTF-16LE")
    );
    assert_eq!((a.read, a.imported), (2, 1));
    assert_eq!(a.problems.len(), 1);
    assert_eq!(a.problems[0].line, 8);
    assert_eq!(b.reading.encoding, "windows-1252");
    assert_eq!(b.imported, 1);

    let oe = find(&s, "Özlem");
    assert_eq!(text(&s, oe, "family_name").as_deref(), Some("Yılmaz"));
    assert_eq!(text(&s, oe, "phones").as_deref(), Some("+49 171 5550100"));
    let jw = find(&s, "Jürgen");
    assert_eq!(text(&s, jw, "salutation").as_deref(), Some("mr"));
    assert_eq!(
        text(&s, jw, "addresses").as_deref(),
        Some("Hauptstraße 1\n50667 Köln")
    );
    let view = s.contact(jw).expect("contact");
    assert_eq!(view.companies[0].name, "Bäckerei Weiß");
}

/// A mapping given for a file is kept on this laptop for the next file
/// with the same columns; a dry run keeps nothing, and a mapping given
/// then goes over the saved one column by column.
#[test]
fn a_mapping_is_offered_again_for_a_file_with_the_same_columns() {
    use tresor_core::model::import::columns::Mapping;
    let (tmp, _clock, mut s) = vault_at(at(2026, 12, 4));
    let write = |name: &str, text: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let first = write("a.csv", "Kunde;Nr;Wohnort\nMax Muster;K-1;Bonn\n");
    let mapping =
        Mapping::from_json(r#"{"columns": {"Kunde": "name", "Nr": "note"}}"#).expect("mapping");
    let with = |dry_run: bool, mapping: Option<Mapping>| ImportOptions {
        mapping,
        dry_run,
        ..ImportOptions::default()
    };
    let dry = import(&mut s, &[&first], &with(true, Some(mapping.clone())));
    assert!(!dry.files[0].reading.saved_mapping);
    let second = write("b.csv", "kunde;NR;Wohnort\nErika Beispiel;K-2;Trier\n");
    let refused = import(&mut s, &[&second], &with(true, None));
    assert!(
        refused.files[0].refused.is_some(),
        "a dry run saved nothing"
    );

    import(&mut s, &[&first], &with(false, Some(mapping)));
    let r = import(&mut s, &[&second], &with(false, None));
    let f = &r.files[0];
    assert!(f.reading.saved_mapping, "{f:?}");
    assert_eq!(f.imported, 1);
    let erika = find(&s, "Beispiel");
    assert_eq!(text(&s, erika, "note").as_deref(), Some("K-2"));

    // Given over the saved one: the number is left out this time.
    let third = write("c.csv", "Kunde;Nr;Wohnort\nOtto Dritter;K-3;Ulm\n");
    let over = Mapping::from_json(r#"{"columns": {"NR": null}}"#).expect("mapping");
    let r = import(&mut s, &[&third], &with(false, Some(over)));
    assert!(r.files[0].reading.saved_mapping);
    let otto = find(&s, "Dritter");
    assert_eq!(text(&s, otto, "note"), None);
    assert_eq!(
        r.files[0].reading.columns[0],
        ("Kunde".into(), Some("name".into()))
    );
}
