//! Backups and restore with the real binary: set up, a backup, the list,
//! an erasure that reaches the backups (`erasure verify --backups`), and a
//! restore into a new vault.

use serde_json::Value;

use crate::support::{Vault, days_ago, verify_totals};

fn json(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

#[test]
fn a_backup_restores_without_the_person_erased_since() {
    let v = Vault::new();
    v.init();
    let erika = v
        .admin(&[
            "contact",
            "add",
            "--name",
            "Erika Zebraquokka",
            "--email",
            "erika@example.de",
        ])
        .trim()
        .to_owned();
    v.admin(&["contact", "add", "--name", "Max Muster"]);
    let stick = v.file("stick");
    let stick_s = stick.to_str().expect("path");
    let setup = json(&v.admin(&[
        "--json",
        "backup",
        "setup",
        "--folder",
        stick_s,
        "--keep-daily",
        "3",
    ]));
    let file = setup["backup"]["file"].as_str().expect("file").to_owned();
    assert!(setup["backup"]["size"].as_u64().expect("size") > 0);
    assert_eq!(setup["people"], 2);
    let status = json(&v.admin(&["--json", "backup", "status"]));
    assert_eq!(status["present"], true);
    assert_eq!(status["rotation"]["daily"], 3);
    // By hand, once more; both listed, newest first.
    let again = json(&v.admin(&["--json", "backup"]));
    let list = json(&v.admin(&["--json", "backup", "list"]));
    assert_eq!(list.as_array().expect("list").len(), 2);
    assert_eq!(list[0]["file"], again["backup"]["file"]);
    assert!(v.admin(&["backup", "verify"]).contains("ok "));

    let verify = [
        "--json",
        "erasure",
        "verify",
        "--text",
        "Zebraquokka",
        "--backups",
        stick_s,
    ];
    let before = v.run_as("admin.pw", &verify);
    assert_eq!(before.status.code(), Some(1), "found in the backups before");
    assert!(verify_totals(&before.stdout, 1)[0] > 0);
    let req = v
        .admin(&[
            "request",
            "open",
            "--kind",
            "erasure",
            "--contact",
            &erika,
            "--received",
            &days_ago(1),
        ])
        .trim()
        .to_owned();
    v.admin(&["contact", "erase", &erika, "--request", &req]);
    let after = v.run_as("admin.pw", &verify);
    assert!(
        after.status.success(),
        "still in a backup: {}",
        String::from_utf8_lossy(&after.stdout)
    );

    // The first backup onto a new laptop.
    let new = v.file("new-laptop");
    let restore = |pw: &str, extra: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_tresor"));
        c.arg("--vault")
            .arg(&new)
            .arg("--passphrase-file")
            .arg(v.file(pw))
            .arg("--json")
            .args(["restore", &file])
            .args(extra)
            .env_remove("TRESOR_PASSPHRASE")
            .env_remove("TRESOR_VAULT");
        c.output().expect("run")
    };
    let wrong = restore("bad.pw", &[]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong_passphrase"));
    assert!(!new.exists());
    let done = restore("admin.pw", &[]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let report = json(&String::from_utf8_lossy(&done.stdout));
    assert_eq!(report["forgotten"], 1);
    let list = std::process::Command::new(env!("CARGO_BIN_EXE_tresor"))
        .arg("--vault")
        .arg(&new)
        .arg("--passphrase-file")
        .arg(v.file("admin.pw"))
        .args(["--json", "contact", "list"])
        .output()
        .expect("run");
    let rows = json(&String::from_utf8_lossy(&list.stdout));
    let names: Vec<&str> = rows
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["display"].as_str())
        .collect();
    assert_eq!(names, vec!["Max Muster"]);
    // A second restore there asks for --replace.
    let twice = restore("admin.pw", &[]);
    assert_eq!(twice.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&twice.stderr).contains("--replace"));
}
