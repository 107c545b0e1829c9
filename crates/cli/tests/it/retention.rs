//! Retention, legal holds, erasure under a legal keeping duty, single-field
//! erasure and rectification, through the `tresor` command on a real vault.

use crate::support::{Vault, days_ago, unzip, verify_totals};
use tresor_core::clock::Clock as _;

fn years_ago(n: i32) -> String {
    use chrono::Datelike;
    let t = tresor_core::clock::SystemClock.now();
    format!("{}-03-15", t.year() - n)
}

fn add(v: &Vault, name: &str, email: &str, last_contact: Option<&str>) -> String {
    // Old data is entered with the sweep at unlock off, or the next step's
    // unlock would already delete what the test is about to look at.
    let mut args = vec![
        "--no-sweep",
        "contact",
        "add",
        "--name",
        name,
        "--email",
        email,
    ];
    if let Some(d) = last_contact {
        args.extend(["--last-contact", d]);
    }
    v.admin(&args).trim().to_owned()
}

fn verify_counts(v: &Vault, texts: &[&str]) -> (i32, Vec<u64>) {
    let mut args = vec!["--no-sweep", "--json", "erasure", "verify"];
    for t in texts {
        args.extend(["--text", *t]);
    }
    let out = v.run_as("admin.pw", &args);
    let totals = verify_totals(&out.stdout, texts.len());
    (out.status.code().unwrap_or(-1), totals)
}

fn erasure_request(v: &Vault, id: &str) -> String {
    v.admin(&[
        "--no-sweep",
        "request",
        "open",
        "--kind",
        "erasure",
        "--contact",
        id,
        "--received",
        &days_ago(1),
    ])
    .trim()
    .to_owned()
}

#[test]
fn the_sweep_deletes_a_lapsed_prospect_without_trace_and_spares_a_held_one() {
    let v = Vault::new();
    v.init();
    let old = days_ago(3 * 365);
    let gone = add(
        &v,
        "Quaxel Zyxwvprospekt",
        "zyxwv.prospekt@example.de",
        Some(&old),
    );
    v.admin(&[
        "--no-sweep",
        "interaction",
        "add",
        &gone,
        "--kind",
        "call",
        "--summary",
        "Zyxwvanruf about the offer",
        "--at",
        &old,
    ]);
    let held = add(&v, "Hilde Gehalten", "hilde@example.de", Some(&old));
    let fresh = add(&v, "Frieda Frisch", "frieda@example.de", None);

    // A hold needs a reason and someone allowed to set it.
    v.add_user("ag", "agent", "agent.pw");
    let refused = v.run_as(
        "agent.pw",
        &[
            "--no-sweep",
            "--user",
            "ag",
            "hold",
            "add",
            &held,
            "--reason",
            "audit",
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    let empty = v.run_as(
        "admin.pw",
        &["--no-sweep", "hold", "add", &held, "--reason", " "],
    );
    assert_eq!(empty.status.code(), Some(1));
    v.admin(&[
        "--no-sweep",
        "hold",
        "add",
        &held,
        "--reason",
        "Klage 3 O 123/26",
    ]);
    assert!(
        v.admin(&["--no-sweep", "hold", "list"])
            .contains("Klage 3 O 123/26")
    );

    // The preview names both, with the rule and its reason; the hold shows.
    let preview = v.admin(&["--no-sweep", "retention", "preview"]);
    assert!(
        preview.contains(&gone) && preview.contains("people"),
        "{preview}"
    );
    assert!(preview.contains("no contact for 2 years"), "{preview}");
    let held_line = preview
        .lines()
        .find(|l| l.contains(&held))
        .expect("held person listed");
    assert!(held_line.contains("HELD"), "{held_line}");
    assert!(!preview.contains(&fresh), "{preview}");

    let texts = ["Zyxwvprospekt", "zyxwv.prospekt@example.de", "Zyxwvanruf"];
    let (code, before) = verify_counts(&v, &texts);
    assert_eq!(code, 1);
    assert!(before.iter().all(|c| *c > 0), "{before:?}");

    let run = v.admin(&["retention", "run"]);
    let line = run
        .lines()
        .find(|l| l.starts_with("people: deleted"))
        .unwrap_or_default();
    assert!(
        line.contains("1 person") && line.contains("1 interaction"),
        "{run}"
    );
    assert!(run.contains("1 due items left alone"), "{run}");

    let (code, after) = verify_counts(&v, &texts);
    assert_eq!((code, after), (0, vec![0, 0, 0]), "no trace on disk");
    assert_eq!(
        v.run_as("admin.pw", &["--no-sweep", "contact", "show", &gone])
            .status
            .code(),
        Some(1)
    );
    assert!(
        v.admin(&["--no-sweep", "contact", "show", &held])
            .contains("Gehalten")
    );
    assert!(
        v.admin(&["--no-sweep", "contact", "show", &fresh])
            .contains("Frisch")
    );
    // A held person cannot be erased either.
    let req = erasure_request(&v, &held);
    let blocked = v.run_as(
        "admin.pw",
        &["--no-sweep", "contact", "erase", &held, "--request", &req],
    );
    assert_eq!(blocked.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&blocked.stderr).contains("legal hold"));

    // The log counts, names the rule, and holds no personal data.
    let log = v.admin(&["--no-sweep", "retention", "log"]);
    assert!(log.contains("people") && log.contains("1 person"), "{log}");
    assert!(!log.contains("Zyxwv") && !log.contains(&gone), "{log}");

    // Lifting the hold lets the next sweep take the person.
    v.admin(&["--no-sweep", "hold", "remove", &held]);
    let run = v.admin(&["retention", "run"]);
    assert!(
        run.starts_with("people: deleted") && run.contains("1 person"),
        "{run}"
    );
    assert_eq!(
        v.run_as("admin.pw", &["--no-sweep", "contact", "show", &held])
            .status
            .code(),
        Some(1)
    );

    // Without --no-sweep, as in the app, any unlock sweeps what is due.
    let lapsed = add(&v, "Lars Verfallen", "lars@example.de", Some(&old));
    let listed = v.run_as("admin.pw", &["contact", "list"]);
    assert_eq!(listed.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&listed.stderr).contains("Retention sweep at unlock: 1 record"),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("Verfallen"));
    assert_eq!(
        v.run_as("admin.pw", &["--no-sweep", "contact", "show", &lapsed])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn an_invoice_outlives_an_erasure_request_until_its_legal_period_ends() {
    let v = Vault::new();
    v.init();
    let id = add(&v, "Rita Zyxwvrechnung", "zyxwv.rita@example.de", None);
    v.admin(&[
        "--no-sweep",
        "contact",
        "edit",
        &id,
        "--address",
        "Hauptstr. 1, 10115 Berlin",
        "--note",
        "Zyxwvnotiz",
    ]);
    // An invoice from two years ago must be kept 8 years from its year end;
    // one from eleven years ago is past its period; the call has no duty.
    v.admin(&[
        "--no-sweep",
        "interaction",
        "add",
        &id,
        "--kind",
        "letter",
        "--summary",
        "Rechnung 2024-113",
        "--keep",
        "invoice",
        "--at",
        &years_ago(2),
    ]);
    v.admin(&[
        "--no-sweep",
        "interaction",
        "add",
        &id,
        "--kind",
        "letter",
        "--summary",
        "Zyxwvaltrechnung 2015-7",
        "--keep",
        "invoice",
        "--at",
        &years_ago(11),
    ]);
    v.admin(&[
        "--no-sweep",
        "interaction",
        "add",
        &id,
        "--kind",
        "call",
        "--summary",
        "Zyxwvgespraech",
    ]);
    let bad = v.run_as(
        "admin.pw",
        &[
            "--no-sweep",
            "interaction",
            "add",
            &id,
            "--kind",
            "call",
            "--summary",
            "x",
            "--keep",
            "receipt",
        ],
    );
    // Only the classes the law names: a usage error that lists them.
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("[possible values: business-letter, invoice]")
    );

    let req = erasure_request(&v, &id);
    let out = v.admin(&[
        "--no-sweep",
        "--json",
        "contact",
        "erase",
        &id,
        "--request",
        &req,
    ]);
    let r: serde_json::Value = serde_json::from_str(&out).expect("json");
    let kept = r["kept"].as_array().expect("kept");
    assert_eq!(kept.len(), 1, "{out}");
    assert_eq!(kept[0]["class"], "invoice");
    assert!(
        kept[0]["law"]
            .as_str()
            .unwrap_or_default()
            .contains("HGB §257"),
        "{out}"
    );
    use chrono::Datelike;
    let until_year = tresor_core::clock::SystemClock.now().year() - 2 + 1 + 8;
    assert_eq!(kept[0]["until"], format!("{until_year}-01-01"), "{out}");
    assert_eq!(r["erase_after"], format!("{until_year}-01-01"));

    // What stays: the name and address the invoice needs, restricted.
    let shown = v.admin(&["--no-sweep", "contact", "show", &id]);
    assert!(
        shown.contains("Zyxwvrechnung") && shown.contains("Hauptstr. 1"),
        "{shown}"
    );
    assert!(
        shown.contains("Rechnung 2024-113") && shown.contains("invoice"),
        "{shown}"
    );
    let show = v.run_as("admin.pw", &["--no-sweep", "contact", "show", &id]);
    assert!(String::from_utf8_lossy(&show.stderr).contains("RESTRICTED"));
    assert!(!shown.contains("zyxwv.rita@example.de"), "{shown}");
    let edit = v.run_as(
        "admin.pw",
        &["--no-sweep", "contact", "edit", &id, "--tag", "x"],
    );
    assert_eq!(edit.status.code(), Some(1));
    // Everything else is gone from every byte.
    let (_, counts) = verify_counts(
        &v,
        &[
            "zyxwv.rita@example.de",
            "Zyxwvnotiz",
            "Zyxwvgespraech",
            "Zyxwvaltrechnung",
        ],
    );
    assert_eq!(counts, vec![0, 0, 0, 0]);
    // The sweep erases the rest when the period ends, and says so ahead.
    let preview = v.admin(&[
        "--no-sweep",
        "retention",
        "preview",
        "--as-of",
        &format!("{until_year}-01-02"),
    ]);
    let line = preview
        .lines()
        .find(|l| l.contains(&id) && l.contains("erasure"));
    assert!(
        line.is_some_and(|l| l.starts_with(&format!("{until_year}-01-01"))),
        "{preview}"
    );
    assert!(preview.contains(&req), "{preview}");
    assert!(
        !v.admin(&["--no-sweep", "retention", "preview"])
            .contains(&id)
    );
}

#[test]
fn consent_only_people_are_scheduled_after_withdrawal_and_rules_are_recorded() {
    let v = Vault::new();
    v.init();
    let only = add(&v, "Nora Newsletter", "nora@example.de", None);
    let customer = add(&v, "Kurt Kunde", "kurt@example.de", None);
    v.admin(&[
        "interaction",
        "add",
        &customer,
        "--kind",
        "meeting",
        "--summary",
        "Offer",
    ]);
    for id in [&only, &customer] {
        v.admin(&[
            "consent",
            "give",
            id,
            "--purpose",
            "e-marketing",
            "--channel",
            "email",
            "--source",
            "web_form",
        ]);
        v.admin(&[
            "consent",
            "withdraw",
            id,
            "--purpose",
            "e-marketing",
            "--channel",
            "email",
        ]);
    }
    let preview = v.admin(&["--json", "retention", "preview", "--as-of", &{
        (tresor_core::clock::SystemClock.now() + chrono::Duration::days(40))
            .format("%Y-%m-%d")
            .to_string()
    }]);
    let items: serde_json::Value = serde_json::from_str(&preview).expect("json");
    let consent: Vec<&serde_json::Value> = items
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["rule"] == "consent")
        .collect();
    assert_eq!(consent.len(), 1, "{preview}");
    assert_eq!(consent[0]["person"], only.as_str());
    let in_a_month = (tresor_core::clock::SystemClock.now() + chrono::Months::new(1)).date_naive();
    let due =
        chrono::NaiveDate::parse_from_str(consent[0]["due"].as_str().expect("due"), "%Y-%m-%d")
            .expect("date");
    assert!(
        (due - in_a_month).num_days().abs() <= 1,
        "{due} vs {in_a_month}"
    );

    // Changing a rule is recorded; a period below the law is refused.
    let short = v.run_as(
        "admin.pw",
        &["retention", "set", "invoices", "--period", "5y"],
    );
    assert_eq!(short.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&short.stderr).contains("HGB §257"));
    let from = v.run_as(
        "admin.pw",
        &["retention", "set", "identity", "--from", "withdrawal"],
    );
    assert_eq!(from.status.code(), Some(2));
    v.admin(&[
        "retention",
        "set",
        "identity",
        "--period",
        "6m",
        "--from",
        "creation",
    ]);
    let rules = v.admin(&["retention", "rules"]);
    assert!(
        rules.contains("people            6m") && rules.contains("changed by ada"),
        "{rules}"
    );
    assert!(
        rules.contains("People are deleted 6 months after their creation."),
        "{rules}"
    );
    // With 6 months from creation, everyone falls due within the year.
    let year = v.admin(&["retention", "preview", "--as-of", &{
        (tresor_core::clock::SystemClock.now() + chrono::Duration::days(200))
            .format("%Y-%m-%d")
            .to_string()
    }]);
    assert!(year.contains(&customer) && year.contains(&only), "{year}");
    v.add_user("au", "auditor", "sales.pw");
    assert!(
        v.ok("sales.pw", &["--user", "au", "retention", "rules"])
            .contains("people")
    );
    assert_eq!(
        v.run_as("sales.pw", &["--user", "au", "retention", "run"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn single_fields_are_erased_with_their_history_and_corrections_keep_a_reason() {
    let v = Vault::new();
    v.init();
    let id = add(&v, "Paula Feld", "paula@example.de", None);
    v.admin(&[
        "contact",
        "edit",
        &id,
        "--phone",
        "+49 171 9990001",
        "--birthday",
        "1980-02-03",
    ]);
    v.admin(&["contact", "edit", &id, "--phone", "+49 171 9990002"]);
    let req = erasure_request(&v, &id);
    let names = v.run_as(
        "admin.pw",
        &[
            "contact",
            "erase",
            &id,
            "--fields",
            "given_name,family_name",
            "--request",
            &req,
        ],
    );
    assert_eq!(names.status.code(), Some(1));
    let unknown = v.run_as(
        "admin.pw",
        &[
            "contact",
            "erase",
            &id,
            "--fields",
            "shoe",
            "--request",
            &req,
        ],
    );
    assert_eq!(unknown.status.code(), Some(1));
    v.admin(&[
        "contact",
        "erase",
        &id,
        "--fields",
        "phones,birthday",
        "--request",
        &req,
    ]);
    let shown = v.admin(&["contact", "show", &id]);
    assert!(
        shown.contains("paula@example.de") && !shown.contains("9990002"),
        "{shown}"
    );
    let history = v.admin(&["contact", "history", &id]);
    assert!(
        !history.contains("999000") && !history.contains("1980"),
        "{history}"
    );
    let (code, counts) = verify_counts(&v, &["9990001", "9990002", "1980-02-03"]);
    assert_eq!((code, counts), (0, vec![0, 0, 0]));

    // A correction with a reason, for a rectification request.
    let rect = v
        .admin(&[
            "request",
            "open",
            "--kind",
            "rectification",
            "--contact",
            &id,
            "--received",
            &days_ago(1),
        ])
        .trim()
        .to_owned();
    v.admin(&[
        "contact",
        "edit",
        &id,
        "--family-name",
        "Feldmann",
        "--reason",
        "Name misspelt on the business card",
        "--request",
        &rect,
    ]);
    let history = v.admin(&["contact", "history", &id]);
    assert!(
        history.contains("Feldmann") && history.contains("Feld"),
        "{history}"
    );
    let zip = v.file("paula.zip");
    v.admin(&["dsar", "export", &id, "--out", zip.to_str().expect("path")]);
    let text = unzip(&zip, None)
        .into_iter()
        .find(|(n, _)| n.ends_with(".json"))
        .expect("json in package")
        .1;
    assert!(
        text.contains("Feldmann") && text.contains("Name misspelt on the business card"),
        "{text}"
    );
    let wrong = v.run_as(
        "admin.pw",
        &[
            "contact",
            "edit",
            &id,
            "--given-name",
            "P",
            "--reason",
            "x",
            "--request",
            &req,
        ],
    );
    assert_eq!(
        wrong.status.code(),
        Some(1),
        "an erasure request is not a rectification"
    );
}
