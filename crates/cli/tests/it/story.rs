//! Stories of the `tresor` command, run as a person or a script would: the
//! real binary, a real SQLCipher vault on disk, a calibrated KDF.

use std::process::Command;

use crate::support::{Vault, all_bytes_under, contains};

#[test]
fn an_admins_day_leaves_no_record_text_on_disk() {
    let v = Vault::new();
    let created = v.init();
    assert!(created.contains("RECOVERY KIT"));
    let kit = std::fs::read_to_string(v.file("kit.txt")).expect("kit");
    assert!(
        kit.lines()
            .any(|l| l.len() == 69 && l.matches('-').count() == 13),
        "{kit}"
    );

    let id = v
        .admin(&[
            "contact",
            "add",
            "--name",
            "Zelda MARKERGIVEN",
            "--email",
            "markermail@example.de",
            "--phone",
            "+49 171 5550123",
            "--company",
            "MARKERFIRMA GmbH",
            "--note",
            "MARKERNOTE owes us",
            "--tag",
            "MARKERTAG",
        ])
        .trim()
        .to_owned();
    assert_eq!(id.len(), 36, "prints the new id: {id}");
    v.admin(&[
        "interaction",
        "add",
        &id,
        "--kind",
        "call",
        "--summary",
        "MARKERSUMMARY",
        "--text",
        "MARKERCALLTEXT",
        "--at",
        "2026-03-01T10:00:00+01:00",
    ]);
    v.admin(&[
        "contact",
        "edit",
        &id,
        "--family-name",
        "MARKERFAMILY",
        "--special",
        "MARKERART9",
    ]);

    // Type-ahead by a prefix of the name, the company, the email and the phone (national form).
    for q in [
        "markerfam",
        "zel marker",
        "MARKERFIR",
        "markermail",
        "01715550",
    ] {
        let found = v.admin(&["contact", "search", q]);
        assert!(
            found.contains(&id),
            "search {q:?} did not find the contact: {found}"
        );
    }
    assert!(
        !v.admin(&["contact", "search", "markernote"]).contains(&id),
        "notes are not indexed"
    );

    let shown = v.admin(&["contact", "show", &id]);
    assert!(
        shown.contains("MARKERFAMILY")
            && shown.contains("MARKERNOTE")
            && shown.contains("MARKERCALLTEXT")
    );

    let history = v.admin(&["--json", "contact", "history", &id]);
    let history: serde_json::Value = serde_json::from_str(&history).expect("json");
    let entries = history.as_array().expect("array");
    let family: Vec<_> = entries
        .iter()
        .filter(|e| e["field"] == "family_name")
        .collect();
    assert_eq!(
        family.len(),
        2,
        "both values of the family name are in the history"
    );
    assert!(family.iter().all(|e| e["author"] == "ada"));
    assert_eq!(family[1]["value"]["value"], "MARKERFAMILY");

    let doctor = v.admin(&["doctor"]);
    assert!(!doctor.contains("FAIL"), "{doctor}");

    let markers = [
        "MARKERGIVEN",
        "markermail",
        "5550123",
        "MARKERFIRMA",
        "MARKERNOTE",
        "MARKERTAG",
        "MARKERSUMMARY",
        "MARKERCALLTEXT",
        "MARKERFAMILY",
        "MARKERART9",
    ];
    let files = all_bytes_under(&v.dir());
    assert!(files.iter().any(|(p, _)| p.ends_with("tresor.db")));
    for (path, bytes) in &files {
        for m in markers {
            assert!(
                !contains(bytes, m.as_bytes()),
                "{m} found in plain text in {}",
                path.display()
            );
        }
    }
}

#[test]
fn a_wrong_passphrase_exits_1_without_a_hint_and_writes_nothing() {
    let v = Vault::new();
    v.init();
    let before = all_bytes_under(&v.dir());
    let out = v.run_as("bad.pw", &["contact", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "tresor: wrong passphrase"
    );
    assert!(out.stdout.is_empty());
    assert_eq!(all_bytes_under(&v.dir()), before);
}

#[test]
fn an_agent_is_refused_notes_and_art9_and_sees_nothing_of_them() {
    let v = Vault::new();
    v.init();
    let agent_pw = v.file("agent.pw");
    v.admin(&[
        "user",
        "add",
        "carl",
        "--role",
        "agent",
        "--new-passphrase-file",
        agent_pw.to_str().expect("p"),
    ]);
    let id = v
        .admin(&[
            "contact",
            "add",
            "--name",
            "Berta Beispiel",
            "--note",
            "SECRETNOTE",
            "--email",
            "b@example.de",
        ])
        .trim()
        .to_owned();
    v.admin(&["contact", "edit", &id, "--special", "SECRETHEALTH"]);
    v.admin(&[
        "interaction",
        "add",
        &id,
        "--kind",
        "meeting",
        "--summary",
        "Visit",
        "--text",
        "SECRETMEETING",
    ]);

    let agent = |args: &[&str]| v.run_as("agent.pw", &[&["--user", "carl"], args].concat());
    let shown = agent(&["contact", "show", &id]);
    assert!(shown.status.success());
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        text.contains("b@example.de"),
        "contact details are readable"
    );
    assert!(text.contains("[locked:"), "locked fields say so: {text}");
    for secret in ["SECRETNOTE", "SECRETHEALTH", "SECRETMEETING"] {
        assert!(!text.contains(secret), "{secret} shown to an agent");
    }
    let json = agent(&["--json", "contact", "show", &id]);
    let view: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let note = view["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["name"] == "note")
        .expect("note");
    assert_eq!(note["value"]["state"], "locked");

    let history = agent(&["contact", "history", &id]);
    assert!(!String::from_utf8_lossy(&history.stdout).contains("SECRET"));

    let refused = agent(&["contact", "edit", &id, "--note", "overwrite"]);
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("may not") && !err.contains("SECRET"), "{err}");
    let refused = agent(&["user", "add", "mallory", "--role", "admin"]);
    assert_eq!(refused.status.code(), Some(1));
    let refused = agent(&["--json", "demo", "seed", "--contacts", "5"]);
    let err: serde_json::Value = serde_json::from_slice(&refused.stderr).expect("json error");
    assert_eq!(err["error"]["code"], "forbidden");
}

#[test]
fn users_roles_passphrases_and_recovery() {
    let v = Vault::new();
    v.init();
    let p = |n: &str| v.file(n).to_str().expect("p").to_owned();
    v.admin(&[
        "user",
        "add",
        "sam",
        "--role",
        "sales",
        "--new-passphrase-file",
        &p("sales.pw"),
    ]);
    let dup = v.run_as(
        "admin.pw",
        &[
            "user",
            "add",
            "sam",
            "--role",
            "sales",
            "--new-passphrase-file",
            &p("sales.pw"),
        ],
    );
    assert_eq!(dup.status.code(), Some(1));
    let users: serde_json::Value =
        serde_json::from_str(&v.admin(&["--json", "user", "list"])).expect("json");
    assert_eq!(users.as_array().map(Vec::len), Some(2));

    // sam changes his own passphrase; the admin's entry is untouched.
    let ring_before: serde_json::Value =
        serde_json::from_slice(&std::fs::read(v.dir().join("keyring.json")).expect("ring"))
            .expect("json");
    v.ok(
        "sales.pw",
        &[
            "--user",
            "sam",
            "user",
            "passwd",
            "--new-passphrase-file",
            &p("new.pw"),
        ],
    );
    let ring_after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(v.dir().join("keyring.json")).expect("ring"))
            .expect("json");
    assert_eq!(ring_before["users"][0], ring_after["users"][0]);
    assert_ne!(ring_before["users"][1], ring_after["users"][1]);
    assert_eq!(
        v.run_as("sales.pw", &["--user", "sam", "contact", "list"])
            .status
            .code(),
        Some(1)
    );
    v.ok("new.pw", &["--user", "sam", "contact", "list"]);

    v.admin(&["user", "role", "sam", "auditor"]);
    let refused = v.run_as(
        "new.pw",
        &["--user", "sam", "contact", "add", "--name", "X Y"],
    );
    assert_eq!(refused.status.code(), Some(1));
    v.admin(&["user", "remove", "sam"]);
    assert_eq!(
        v.run_as("new.pw", &["--user", "sam", "contact", "list"])
            .status
            .code(),
        Some(1)
    );
    let last = v.run_as("admin.pw", &["user", "remove", "ada"]);
    assert_eq!(last.status.code(), Some(1));

    // The printed kit resets the admin's passphrase.
    let out = Command::new(env!("CARGO_BIN_EXE_tresor"))
        .args([
            "--vault",
            v.dir().to_str().expect("p"),
            "recover",
            "--admin",
            "ada",
        ])
        .args([
            "--recovery-key-file",
            &p("kit.txt"),
            "--new-passphrase-file",
            &p("new.pw"),
        ])
        .output()
        .expect("recover");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        v.run_as("admin.pw", &["contact", "list"]).status.code(),
        Some(1)
    );
    v.ok("new.pw", &["doctor"]);
}

#[test]
fn usage_errors_exit_2_and_missing_vaults_are_explained() {
    let v = Vault::new();
    let out = v.run_as("admin.pw", &["contact", "frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let out = v.run_as("admin.pw", &["contact", "show", "not-a-uuid"]);
    assert_eq!(out.status.code(), Some(2));
    let out = v.run_as("admin.pw", &["contact", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tresor init"));
}

#[test]
fn demo_seed_is_deterministic_and_invalid_input_is_reported() {
    let a = Vault::new();
    let b = Vault::new();
    let names = |v: &Vault| {
        v.init();
        v.admin(&["demo", "seed", "--contacts", "300", "--seed", "9"]);
        let rows: serde_json::Value =
            serde_json::from_str(&v.admin(&["--json", "contact", "list", "--limit", "1000"]))
                .expect("json");
        rows.as_array()
            .expect("rows")
            .iter()
            .map(|r| format!("{}|{}|{}", r["display"], r["email"], r["company"]))
            .collect::<Vec<_>>()
    };
    let (na, nb) = (names(&a), names(&b));
    assert_eq!(na.len(), 300);
    assert_eq!(na, nb);
    // With a few open requests to answer, of three kinds.
    let requests: serde_json::Value =
        serde_json::from_str(&a.admin(&["--json", "request", "list"])).expect("json");
    let mut kinds: Vec<String> = requests
        .as_array()
        .expect("requests")
        .iter()
        .map(|r| r["request"]["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["access", "erasure", "rectification"], "{requests}");

    let bad = a.run_as(
        "admin.pw",
        &[
            "contact",
            "add",
            "--name",
            "Bad Mail",
            "--email",
            "not-an-address",
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not an email address"));
    let count: serde_json::Value =
        serde_json::from_str(&a.admin(&["--json", "contact", "list", "--limit", "1000"]))
            .expect("json");
    assert_eq!(
        count.as_array().map(Vec::len),
        Some(300),
        "nothing half-written"
    );
}

#[test]
fn control_characters_in_record_text_are_printed_escaped() {
    let v = Vault::new();
    v.init();
    // A note is multi-line, so the core keeps its CR; printed raw, the CR
    // would let the rest of the line overwrite what came before it.
    let id = v
        .admin(&[
            "contact",
            "add",
            "--name",
            "Clara Zeichen",
            "--note",
            "schuldet nichts\rschuldet 5000 EUR",
        ])
        .trim()
        .to_owned();
    let shown = v.admin(&["contact", "show", &id]);
    assert!(
        shown.contains("schuldet nichts\\u{d}schuldet 5000 EUR"),
        "{shown}"
    );
    assert!(!shown.contains('\r'), "{shown:?}");
    let history = v.admin(&["contact", "history", &id]);
    assert!(
        history.contains("\\u{d}") && !history.contains('\r'),
        "{history:?}"
    );
    // JSON keeps the exact text, escaped the JSON way.
    let json: serde_json::Value =
        serde_json::from_str(&v.admin(&["--json", "contact", "show", &id])).expect("json");
    assert!(json.to_string().contains("schuldet nichts\\rschuldet"));

    // Text quoted back in an error message is escaped too.
    let refused = v.run_as(
        "admin.pw",
        &["contact", "add", "--name", "X", "--email", "x\x1b[2J@"],
    );
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("x\\u{1b}[2J@") && !err.contains('\x1b'),
        "{err:?}"
    );
}

#[test]
fn doctor_on_a_damaged_page_names_the_check_the_page_and_the_file() {
    let v = Vault::new();
    v.init();
    v.admin(&["demo", "seed", "--contacts", "300", "--seed", "3"]);
    let db = v.dir().join("tresor.db");
    let mut bytes = std::fs::read(&db).expect("db");
    let page = 16_384;
    let mid = bytes.len() / page / 2;
    assert!(mid > 1, "{} bytes", bytes.len());
    let at = (mid - 1) * page + 1000;
    for b in &mut bytes[at..at + 64] {
        *b ^= 0xa5;
    }
    std::fs::write(&db, &bytes).expect("write");

    let out = v.run_as("admin.pw", &["doctor"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.contains("SQLCipher page authentication"))
        .unwrap_or_else(|| panic!("no page check: {stdout}{stderr}"));
    assert!(line.starts_with("FAIL"), "{line}");
    assert!(line.contains(&db.display().to_string()), "{line}");
    assert!(line.contains(&format!(": {mid};")), "{line}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("FAIL") && l.contains("SQLite integrity_check")),
        "{stdout}"
    );
    assert!(!stdout.contains("Unknown") && !stderr.contains("Unknown"));
}

/// `tresor contact list | head -1`: the reader goes away after one line, and
/// the command ends quietly instead of reporting an internal error.
#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    use std::io::Read as _;
    let v = Vault::new();
    v.init();
    // More than a pipe's buffer holds, so the command is still writing
    // when the reader leaves.
    v.admin(&["demo", "seed", "--contacts", "2000", "--seed", "4"]);
    let mut child = v
        .command("admin.pw", &["contact", "list", "--limit", "2000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run tresor");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).expect("the first bytes");
    drop(stdout);
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("internal error"), "{stderr}");
}
