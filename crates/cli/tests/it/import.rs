//! `tresor import` with the real binary: a German Excel list saved as
//! "CSV (Trennzeichen-getrennt)" (Windows-1252, semicolons, CRLF), its
//! report with the bad row's line, a second import that finds the
//! duplicates, `import list`, and `import undo`, which erases what the
//! import created and is refused to a role that may not erase.

use crate::support::Vault;

/// "Jürgen Weiß", "Özlem Kaya", a row without a name: Windows-1252 bytes.
const EXCEL: &[u8] = b"Anrede;Vorname;Nachname;Firma;Stra\xdfe;PLZ;Ort;Telefon;E-Mail;Bemerkung\r\n\
Herr;J\xfcrgen;Wei\xdf;B\xe4ckerei Wei\xdf;Hauptstr. 1;10115;Berlin;030 1234567;jw@example.de;\"Stammkunde;\r\nsamstags\"\r\n\
Frau;\xd6zlem;Kaya;;Am Ring 2;50667;K\xf6ln;0221 998877;ok@example.de;\r\n\
;;;Nur Firma GmbH;;;;;;\r\n";

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("json")
}

#[test]
fn an_excel_list_is_imported_reported_found_again_and_undone() {
    let v = Vault::new();
    v.init();
    let file = v.file("Kunden.csv");
    std::fs::write(&file, EXCEL).expect("write");
    let path = file.to_str().expect("path");

    let dry = v.admin(&["import", path, "--dry-run"]);
    assert!(dry.contains("Dry run: nothing was written."), "{dry}");
    assert!(!v.admin(&["contact", "list"]).contains("Weiß"));

    let said = v.admin(&["import", path]);
    assert!(
        said.contains("Kunden.csv: CSV, windows-1252, delimiter ';'"),
        "{said}"
    );
    assert!(said.contains("read 3, imported 2"), "{said}");
    assert!(said.contains("line 5: has no name"), "{said}");
    let batch = said
        .lines()
        .find_map(|l| l.strip_prefix("Batch "))
        .and_then(|l| l.split(':').next())
        .expect("batch id")
        .to_owned();

    let found = json(&v.admin(&["--json", "contact", "search", "Weiß"]));
    let id = found[0]["id"].as_str().expect("id").to_owned();
    let shown = json(&v.admin(&["--json", "contact", "show", &id]));
    let fields = shown["fields"].as_array().expect("fields");
    let value = |name: &str| {
        fields
            .iter()
            .find(|f| f["name"] == name)
            .map(|f| f["value"]["value"].clone())
            .unwrap_or_default()
    };
    assert_eq!(value("given_name"), "Jürgen");
    assert_eq!(value("note"), "Stammkunde;\r\nsamstags");
    assert!(
        value("source")
            .as_str()
            .is_some_and(|s| s.starts_with("Import: Kunden.csv (") && s.ends_with(", ada)")),
        "{shown}"
    );

    let again = json(&v.admin(&["--json", "import", path]));
    assert_eq!(again["files"][0]["duplicates"], 2, "{again}");
    assert_eq!(again["files"][0]["imported"], 0);

    assert_eq!(v.admin(&["duplicates"]).trim(), "No duplicates found.");
    v.admin(&[
        "contact",
        "add",
        "--name",
        "J. Weiss",
        "--email",
        "jw@example.de",
    ]);
    let dups = json(&v.admin(&["--json", "duplicates"]));
    assert_eq!(
        dups[0]["people"].as_array().map(Vec::len),
        Some(2),
        "{dups}"
    );
    assert_eq!(dups[0]["why"][0], "the same email address");

    let list = v.admin(&["import", "list"]);
    assert!(
        list.contains(&batch) && list.contains("2 created"),
        "{list}"
    );

    // A sales user may import but not erase what an import created.
    v.add_user("sam", "sales", "sales.pw");
    let refused = v.run_as("sales.pw", &["--user", "sam", "import", "undo", &batch]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("may not erase people"), "{err}");

    let undone = v.admin(&["import", "undo", &batch]);
    assert!(undone.contains("2 people erased"), "{undone}");
    assert_eq!(v.admin(&["duplicates"]).trim(), "No duplicates found.");
    assert!(!v.admin(&["contact", "list"]).contains("Weiß"));
    let twice = v.run_as("admin.pw", &["import", "undo", &batch]);
    assert!(String::from_utf8_lossy(&twice.stderr).contains("undone already"));

    // Two records of one person made one.
    let dups = json(&v.admin(&["--json", "duplicates"]));
    assert_eq!(dups.as_array().map(Vec::len), Some(0), "{dups}");
    for name in ["Grete Groß", "G. Groß"] {
        v.admin(&[
            "contact",
            "add",
            "--name",
            name,
            "--email",
            "grete@example.de",
        ]);
    }
    let dups = json(&v.admin(&["--json", "duplicates"]));
    let ids: Vec<String> = dups[0]["people"]
        .as_array()
        .expect("people")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_owned())
        .collect();
    let merged = v.admin(&["duplicates", "merge", &ids[0], &ids[1]]);
    assert!(
        merged.contains(&format!("{} is erased", ids[1])),
        "{merged}"
    );
    assert_eq!(v.admin(&["duplicates"]).trim(), "No duplicates found.");
    let again = v.run_as("admin.pw", &["duplicates", "merge", &ids[0], &ids[1]]);
    assert!(!again.status.success(), "the second record is gone");
    let refused = v.run_as(
        "sales.pw",
        &["--user", "sam", "duplicates", "merge", &ids[0], &ids[1]],
    );
    assert!(String::from_utf8_lossy(&refused.stderr).contains("may not"));
}

#[test]
fn a_file_without_known_columns_is_refused_until_mapped() {
    let v = Vault::new();
    v.init();
    let file = v.file("liste.csv");
    std::fs::write(&file, "Kunde,Wohnort\nMax Muster,Bonn\n").expect("write");
    let path = file.to_str().expect("path");
    let said = v.admin(&["import", path]);
    assert!(
        said.contains("liste.csv: not imported: columns: none of the columns is a name"),
        "{said}"
    );

    let mapping = v.file("mapping.json");
    std::fs::write(
        &mapping,
        r#"{"columns": {"Kunde": "name", "Wohnort": "city"}}"#,
    )
    .expect("write");
    let said = v.admin(&["import", path, "--mapping", mapping.to_str().expect("path")]);
    assert!(said.contains("imported 1"), "{said}");
    let rows = json(&v.admin(&["--json", "contact", "search", "Muster"]));
    assert_eq!(rows[0]["city"], "Bonn", "{rows}");

    // The next file with these columns is read with the same mapping.
    let next = v.file("liste-2.csv");
    std::fs::write(
        &next,
        "Kunde,Wohnort
Erika Beispiel,Trier
",
    )
    .expect("write");
    let said = v.admin(&["import", next.to_str().expect("path")]);
    assert!(
        said.contains("columns mapped as for the last file"),
        "{said}"
    );
    assert!(said.contains("imported 1"), "{said}");
    let rows = json(&v.admin(&["--json", "contact", "search", "Beispiel"]));
    assert_eq!(rows[0]["city"], "Trier", "{rows}");
}

#[test]
fn contacts_go_out_as_vcard_and_as_a_csv_that_comes_back_in() {
    let v = Vault::new();
    v.init();
    let file = v.file("Kunden.csv");
    std::fs::write(&file, EXCEL).expect("write");
    v.admin(&["import", file.to_str().expect("path")]);
    let found = json(&v.admin(&["--json", "contact", "search", "Özlem"]));
    let oezlem = found[0]["id"].as_str().expect("id").to_owned();
    v.admin(&["contact", "edit", &oezlem, "--tag", "VIP"]);

    let vcf = v.file("vip.vcf");
    let said = v.admin(&[
        "export",
        "contacts",
        "--format",
        "vcard",
        "--tag",
        "vip",
        "--out",
        vcf.to_str().expect("path"),
    ]);
    assert!(said.contains("Wrote 1 person to"), "{said}");
    let text = std::fs::read_to_string(&vcf).expect("vcf");
    assert!(text.contains("FN:Özlem Kaya\r\n"), "{text}");
    assert!(text.contains("ADR:;;Am Ring 2;Köln;;50667;\r\n"), "{text}");
    assert!(!text.contains("Weiß"));

    let csv = v.file("alle.csv");
    let e = json(&v.admin(&[
        "--json",
        "export",
        "contacts",
        "--format",
        "csv",
        "--out",
        csv.to_str().expect("path"),
    ]));
    assert_eq!(e["count"], 2, "{e}");
    let text = std::fs::read_to_string(&csv).expect("csv");
    assert!(
        text.starts_with("\u{feff}Anrede,Titel,Vorname,Nachname,Firma"),
        "{text}"
    );
    assert!(text.contains("Herr,,Jürgen,Weiß,Bäckerei Weiß"), "{text}");

    // The person's legal-basis view names the export.
    let shown = v.admin(&["consent", "show", &oezlem]);
    assert!(shown.contains("Export of contacts (csv)"), "{shown}");

    // Into a second vault, as the same two people.
    let w = Vault::new();
    w.init();
    let said = w.admin(&["import", csv.to_str().expect("path")]);
    assert!(said.contains("read 2, imported 2"), "{said}");
    let again = json(&w.admin(&["--json", "contact", "search", "Jürgen"]));
    assert_eq!(again.as_array().map(Vec::len), Some(1), "{again}");
    // The vCard of the same person is found to be her.
    let said = w.admin(&["import", vcf.to_str().expect("path")]);
    assert!(
        said.contains("vip.vcf: vCard, UTF-8, looks like vCard 4.0"),
        "{said}"
    );
    let dups = json(&w.admin(&["--json", "import", vcf.to_str().expect("path")]));
    assert_eq!(dups["files"][0]["duplicates"], 1, "{dups}");

    // An agent may not export.
    v.add_user("ali", "agent", "agent.pw");
    let refused = v.run_as(
        "agent.pw",
        &[
            "--user",
            "ali",
            "export",
            "contacts",
            "--format",
            "csv",
            "--out",
            csv.to_str().expect("path"),
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("may not export contacts"));
}
