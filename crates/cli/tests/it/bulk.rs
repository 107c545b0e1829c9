//! The table view's order and bulk actions through the `tresor` command:
//! `contact list --sort`, and `bulk tag|followup|request` on ids or on
//! everyone a search finds, the restricted left out with the reason.

use crate::support::{Vault, days_ago};

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("json")
}

fn add(v: &Vault, name: &str, more: &[&str]) -> String {
    let mut args = vec!["contact", "add", "--name", name];
    args.extend_from_slice(more);
    v.admin(&args).trim().to_owned()
}

fn names(v: &Vault, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--json", "contact", "list"];
    all.extend_from_slice(args);
    json(&v.admin(&all))
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["display"].as_str().expect("name").to_owned())
        .collect()
}

#[test]
fn the_list_sorts_by_a_column_and_a_search_selects_for_a_bulk_action() {
    let v = Vault::new();
    v.init();
    let anna = add(
        &v,
        "Anna Bauer",
        &["--address", "Hauptstr. 1, 10115 Berlin", "--tag", "Messe"],
    );
    let ben = add(&v, "Ben Kraus", &["--address", "Ring 2, 80331 München"]);
    let cem = add(&v, "Cem Yilmaz", &["--tag", "Messe"]);
    let dora = add(&v, "Dora Zorn", &["--address", "Weg 3, 50667 Köln"]);

    assert_eq!(
        names(&v, &["--sort", "city"]),
        ["Anna Bauer", "Dora Zorn", "Ben Kraus", "Cem Yilmaz"],
        "by city, no city last"
    );
    assert_eq!(
        names(&v, &["--sort", "city", "--desc"]),
        ["Ben Kraus", "Dora Zorn", "Anna Bauer", "Cem Yilmaz"]
    );
    let table = v.admin(&["contact", "list", "--sort", "tags"]);
    assert!(
        table.contains("Berlin") && table.contains("Messe"),
        "{table}"
    );

    // Cem is restricted: a bulk action leaves him out and says why.
    let req = v.admin(&[
        "request",
        "open",
        "--kind",
        "restriction",
        "--contact",
        &cem,
        "--received",
        &days_ago(1),
    ]);
    v.admin(&["contact", "restrict", &cem, "--request", req.trim()]);
    let said = v.admin(&[
        "bulk", "tag", "--search", "Messe", "--add", "Katalog", "--remove", "messe",
    ]);
    assert!(
        said.starts_with("Changed: 1; already so: 0; skipped: 1."),
        "{said}"
    );
    assert!(said.contains(&cem) && said.contains("restricted"), "{said}");
    let rows = json(&v.admin(&["--json", "contact", "search", "Bauer"]));
    assert_eq!(rows[0]["tags"], serde_json::json!(["Katalog"]));

    let made = json(&v.admin(&[
        "--json",
        "bulk",
        "followup",
        &anna,
        &ben,
        "--what",
        "Katalog schicken",
        "--due",
        "today",
    ]));
    assert_eq!(made["done"].as_array().expect("done").len(), 2);
    let due = v.admin(&["followup", "list", "--due"]);
    assert!(
        due.contains("Anna Bauer") && due.contains("Ben Kraus"),
        "{due}"
    );
    assert!(!due.contains("Dora"), "{due}");

    let opened = v.admin(&[
        "bulk",
        "request",
        &ben,
        &dora,
        "--kind",
        "access",
        "--received",
        &days_ago(2),
    ]);
    assert!(opened.starts_with("Requests opened: 2;"), "{opened}");
    assert_eq!(opened.matches("REQ-").count(), 2, "{opened}");
    let listed = json(&v.admin(&["--json", "request", "list"]));
    let about: Vec<&str> = listed
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["request"]["kind"] == "access")
        .map(|r| r["request"]["person"].as_str().expect("person"))
        .collect();
    assert_eq!(about.len(), 2);
    assert!(about.contains(&ben.as_str()) && about.contains(&dora.as_str()));

    // Nothing selected, or nothing to do: refused with the reason.
    let none = v.run_as(
        "admin.pw",
        &["bulk", "tag", "--search", "Niemand", "--add", "x"],
    );
    assert_eq!(none.status.code(), Some(2), "a usage error");
    assert!(String::from_utf8_lossy(&none.stderr).contains("finds no one"));
    let nothing = v.run_as("admin.pw", &["bulk", "tag", &anna]);
    assert_eq!(nothing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("name a tag"));
}
