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
    let restore = |pw: &str, extra: &[&str]| restore_into(&v, &new, "ada", pw, &file, extra);
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
    let list = list_in(&v, &new, "ada", "admin.pw");
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
    assert!(
        String::from_utf8_lossy(&twice.stderr).contains("--replace"),
        "{}",
        String::from_utf8_lossy(&twice.stderr)
    );
}

/// `tresor backup setup` on a folder "stick" of the test; the first backup's file.
fn set_up_backups(v: &Vault) -> String {
    let stick = v.file("stick");
    let setup = json(&v.admin(&[
        "--json",
        "backup",
        "setup",
        "--folder",
        stick.to_str().expect("p"),
    ]));
    setup["backup"]["file"].as_str().expect("file").to_owned()
}

/// `tresor --json restore FILE` into `dir`, as `user` with the passphrase file `pw`.
fn restore_into(
    v: &Vault,
    dir: &std::path::Path,
    user: &str,
    pw: &str,
    file: &str,
    extra: &[&str],
) -> std::process::Output {
    restore_cmd(v, dir, user, pw, file)
        .args(extra)
        .output()
        .expect("run")
}

/// The command of [`restore_into`], to run or to kill.
fn restore_cmd(
    v: &Vault,
    dir: &std::path::Path,
    user: &str,
    pw: &str,
    file: &str,
) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_tresor"));
    c.arg("--vault")
        .arg(dir)
        .arg("--user")
        .arg(user)
        .arg("--passphrase-file")
        .arg(v.file(pw))
        .args(["--json", "restore", file])
        .env_remove("TRESOR_PASSPHRASE")
        .env_remove("TRESOR_VAULT")
        .env_remove("TRESOR_RECOVERY_KEY");
    c
}

fn list_in(v: &Vault, dir: &std::path::Path, user: &str, pw: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tresor"))
        .arg("--vault")
        .arg(dir)
        .arg("--user")
        .arg(user)
        .arg("--passphrase-file")
        .arg(v.file(pw))
        // No daily backup of the restored vault into the same folder: its
        // rotation would remove the restored file after midnight.
        .args(["--no-sweep", "--json", "contact", "list"])
        .env_remove("TRESOR_PASSPHRASE")
        .env_remove("TRESOR_VAULT")
        .output()
        .expect("run")
}

#[test]
fn a_user_removed_after_a_backup_cannot_restore_it_nor_open_its_restore() {
    let v = Vault::new();
    v.init();
    v.admin(&["contact", "add", "--name", "Max Muster"]);
    // Sam may restore (an admin), is backed up, then removed.
    v.add_user("sam", "admin", "sales.pw");
    let file = set_up_backups(&v);
    v.admin(&["user", "remove", "sam"]);

    // The key file beside the backup carries the keys after the removal.
    let sam = restore_into(&v, &v.file("sams-laptop"), "sam", "sales.pw", &file, &[]);
    assert_eq!(
        sam.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&sam.stdout)
    );
    assert!(!v.file("sams-laptop").join("tresor.db").exists());
    // The admin restores it; Sam cannot open what was restored.
    let new = v.file("new-laptop");
    let ada = restore_into(&v, &new, "ada", "admin.pw", &file, &[]);
    assert!(
        ada.status.success(),
        "{}",
        String::from_utf8_lossy(&ada.stderr)
    );
    assert!(list_in(&v, &new, "ada", "admin.pw").status.success());
    let refused = list_in(&v, &new, "sam", "sales.pw");
    assert_eq!(refused.status.code(), Some(1));
    assert!(refused.stdout.is_empty());
}

#[test]
fn a_backup_killed_midway_leaves_the_earlier_ones_whole_and_counts_no_partial_file() {
    let v = Vault::new();
    v.init();
    // Enough people that a backup takes a moment, brought in at once.
    let mut csv = String::from("Vorname;Nachname;E-Mail\n");
    for i in 0..3000 {
        csv.push_str(&format!("Person;Nummer{i};p{i}@example.de\n"));
    }
    let list = v.file("Liste.csv");
    std::fs::write(&list, csv).expect("csv");
    v.admin(&["--no-sweep", "import", list.to_str().expect("p")]);
    let stick = v.file("stick");
    v.admin(&["backup", "setup", "--folder", stick.to_str().expect("p")]);
    let listed = || {
        json(&v.admin(&["--json", "backup", "list"]))
            .as_array()
            .expect("list")
            .len()
    };
    let before = listed();
    assert_eq!(before, 1);
    // Killed at several points: before, during and after the write.
    for delay_ms in [0u64, 30, 80, 150, 300, 600] {
        let mut child = v
            .command("admin.pw", &["--no-sweep", "backup"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        // Whatever the moment: every file listed opens and is whole, and
        // nothing half-written is counted as a backup.
        let checks = json(&v.admin(&["--json", "backup", "verify"]));
        let checks = checks.as_array().expect("checks");
        assert!(checks.len() >= before, "{checks:?}");
        assert!(
            checks.iter().all(|c| c["ok"] == true),
            "after {delay_ms} ms: {checks:?}"
        );
        assert_eq!(checks.len(), listed());
        let tbk = std::fs::read_dir(&stick)
            .expect("stick")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("tresor-") && n.ends_with(".tbk") && n != "tresor-keys.tbk")
            .count();
        assert_eq!(
            tbk,
            checks.len(),
            "a file named as a backup that is not one"
        );
    }
    // The next backup runs as usual.
    let last = json(&v.admin(&["--no-sweep", "--json", "backup"]));
    assert!(listed() > before);

    // A restore killed at any moment leaves either no vault there or the
    // whole one: never one that opens half-built.
    let file = last["backup"]["file"].as_str().expect("file").to_owned();
    for (i, delay_ms) in [0u64, 100, 300, 700, 1500].into_iter().enumerate() {
        let dir = v.file(&format!("restore-{i}"));
        let mut child = restore_cmd(&v, &dir, "ada", "admin.pw", &file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        if dir.join("keyring.json").exists() || dir.join("tresor.db").exists() {
            let rows = list_in(&v, &dir, "ada", "admin.pw");
            assert!(
                rows.status.success(),
                "after {delay_ms} ms: a vault that does not open"
            );
            let n = json(&String::from_utf8_lossy(&rows.stdout))
                .as_array()
                .expect("rows")
                .len();
            assert!(
                n > 0,
                "after {delay_ms} ms: a vault restored without its people"
            );
        }
    }
}

#[test]
fn a_fresh_machine_restores_with_the_recovery_kit_and_sets_a_new_passphrase() {
    let v = Vault::new();
    v.init();
    v.admin(&["contact", "add", "--name", "Max Muster"]);
    let file = set_up_backups(&v);
    // The laptop is gone and nobody remembers the passphrase.
    std::fs::remove_dir_all(v.dir()).expect("lost");
    let new = v.file("new-laptop");
    let kit = v.file("kit.txt");
    let kit_s = kit.to_str().expect("p");
    let new_pw = v.file("new.pw");
    let new_pw_s = new_pw.to_str().expect("p");
    // A wrong key opens nothing.
    std::fs::write(
        v.file("wrong-kit.txt"),
        "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH-JJJJ-KKKK-LLLL-MMMM-NNNN-PPPP\n",
    )
    .expect("kit");
    let wrong = restore_into(
        &v,
        &new,
        "ada",
        "bad.pw",
        &file,
        &[
            "--recovery",
            "--recovery-key-file",
            v.file("wrong-kit.txt").to_str().expect("p"),
            "--new-passphrase-file",
            new_pw_s,
        ],
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(!new.join("tresor.db").exists());
    let done = restore_into(
        &v,
        &new,
        "ada",
        "bad.pw",
        &file,
        &[
            "--recovery",
            "--recovery-key-file",
            kit_s,
            "--new-passphrase-file",
            new_pw_s,
        ],
    );
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    // The new passphrase opens it, the old one no longer does.
    let rows = list_in(&v, &new, "ada", "new.pw");
    assert!(
        rows.status.success(),
        "{}",
        String::from_utf8_lossy(&rows.stderr)
    );
    assert!(String::from_utf8_lossy(&rows.stdout).contains("Max Muster"));
    assert_eq!(list_in(&v, &new, "ada", "admin.pw").status.code(), Some(1));
}
