//! Data-subject requests through the `tresor` command: deadlines, the
//! overdue list, the one extension Art. 12(3) allows, closing, and roles.

use crate::support::{Vault, days_ago, unzip, verify_totals};

#[test]
fn requests_have_deadlines_an_overdue_list_one_extension_and_an_end() {
    let v = Vault::new();
    v.init();
    let id = v
        .admin(&["contact", "add", "--name", "Erika Mustermann"])
        .trim()
        .to_owned();
    let late = v
        .admin(&[
            "request",
            "open",
            "--kind",
            "access",
            "--contact",
            &id,
            "--received",
            &days_ago(40),
            "--identity-check",
            "ID card shown at the counter",
        ])
        .trim()
        .to_owned();
    assert!(late.starts_with("REQ-"), "{late}");
    let fresh = v
        .admin(&[
            "request",
            "open",
            "--kind",
            "erasure",
            "--received",
            &days_ago(1),
        ])
        .trim()
        .to_owned();

    let overdue = v.admin(&["request", "list", "--overdue"]);
    assert!(
        overdue.contains(&late) && !overdue.contains(&fresh),
        "{overdue}"
    );

    v.admin(&[
        "request",
        "extend",
        &late,
        "--reason",
        "many records in archives",
    ]);
    let shown: serde_json::Value =
        serde_json::from_str(&v.admin(&["--json", "request", "show", &late])).expect("json");
    assert_eq!(shown["overdue"], false, "three months after receipt now");
    assert_eq!(
        shown["request"]["identity_check"],
        "ID card shown at the counter"
    );
    assert_eq!(shown["request"]["person"], id.as_str());
    let twice = v.run_as(
        "admin.pw",
        &["request", "extend", &late, "--reason", "again"],
    );
    assert_eq!(twice.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already extended"));

    v.admin(&[
        "request",
        "close",
        &late,
        "--outcome",
        "package sent by post",
    ]);
    let shown: serde_json::Value =
        serde_json::from_str(&v.admin(&["--json", "request", "show", &late.to_lowercase()]))
            .expect("json");
    assert_eq!(shown["request"]["status"], "closed");
    assert_eq!(shown["request"]["outcome"], "package sent by post");
    assert!(
        v.admin(&["request", "list", "--overdue"])
            .contains("No requests.")
    );

    // Bad input: usage errors exit 2, refusals exit 1, nothing is written.
    let kind = v.run_as(
        "admin.pw",
        &[
            "request",
            "open",
            "--kind",
            "gossip",
            "--received",
            &days_ago(1),
        ],
    );
    assert_eq!(kind.status.code(), Some(2));
    let future = v.run_as(
        "admin.pw",
        &[
            "request",
            "open",
            "--kind",
            "access",
            "--received",
            &days_ago(-3),
        ],
    );
    assert_eq!(future.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&future.stderr).contains("in the future"));
    let all: serde_json::Value =
        serde_json::from_str(&v.admin(&["--json", "request", "list"])).expect("json");
    assert_eq!(all.as_array().map(Vec::len), Some(2));

    // Sales staff neither see nor handle requests.
    v.add_user("sam", "sales", "sales.pw");
    let sales = v
        .command("sales.pw", &["--user", "sam", "request", "list"])
        .output()
        .expect("run");
    assert_eq!(sales.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&sales.stderr).contains("may not see data-subject requests"));
}

#[test]
fn erasure_removes_every_trace_and_verify_proves_it() {
    let v = Vault::new();
    v.init();
    let markers = [
        "Zyxwvutsname",
        "zyxwv-mail@example.de",
        "Zyxwvnote secret",
        "Zyxwvcall summary",
        "Zyxwvevidence",
    ];
    let keep = v
        .admin(&[
            "contact",
            "add",
            "--name",
            "Bleibt Hier",
            "--email",
            "bleibt@example.de",
        ])
        .trim()
        .to_owned();
    let id = v
        .admin(&[
            "contact",
            "add",
            "--name",
            &format!("Erika {}", markers[0]),
            "--email",
            markers[1],
            "--note",
            markers[2],
            "--company",
            "Beispiel GmbH",
            "--tag",
            "kunde",
        ])
        .trim()
        .to_owned();
    v.admin(&[
        "interaction",
        "add",
        &id,
        "--kind",
        "call",
        "--summary",
        markers[3],
        "--text",
        "more Zyxwvnote secret",
    ]);
    v.admin(&[
        "consent",
        "give",
        &id,
        "--purpose",
        "e-marketing",
        "--channel",
        "email",
        "--source",
        "web_form",
        "--evidence",
        markers[4],
    ]);
    v.admin(&["contact", "edit", &id, "--family-name", "Zyxwvutsname-Neu"]);
    // A released package's record names its file: it must go with the person.
    let zip = v.file("Zyxwvutsname.zip");
    // Never into the vault's own folder (a backup of it would carry it).
    let inside = v.dir().join("package.zip");
    let refused = v.run_as(
        "admin.pw",
        &[
            "dsar",
            "export",
            &id,
            "--out",
            inside.to_str().expect("path"),
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("vault's own folder"));
    assert!(!inside.exists());
    v.admin(&["dsar", "export", &id, "--out", zip.to_str().expect("path")]);
    std::fs::remove_file(&zip).expect("the package left the building");
    let text_args: Vec<&str> = markers.iter().flat_map(|m| ["--text", *m]).collect();
    let mut verify = vec!["erasure", "verify"];
    verify.extend(&text_args);

    // Before: every marker is found, the sealed note included.
    let before = v.run_as("admin.pw", &{
        let mut a = vec!["--json"];
        a.extend(&verify);
        a
    });
    assert_eq!(
        before.status.code(),
        Some(1),
        "markers must be found before"
    );
    let totals = verify_totals(&before.stdout, 5);
    assert!(
        totals.iter().all(|t| *t > 0),
        "each marker found before: {totals:?}"
    );

    // An erasure needs an erasure request about this person.
    let access = v
        .admin(&[
            "request",
            "open",
            "--kind",
            "access",
            "--contact",
            &id,
            "--received",
            &days_ago(2),
        ])
        .trim()
        .to_owned();
    let wrong = v.run_as("admin.pw", &["contact", "erase", &id, "--request", &access]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("not for erasure"));
    let req = v
        .admin(&[
            "request",
            "open",
            "--kind",
            "erasure",
            "--contact",
            &id,
            "--received",
            &days_ago(2),
        ])
        .trim()
        .to_owned();
    let erased = v.admin(&["contact", "erase", &id, "--request", &req]);
    assert!(erased.contains(&req), "{erased}");

    // After: nothing anywhere, decrypted pages, sealed values and files alike.
    let after = v.run_as("admin.pw", &verify);
    assert!(
        after.status.success(),
        "markers remain: {}",
        String::from_utf8_lossy(&after.stdout)
    );
    assert!(String::from_utf8_lossy(&after.stdout).contains("None of the texts remains."));
    let shown = v.run_as("admin.pw", &["contact", "show", &id]);
    assert_eq!(shown.status.code(), Some(1));
    // The other person and the request (naming only the id) stay.
    assert!(v.admin(&["contact", "show", &keep]).contains("Bleibt"));
    let r: serde_json::Value =
        serde_json::from_str(&v.admin(&["--json", "request", "show", &req])).expect("json");
    assert_eq!(r["request"]["person"], id.as_str());
    // Verify refuses texts too short to mean anything.
    let short = v.run_as("admin.pw", &["erasure", "verify", "--text", "ab"]);
    assert_eq!(short.status.code(), Some(1));
}

#[test]
fn exports_written_earlier_are_named_by_the_erasure_and_searched_by_verify() {
    let v = Vault::new();
    v.init();
    let id = v
        .admin(&[
            "contact",
            "add",
            "--name",
            "Erika Zyxwvexport",
            "--email",
            "zyxwv-export@example.de",
        ])
        .trim()
        .to_owned();
    let other = v
        .admin(&[
            "contact",
            "add",
            "--name",
            "Bleibt Hier",
            "--email",
            "bleibt@example.de",
        ])
        .trim()
        .to_owned();
    for person in [&id, &other] {
        v.admin(&[
            "consent",
            "give",
            person,
            "--purpose",
            "e-marketing",
            "--channel",
            "email",
            "--source",
            "web_form",
        ]);
    }
    // What an office writes into its export folder over time.
    let exports = v.file("exports");
    std::fs::create_dir_all(&exports).expect("exports");
    let path = |name: &str| exports.join(name).to_str().expect("path").to_owned();
    v.admin(&["legal-basis", "export", &id, "--out", &path("lb.xlsx")]);
    v.admin(&[
        "mailing",
        "export",
        "--purpose",
        "e-marketing",
        "--channel",
        "email",
        "--out",
        &path("list.csv"),
    ]);
    let pw = v.file("package.pw");
    std::fs::write(&pw, "a long package passphrase").expect("pw");
    v.admin(&[
        "dsar",
        "export",
        &id,
        "--out",
        &path("sealed.zip"),
        "--encrypt",
        "--package-passphrase-file",
        pw.to_str().expect("path"),
    ]);
    std::fs::write(exports.join("other.txt"), "nothing about her").expect("other");
    // A family name alone is too common a text to count as her.
    std::fs::write(exports.join("family-only.txt"), "Herr Zyxwvexport, Lager").expect("family");
    let verify = [
        "--json",
        "erasure",
        "verify",
        "--text",
        "Zyxwvexport",
        "--dir",
        exports.to_str().expect("path"),
    ];
    let before = v.run_as("admin.pw", &verify);
    assert_eq!(before.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&before.stdout).expect("json");
    let found = |report: &serde_json::Value, file: &str| -> u64 {
        report["places"]
            .as_array()
            .expect("places")
            .iter()
            .filter(|p| p["place"].as_str().is_some_and(|n| n.contains(file)))
            .map(|p| p["counts"][0].as_u64().unwrap_or(0))
            .sum()
    };
    // Inside the spreadsheet (a ZIP of XML) and in the CSV; the encrypted
    // package cannot be read and says so.
    assert!(found(&report, "lb.xlsx") > 0, "{report}");
    assert!(found(&report, "list.csv") > 0, "{report}");
    assert_eq!(found(&report, "other.txt"), 0);
    assert!(
        report["places"]
            .as_array()
            .expect("places")
            .iter()
            .any(
                |p| p["place"].as_str().is_some_and(|n| n.contains("sealed.zip")
                    && n.contains("encrypted with a passphrase, not searched"))
            ),
        "{report}"
    );

    let req = open_request(&v, "erasure", &id);
    let erased: serde_json::Value = serde_json::from_str(&v.admin(&[
        "--json",
        "contact",
        "erase",
        &id,
        "--request",
        &req,
        "--files-in",
        exports.to_str().expect("path"),
    ]))
    .expect("json");
    let mut files: Vec<String> = erased["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f.as_str().expect("path").to_owned())
        .collect();
    files.sort();
    // The spreadsheet and the list by their contents, the encrypted
    // package by the SHA-256 its release recorded.
    assert_eq!(
        files,
        vec![path("lb.xlsx"), path("list.csv"), path("sealed.zip")]
    );
    // The vault is clean; the folder is not, until the files are deleted.
    let still = v.run_as("admin.pw", &verify);
    assert_eq!(still.status.code(), Some(1));
    let still: serde_json::Value = serde_json::from_slice(&still.stdout).expect("json");
    assert!(found(&still, "lb.xlsx") > 0);
    for f in &files {
        std::fs::remove_file(f).expect("delete");
    }
    std::fs::remove_file(exports.join("family-only.txt")).expect("delete");
    let after = v.run_as("admin.pw", &verify);
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stdout)
    );
}

fn open_request(v: &Vault, kind: &str, id: &str) -> String {
    v.admin(&[
        "request",
        "open",
        "--kind",
        kind,
        "--contact",
        id,
        "--received",
        &days_ago(1),
    ])
    .trim()
    .to_owned()
}

fn mailing(v: &Vault, purpose: &str, name: &str) -> String {
    let out = v.file(name);
    v.admin(&[
        "mailing",
        "export",
        "--purpose",
        purpose,
        "--channel",
        "email",
        "--out",
        out.to_str().expect("path"),
    ]);
    std::fs::read_to_string(out).expect("csv")
}

#[test]
fn restriction_objection_and_suppression() {
    let v = Vault::new();
    v.init();
    let rita = v
        .admin(&[
            "contact",
            "add",
            "--name",
            "Rita Ruhig",
            "--email",
            "rita@example.de",
            "--phone",
            "+49 171 1111111",
        ])
        .trim()
        .to_owned();
    let otto = v
        .admin(&[
            "contact",
            "add",
            "--name",
            "Otto Qwfpgoffen",
            "--email",
            "otto@example.de",
        ])
        .trim()
        .to_owned();
    for p in [&rita, &otto] {
        v.admin(&[
            "consent",
            "give",
            p,
            "--purpose",
            "e-marketing",
            "--channel",
            "email",
            "--source",
            "web_form",
        ]);
    }

    // Restriction: read-only and out of every list, until lifted.
    let req = open_request(&v, "restriction", &rita);
    v.admin(&["contact", "restrict", &rita, "--request", &req]);
    let edit = v.run_as("admin.pw", &["contact", "edit", &rita, "--title", "Dr."]);
    assert_eq!(edit.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&edit.stderr).contains("restricted since"));
    let call = v.run_as(
        "admin.pw",
        &[
            "interaction",
            "add",
            &rita,
            "--kind",
            "call",
            "--summary",
            "x",
        ],
    );
    assert_eq!(call.status.code(), Some(1));
    let list = mailing(&v, "e-marketing", "r1.csv");
    assert!(
        list.contains("otto@example.de") && !list.contains("rita@example.de"),
        "{list}"
    );
    let shown = v.run_as("admin.pw", &["contact", "show", &rita]);
    assert!(String::from_utf8_lossy(&shown.stderr).contains("RESTRICTED"));
    // Listed, so staff find the record, and marked; the others are not.
    let listed = v.admin(&["contact", "list"]);
    let line = |id: &str| -> String {
        listed
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} not listed: {listed}"))
            .to_owned()
    };
    assert!(line(&rita).ends_with("[RESTRICTED]"), "{listed}");
    assert!(!line(&otto).contains("RESTRICTED"), "{listed}");
    let found: serde_json::Value =
        serde_json::from_str(&v.admin(&["--json", "contact", "search", "Rita"])).expect("json");
    assert_eq!(found[0]["restricted"], true, "{found}");
    v.admin(&["contact", "unrestrict", &rita]);
    v.admin(&["contact", "edit", &rita, "--title", "Dr."]);
    assert!(mailing(&v, "e-marketing", "r2.csv").contains("rita@example.de"));

    // Objection to direct marketing: at once, on every channel, and suppressed.
    let wrong = v.run_as(
        "admin.pw",
        &[
            "contact",
            "object",
            &rita,
            "--purpose",
            "e-marketing",
            "--request",
            &req,
        ],
    );
    assert_eq!(
        wrong.status.code(),
        Some(1),
        "a restriction request is not an objection"
    );
    let obj = open_request(&v, "objection", &rita);
    let said = v.admin(&[
        "contact",
        "object",
        &rita,
        "--purpose",
        "e-marketing",
        "--request",
        &obj,
    ]);
    assert!(said.contains("2 addresses are suppressed"), "{said}");
    assert!(!mailing(&v, "e-marketing", "r3.csv").contains("rita@example.de"));
    let view: serde_json::Value =
        serde_json::from_str(&v.admin(&["--json", "consent", "show", &rita])).expect("json");
    let em = &view["purposes"][1];
    assert_eq!(em["lawful"], false);
    assert!(
        em["channels"]
            .as_array()
            .expect("channels")
            .iter()
            .all(|c| c["state"] == "withdrawn")
    );
    // The person keeps their own record: saving it with their own
    // (now suppressed) addresses is no new entry.
    v.admin(&[
        "contact",
        "edit",
        &rita,
        "--email",
        "rita@example.de",
        "--phone",
        "+49 171 1111111",
        "--title",
        "Prof.",
    ]);
    assert!(v.admin(&["contact", "show", &rita]).contains("Prof."));

    // The suppressed address is flagged on a new entry, whatever its spelling.
    let again = v.run_as(
        "admin.pw",
        &[
            "contact",
            "add",
            "--name",
            "Rita Neu",
            "--email",
            "RITA@example.de",
        ],
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("is suppressed"));
    let phone = v.run_as(
        "admin.pw",
        &[
            "contact",
            "add",
            "--name",
            "Rita Tel",
            "--phone",
            "0171 1111111",
        ],
    );
    assert_eq!(
        phone.status.code(),
        Some(1),
        "the national form of a suppressed number"
    );
    v.admin(&[
        "contact",
        "add",
        "--name",
        "Rita Neu",
        "--email",
        "rita@example.de",
        "--allow-suppressed",
        "asked in writing to be a customer again",
    ]);

    // Erasure with --suppress: the person is gone, a re-import is flagged.
    let er = open_request(&v, "erasure", &otto);
    v.admin(&["contact", "erase", &otto, "--request", &er, "--suppress"]);
    let back = v.run_as(
        "admin.pw",
        &[
            "contact",
            "add",
            "--name",
            "Otto Zurück",
            "--email",
            "otto@example.de",
        ],
    );
    assert_eq!(back.status.code(), Some(1));
    // Nor can the address come back through an edit.
    let plain = v
        .admin(&["contact", "add", "--name", "Otto Ohne"])
        .trim()
        .to_owned();
    let sneaky = v.run_as(
        "admin.pw",
        &["contact", "edit", &plain, "--email", "otto@example.de"],
    );
    assert_eq!(sneaky.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&sneaky.stderr).contains("is suppressed"));
    let clean = v.run_as(
        "admin.pw",
        &[
            "erasure",
            "verify",
            "--text",
            "otto@example.de",
            "--text",
            "Qwfpgoffen",
        ],
    );
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stdout)
    );
}

/// Erasing the phones alone with `--suppress` suppresses them first: a
/// later erasure of the whole person no longer sees them, and the number
/// must still not come back.
#[test]
fn phones_erased_as_fields_with_suppress_stay_suppressed() {
    let v = Vault::new();
    v.init();
    let paula = v
        .admin(&[
            "contact",
            "add",
            "--name",
            "Paula Feld",
            "--email",
            "paula@example.de",
            "--phone",
            "+49 171 2222222",
        ])
        .trim()
        .to_owned();
    let req = open_request(&v, "erasure", &paula);
    let said = v.admin(&[
        "contact",
        "erase",
        &paula,
        "--request",
        &req,
        "--fields",
        "phones",
        "--suppress",
    ]);
    assert!(
        said.contains("1 addresses put on the suppression list"),
        "{said}"
    );
    assert!(!v.admin(&["contact", "show", &paula]).contains("2222222"));
    let req = open_request(&v, "erasure", &paula);
    v.admin(&["contact", "erase", &paula, "--request", &req, "--suppress"]);
    for (flag, value) in [("--phone", "0171 2222222"), ("--email", "paula@example.de")] {
        let back = v.run_as(
            "admin.pw",
            &["contact", "add", "--name", "Paula Zurück", flag, value],
        );
        assert_eq!(back.status.code(), Some(1), "{value}");
        assert!(String::from_utf8_lossy(&back.stderr).contains("is suppressed"));
    }
}

#[test]
fn the_access_package_holds_everything_about_the_person() {
    let v = Vault::new();
    v.init();
    let id = v
        .admin(&[
            "contact",
            "add",
            "--name",
            "Jörg Paketmann",
            "--email",
            "joerg@example.de",
            "--phone",
            "+49 30 123456",
            "--company",
            "Paket GmbH",
            "--role",
            "Einkauf",
            "--note",
            "Notiz-Marker",
            "--tag",
            "stammkunde",
        ])
        .trim()
        .to_owned();
    v.admin(&[
        "contact",
        "edit",
        &id,
        "--birthday",
        "1970-05-04",
        "--language",
        "de",
    ]);
    for n in 1..=3 {
        v.admin(&[
            "interaction",
            "add",
            &id,
            "--kind",
            "call",
            "--summary",
            &format!("Anruf-{n}"),
            "--text",
            &format!("Gesprächstext-{n}"),
        ]);
    }
    v.admin(&[
        "consent",
        "give",
        &id,
        "--purpose",
        "e-marketing",
        "--channel",
        "email",
        "--source",
        "event",
        "--evidence",
        "Messe-Stand",
    ]);
    let other = v
        .admin(&[
            "contact",
            "add",
            "--name",
            "Dritte Person",
            "--email",
            "dritte@example.de",
        ])
        .trim()
        .to_owned();
    v.admin(&[
        "consent",
        "give",
        &other,
        "--purpose",
        "e-marketing",
        "--channel",
        "email",
        "--source",
        "event",
    ]);
    let list = v.file("list.csv");
    v.admin(&[
        "mailing",
        "export",
        "--purpose",
        "e-marketing",
        "--channel",
        "email",
        "--out",
        list.to_str().expect("path"),
    ]);
    v.admin(&[
        "consent",
        "withdraw",
        &id,
        "--purpose",
        "e-marketing",
        "--channel",
        "email",
    ]);
    let req = open_request(&v, "access", &id);

    let zip_path = v.file("stick/auskunft.zip");
    std::fs::create_dir_all(zip_path.parent().expect("dir")).expect("dir");
    let said = v.admin(&[
        "dsar",
        "export",
        &id,
        "--out",
        zip_path.to_str().expect("path"),
        "--request",
        &req,
    ]);
    assert!(said.contains("read back and checked"), "{said}");
    let files = unzip(&zip_path, None);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "report.html",
            "data.json",
            "data.csv",
            "contact.vcf",
            "consents.csv"
        ]
    );
    let get = |n: &str| &files.iter().find(|(f, _)| f == n).expect("file").1;
    let json: serde_json::Value = serde_json::from_str(get("data.json")).expect("json");
    assert_eq!(json["schema"], "tresor-access-package/1");
    assert!(
        !get("data.json").contains(&other),
        "the mailing list's other people are third parties"
    );
    let text = get("data.json");
    for item in [
        "Jörg",
        "Paketmann",
        "joerg@example.de",
        "+49 30 123456",
        "Notiz-Marker",
        "stammkunde",
        "1970-05-04",
        "Paket GmbH",
        "Einkauf",
        "Anruf-1",
        "Anruf-3",
        "Gesprächstext-2",
        "Messe-Stand",
        "list.csv",
        &req,
    ] {
        assert!(text.contains(item), "data.json lacks {item}");
    }
    assert_eq!(json["interactions"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        json["legal_basis"]["history"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        json["legal_basis"]["disclosures"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(json["requests"].as_array().map(Vec::len), Some(1));
    assert!(
        json["change_history"]
            .as_array()
            .is_some_and(|h| h.len() > 10)
    );
    let report = get("report.html");
    for must in [
        "Auskunft nach Art. 15 DSGVO",
        "Zwecke und Rechtsgrundlagen",
        "Empfänger",
        "Speicherdauer",
        "Art. 77",
        "Herkunft",
        "keine automatisierte Entscheidungsfindung",
        "Drittländer",
        "Paketmann",
    ] {
        assert!(report.contains(must), "report lacks {must}");
    }
    let vcf = get("contact.vcf");
    assert!(vcf.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"), "{vcf}");
    assert!(vcf.contains("EMAIL;PREF=1:joerg@example.de") && vcf.contains("ORG:Paket GmbH"));
    assert!(get("consents.csv").contains("Messe-Stand"));

    // Encrypted: nothing readable without the passphrase.
    let pw = v.file("package.pw");
    std::fs::write(&pw, "Paket-Passwort-2026\n").expect("pw");
    let sealed = v.file("stick/auskunft-verschluesselt.zip");
    v.admin(&[
        "dsar",
        "export",
        &id,
        "--out",
        sealed.to_str().expect("path"),
        "--encrypt",
        "--package-passphrase-file",
        pw.to_str().expect("path"),
        "--lang",
        "en",
    ]);
    let raw = std::fs::read(&sealed).expect("zip");
    assert!(!raw.windows(9).any(|w| w == b"Paketmann"));
    let opened = unzip(&sealed, Some("Paket-Passwort-2026"));
    assert!(
        opened[0]
            .1
            .contains("Access to personal data (Art. 15 GDPR)")
    );

    // Without a chosen passphrase one is generated and printed once.
    let generated = v.file("stick/auskunft-generiert.zip");
    let said = v.admin(&[
        "dsar",
        "export",
        &id,
        "--out",
        generated.to_str().expect("path"),
        "--encrypt",
    ]);
    assert!(said.contains("shown only this once"), "{said}");
    assert!(said.contains("on another channel"), "{said}");
    let words = said
        .lines()
        .map(str::trim)
        .find(|l| {
            l.split('-').count() == 6 && l.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        })
        .expect("a passphrase of six words")
        .to_owned();
    let opened = unzip(&generated, Some(&words));
    assert_eq!(opened.len(), 5);
    let json: serde_json::Value = serde_json::from_str(&v.admin(&[
        "--json",
        "dsar",
        "export",
        &id,
        "--out",
        v.file("stick/again.zip").to_str().expect("path"),
        "--encrypt",
    ]))
    .expect("json");
    let other = json["package_passphrase"].as_str().expect("passphrase");
    assert_ne!(other, words);
    assert_eq!(json["encrypted"], true);
    // A chosen one must still be long enough.
    std::fs::write(&pw, "kurz\n").expect("pw");
    let short = v.run_as(
        "admin.pw",
        &[
            "dsar",
            "export",
            &id,
            "--out",
            v.file("stick/short.zip").to_str().expect("path"),
            "--encrypt",
            "--package-passphrase-file",
            pw.to_str().expect("path"),
        ],
    );
    assert_eq!(short.status.code(), Some(1));

    // Only dpo and admin make packages.
    v.add_user("sam", "sales", "sales.pw");
    let sales = v
        .command(
            "sales.pw",
            &[
                "--user",
                "sam",
                "dsar",
                "export",
                &id,
                "--out",
                v.file("x.zip").to_str().expect("path"),
            ],
        )
        .output()
        .expect("run");
    assert_eq!(sales.status.code(), Some(1));
    assert!(!v.file("x.zip").exists());
}
