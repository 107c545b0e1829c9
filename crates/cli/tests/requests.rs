//! Data-subject requests through the `tresor` command: deadlines, the
//! overdue list, the one extension Art. 12(3) allows, closing, and roles.

mod support;

use support::Vault;

fn days_ago(n: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(n))
        .format("%Y-%m-%d")
        .to_string()
}

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
    v.admin(&[
        "user",
        "add",
        "sam",
        "--role",
        "sales",
        "--new-passphrase-file",
        v.file("sales.pw").to_str().expect("path"),
    ]);
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
    let report: serde_json::Value = serde_json::from_slice(&before.stdout).expect("json");
    let mut totals = [0u64; 5];
    for place in report["places"].as_array().expect("places") {
        for (i, c) in place["counts"]
            .as_array()
            .expect("counts")
            .iter()
            .enumerate()
        {
            totals[i] += c.as_u64().unwrap_or(0);
        }
    }
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
