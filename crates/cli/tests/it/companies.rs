//! Companies through the `tresor` command: made, shown with their people,
//! merged, deleted (said first, done with --yes), and a sole trader's
//! company exported and erased with its person.

use crate::support::{Vault, days_ago, unzip, verify_totals};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("json")
}

fn id_of(v: &Vault, args: &[&str]) -> String {
    v.admin(args).trim().to_owned()
}

fn company_named(v: &Vault, name: &str) -> Option<String> {
    json(&v.admin(&["--json", "company", "list"]))
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["display"] == name)
        .map(|r| r["id"].as_str().expect("id").to_owned())
}

#[test]
fn companies_are_made_shown_merged_and_deleted_and_their_people_stay() {
    let v = Vault::new();
    v.init();
    v.add_user("carl", "agent", "agent.pw");
    let anna = id_of(
        &v,
        &[
            "contact",
            "add",
            "--name",
            "Anna Bauer",
            "--company",
            "Muster GmbH",
            "--role",
            "Einkauf",
        ],
    );
    let bernd = id_of(
        &v,
        &[
            "contact",
            "add",
            "--name",
            "Bernd Roth",
            "--company",
            "Muster G.m.b.H.",
        ],
    );
    let keep = company_named(&v, "Muster GmbH").expect("made with Anna");
    let other = company_named(&v, "Muster G.m.b.H.").expect("made with Bernd");

    // A second company of the same name is refused; one with another is made.
    let twice = v.run_as("admin.pw", &["company", "add", "Muster GmbH"]);
    assert_eq!(twice.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("of this name exists"));
    v.admin(&[
        "company",
        "edit",
        &other,
        "--website",
        "muster.de",
        "--phone",
        "+49 30 1234",
    ]);

    let page = json(&v.admin(&["--json", "company", "show", &keep]));
    assert_eq!(page["contact"]["display"], "Muster GmbH");
    assert_eq!(page["people"][0]["person"], anna.as_str());
    assert_eq!(page["people"][0]["role"], "Einkauf");
    assert!(page["people"][0]["since"].is_string(), "{page}");
    assert!(page["sole_trader"].is_null());

    // The agent merges: Bernd moves, the website and phone fill the kept one.
    let merged = json(&v.ok(
        "agent.pw",
        &[
            "--user", "carl", "--json", "company", "merge", &keep, &other,
        ],
    ));
    assert_eq!(merged["people"], 1);
    assert_eq!(merged["filled"], serde_json::json!(["website", "phones"]));
    assert!(company_named(&v, "Muster G.m.b.H.").is_none());
    let page = json(&v.admin(&["--json", "company", "show", &keep]));
    let people: Vec<&str> = page["people"]
        .as_array()
        .expect("people")
        .iter()
        .map(|p| p["display"].as_str().expect("name"))
        .collect();
    assert_eq!(people, ["Anna Bauer", "Bernd Roth"]);
    let fields = page["contact"]["fields"].as_array().expect("fields");
    let website = fields
        .iter()
        .find(|f| f["name"] == "website")
        .expect("website");
    assert_eq!(website["value"]["value"], "muster.de");
    assert!(
        v.admin(&["contact", "show", &bernd])
            .contains("Muster GmbH")
    );
    let gone = v.run_as("admin.pw", &["company", "show", &other]);
    assert_eq!(gone.status.code(), Some(1));

    // A follow-up on it; deleting says first what happens, and only --yes deletes.
    v.admin(&[
        "followup",
        "add",
        &keep,
        "--what",
        "Rahmenvertrag",
        "--due",
        "+3",
    ]);
    let said = v.admin(&["company", "delete", &keep]);
    assert!(
        said.contains("Anna Bauer, Bernd Roth")
            && said.contains("1 follow-up")
            && said.contains("Nothing is deleted yet"),
        "{said}"
    );
    assert!(company_named(&v, "Muster GmbH").is_some());
    v.ok(
        "agent.pw",
        &["--user", "carl", "company", "delete", &keep, "--yes"],
    );
    assert!(company_named(&v, "Muster GmbH").is_none());
    assert_eq!(v.admin(&["followup", "list"]).trim(), "No follow-ups.");
    // The people stay, without the link, and the list no longer names it.
    let anna_now = v.admin(&["contact", "show", &anna]);
    assert!(
        anna_now.contains("Anna Bauer") && !anna_now.contains("Muster"),
        "{anna_now}"
    );
    assert!(!v.admin(&["contact", "list"]).contains("Muster"));
}

#[test]
fn a_sole_traders_company_is_in_their_package_and_goes_with_their_erasure() {
    let v = Vault::new();
    v.init();
    v.add_user("carl", "agent", "agent.pw");
    let klaus = id_of(&v, &["contact", "add", "--name", "Klaus Kleinschmidt"]);
    let firm = id_of(
        &v,
        &[
            "company",
            "add",
            "Malerbetrieb Kleinschmidt",
            "--website",
            "maler-kleinschmidt.example",
            "--sole-trader",
            &klaus,
        ],
    );
    let page = json(&v.admin(&["--json", "company", "show", &firm]));
    assert_eq!(page["sole_trader"]["person"], klaus.as_str());
    assert_eq!(page["people"][0]["person"], klaus.as_str());
    let person = json(&v.admin(&["--json", "contact", "show", &klaus]));
    assert_eq!(person["companies"][0]["sole_trader"], true);

    // An agent may not delete it: it is the person's data.
    let refused = v.run_as(
        "agent.pw",
        &["--user", "carl", "company", "delete", &firm, "--yes"],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("erase"));

    // In the package, with every field.
    let zip = v.file("klaus.zip");
    v.admin(&[
        "dsar",
        "export",
        &klaus,
        "--out",
        zip.to_str().expect("path"),
    ]);
    let files = unzip(&zip, None);
    let data = json(
        &files
            .iter()
            .find(|(n, _)| n == "data.json")
            .expect("data.json")
            .1,
    );
    let business = &data["sole_trader"][0]["fields"];
    assert!(
        business.to_string().contains("maler-kleinschmidt.example"),
        "{business}"
    );
    let report = &files
        .iter()
        .find(|(n, _)| n == "report.html")
        .expect("report")
        .1;
    assert!(report.contains("maler-kleinschmidt.example"));
    std::fs::remove_file(&zip).expect("the package left");

    // Erased with him: no company, nothing left of its name or website.
    let verify = || {
        v.run_as(
            "admin.pw",
            &[
                "--json",
                "erasure",
                "verify",
                "--text",
                "Malerbetrieb Kleinschmidt",
                "--text",
                "maler-kleinschmidt.example",
            ],
        )
    };
    let before = verify_totals(&verify().stdout, 2);
    assert!(before.iter().all(|n| *n > 0), "found before: {before:?}");
    let req = id_of(
        &v,
        &[
            "request",
            "open",
            "--kind",
            "erasure",
            "--contact",
            &klaus,
            "--received",
            &days_ago(1),
        ],
    );
    v.admin(&["contact", "erase", &klaus, "--request", &req]);
    assert!(company_named(&v, "Malerbetrieb Kleinschmidt").is_none());
    assert_eq!(verify_totals(&verify().stdout, 2), [0, 0]);
}

#[test]
fn marking_a_company_as_a_sole_traders_needs_it_to_be_theirs_alone() {
    let v = Vault::new();
    v.init();
    let eva = id_of(
        &v,
        &[
            "contact",
            "add",
            "--name",
            "Eva Esch",
            "--company",
            "Esch Design",
        ],
    );
    let ole = id_of(&v, &["contact", "add", "--name", "Ole Olsen"]);
    let firm = company_named(&v, "Esch Design").expect("made");
    let not_alone = v.run_as(
        "admin.pw",
        &["company", "edit", &firm, "--sole-trader", &ole],
    );
    assert_eq!(not_alone.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&not_alone.stderr).contains("other people are linked"));
    let out = v.admin(&["company", "edit", &firm, "--sole-trader", &eva]);
    let new_id = out.lines().last().expect("the new id").trim().to_owned();
    assert_ne!(new_id, firm);
    assert_eq!(
        company_named(&v, "Esch Design").as_deref(),
        Some(new_id.as_str())
    );
    let page = json(&v.admin(&["--json", "company", "show", &new_id]));
    assert_eq!(page["sole_trader"]["person"], eva.as_str());
    assert_eq!(page["people"].as_array().expect("people").len(), 1);
    let bad = v.run_as("admin.pw", &["company", "show", &eva]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("company"));
}
