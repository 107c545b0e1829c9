//! Two laptops through a shared folder, with the real `tresor` binary: a
//! plain shared directory, and two real Syncthing instances on loopback.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::Vault;
use crate::support::syncthing::SyncthingPair;
use serde_json::Value;
use tresor_core::session::Session;

fn json(out: &str) -> Value {
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// The second laptop, signed in as `user` with the passphrase in `pw`.
fn on(v: &Vault, user: &str, pw: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--user", user];
    all.extend_from_slice(args);
    v.run_as(pw, &all)
}

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

fn err_code(out: &std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let line = String::from_utf8_lossy(&out.stderr);
    json(line.lines().last().unwrap_or_default())["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn add_person(v: &Vault, user: &str, pw: &str, given: &str, family: &str) -> String {
    let name = format!("{given} {family}");
    ok(on(v, user, pw, &["contact", "add", "--name", &name]))
        .trim()
        .to_owned()
}

/// One text field of every row a `--json` listing prints, sorted.
fn listed(v: &Vault, user: &str, pw: &str, what: &[&str], key: &str) -> Vec<String> {
    let mut args = vec!["--json"];
    args.extend_from_slice(what);
    let rows = json(&ok(on(v, user, pw, &args)));
    let mut out: Vec<String> = rows
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r[key].as_str().unwrap_or_default().to_owned())
        .collect();
    out.sort();
    out
}

fn names(v: &Vault, user: &str, pw: &str) -> Vec<String> {
    listed(v, user, pw, &["contact", "list"], "display")
}

fn users(v: &Vault, user: &str, pw: &str) -> Vec<String> {
    listed(v, user, pw, &["user", "list"], "name")
}

fn sync(v: &Vault, user: &str, pw: &str) -> Value {
    json(&ok(on(v, user, pw, &["--json", "sync"])))
}

#[test]
fn two_laptops_through_a_shared_directory() {
    let a = Vault::new();
    a.init();
    add_person(&a, "ada", "admin.pw", "Anton", "Adler");
    a.add_user("eve", "sales", "sales.pw");
    let folder = a.file("shared");
    let f = folder.to_str().expect("path");

    // Not set up yet: a clear refusal.
    assert_eq!(
        err_code(&on(&a, "ada", "admin.pw", &["--json", "sync"])),
        "sync_not_set_up"
    );
    // A folder with other things in it is refused.
    let busy = a.file("busy");
    std::fs::create_dir_all(&busy).expect("mkdir");
    std::fs::write(busy.join("notes.txt"), "x").expect("write");
    let busy_out = on(
        &a,
        "ada",
        "admin.pw",
        &[
            "--json",
            "sync",
            "setup",
            "--folder",
            busy.to_str().expect("path"),
        ],
    );
    assert_eq!(err_code(&busy_out), "sync_folder");
    // Only an admin sets up.
    assert_eq!(
        err_code(&on(
            &a,
            "eve",
            "sales.pw",
            &["--json", "sync", "setup", "--folder", f]
        )),
        "forbidden"
    );
    let setup = json(&ok(on(
        &a,
        "ada",
        "admin.pw",
        &["--json", "sync", "setup", "--folder", f],
    )));
    assert!(setup["sent_changes"].as_u64().unwrap_or(0) > 0, "{setup}");

    // Laptop B: the user the admin added joins from the folder.
    let b = Vault::new();
    let wrong = on(&b, "eve", "bad.pw", &["--json", "join", "--folder", f]);
    assert_eq!(err_code(&wrong), "wrong_passphrase");
    assert!(!b.dir().exists(), "a refused join leaves nothing behind");
    ok(on(&b, "eve", "sales.pw", &["join", "--folder", f]));
    assert_eq!(names(&b, "eve", "sales.pw"), vec!["Anton Adler"]);

    // A change on B reaches A.
    add_person(&b, "eve", "sales.pw", "Berta", "Biber");
    let sent = sync(&b, "eve", "sales.pw");
    assert!(sent["sent_changes"].as_u64().unwrap_or(0) > 0, "{sent}");
    let got = sync(&a, "ada", "admin.pw");
    assert!(got["received_changes"].as_u64().unwrap_or(0) > 0, "{got}");
    assert_eq!(
        names(&a, "ada", "admin.pw"),
        vec!["Anton Adler", "Berta Biber"]
    );

    let status = json(&ok(on(
        &a,
        "ada",
        "admin.pw",
        &["--json", "sync", "status"],
    )));
    assert_eq!(status["pending_changes"], 0);
    assert!(status["last_sync"].is_string());
    let devices = json(&ok(on(
        &a,
        "ada",
        "admin.pw",
        &["--json", "device", "list"],
    )));
    let devices = devices.as_array().expect("devices");
    assert_eq!(devices.len(), 2);
    assert_eq!(
        devices.iter().filter(|d| d["this_device"] == true).count(),
        1
    );
    let b_id = devices
        .iter()
        .find(|d| d["user"] == "eve")
        .and_then(|d| d["id"].as_str())
        .expect("eve's device")
        .to_owned();
    // Only an admin retires a device.
    assert_eq!(
        err_code(&on(
            &b,
            "eve",
            "sales.pw",
            &["--json", "device", "retire", &b_id]
        )),
        "forbidden"
    );
    ok(on(&a, "ada", "admin.pw", &["device", "retire", &b_id]));
    let devices = json(&ok(on(
        &a,
        "ada",
        "admin.pw",
        &["--json", "device", "list"],
    )));
    assert!(
        devices
            .as_array()
            .expect("devices")
            .iter()
            .any(|d| d["id"] == b_id.as_str() && d["retired"] == true)
    );
    // What B wrote before its retirement still reaches a laptop that
    // joins later; what B writes afterwards is not even sent.
    add_person(&b, "eve", "sales.pw", "Carla", "Spät");
    let retired = sync(&b, "eve", "sales.pw");
    assert_eq!(retired["problems"][0]["code"], "retired", "{retired}");
    let c = Vault::new();
    ok(on(&c, "ada", "admin.pw", &["join", "--folder", f]));
    assert_eq!(
        names(&c, "ada", "admin.pw"),
        vec!["Anton Adler", "Berta Biber"]
    );
    sync(&a, "ada", "admin.pw");
    assert_eq!(
        names(&a, "ada", "admin.pw"),
        vec!["Anton Adler", "Berta Biber"]
    );
}

#[test]
fn a_user_removed_on_one_laptop_is_out_on_every_laptop() {
    let a = Vault::new();
    a.init();
    a.add_user("eve", "sales", "sales.pw");
    a.add_user("finn", "sales", "agent.pw");
    let folder = a.file("shared");
    let f = folder.to_str().expect("path");
    ok(on(&a, "ada", "admin.pw", &["sync", "setup", "--folder", f]));
    let b = Vault::new();
    ok(on(&b, "finn", "agent.pw", &["join", "--folder", f]));
    let c = Vault::new();
    ok(on(&c, "eve", "sales.pw", &["join", "--folder", f]));

    // The admin removes Eve on A; B takes the new keys over at its next
    // sync, with nothing more to do than sync.
    ok(on(&a, "ada", "admin.pw", &["user", "remove", "eve"]));
    let first = sync(&a, "ada", "admin.pw");
    assert_eq!(first["problems"], Value::Array(vec![]), "{first}");
    let taken = sync(&b, "finn", "agent.pw");
    assert_eq!(taken["problems"], Value::Array(vec![]), "{taken}");
    assert_eq!(users(&b, "finn", "agent.pw"), vec!["ada", "finn"]);
    add_person(&b, "finn", "agent.pw", "Nora", "Neu");
    sync(&b, "finn", "agent.pw");
    sync(&a, "ada", "admin.pw");
    assert_eq!(names(&a, "ada", "admin.pw"), vec!["Nora Neu"]);

    // Eve's laptop is told and receives nothing new; she cannot join again.
    let out = sync(&c, "eve", "sales.pw");
    assert_eq!(out["problems"][0]["code"], "keyring", "{out}");
    assert!(
        out["problems"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("removed"),
        "{out}"
    );
    assert!(names(&c, "eve", "sales.pw").is_empty());
    let d = Vault::new();
    let again = on(&d, "eve", "sales.pw", &["--json", "join", "--folder", f]);
    assert!(!again.status.success(), "{again:?}");
    assert!(!d.dir().exists(), "a refused join leaves nothing behind");
}

/// Relative paths of the Tresor files under a folder (no Syncthing markers).
fn files(root: &Path) -> Vec<PathBuf> {
    crate::support::all_bytes_under(root)
        .into_iter()
        .filter_map(|(p, _)| p.strip_prefix(root).ok().map(Path::to_path_buf))
        .filter(|p| !p.starts_with(".stfolder") && !p.to_string_lossy().contains(".syncthing."))
        .collect()
}

fn conflict_copies(root: &Path) -> usize {
    files(root)
        .iter()
        .filter(|p| p.to_string_lossy().contains(".sync-conflict-"))
        .count()
}

#[test]
fn two_syncthing_instances_carry_changes_and_conflict_copies_are_ignored() {
    let work = tempfile::tempdir().expect("tmp");
    let fa = work.path().join("a-shared");
    let fb = work.path().join("b-shared");
    let pair = SyncthingPair::start(work.path(), &fa, &fb);
    let a = Vault::new();
    a.init();
    let x = add_person(&a, "ada", "admin.pw", "Xaver", "Xylo");
    ok(on(
        &a,
        "ada",
        "admin.pw",
        &["sync", "setup", "--folder", fa.to_str().expect("path")],
    ));
    let arrived = pair.wait_until(Duration::from_secs(60), || {
        let (ta, tb) = (files(&fa), files(&fb));
        !ta.is_empty() && ta.iter().all(|p| tb.contains(p))
    });
    assert!(
        arrived,
        "the team did not reach B's folder\n{}",
        pair.logs()
    );

    // The admin's second laptop joins from its own copy of the folder.
    let b = Vault::new();
    ok(on(
        &b,
        "ada",
        "admin.pw",
        &["join", "--folder", fb.to_str().expect("path")],
    ));
    assert_eq!(names(&b, "ada", "admin.pw"), vec!["Xaver Xylo"]);

    // A change on B appears on A.
    ok(on(
        &b,
        "ada",
        "admin.pw",
        &["contact", "edit", &x, "--family-name", "Xylofon"],
    ));
    sync(&b, "ada", "admin.pw");
    let seen = pair.wait_until(Duration::from_secs(60), || {
        sync(&a, "ada", "admin.pw");
        names(&a, "ada", "admin.pw") == vec!["Xaver Xylofon"]
    });
    assert!(seen, "B's change did not reach A\n{}", pair.logs());

    // Offline at the same time: both laptops add a user (both rewrite the
    // team keyring) and edit the same field.
    pair.pause();
    std::thread::sleep(Duration::from_millis(500));
    a.add_user("fritz", "agent", "agent.pw");
    ok(on(
        &a,
        "ada",
        "admin.pw",
        &["contact", "edit", &x, "--given-name", "Anna"],
    ));
    sync(&a, "ada", "admin.pw");
    let greta = b.file("sales.pw");
    ok(on(
        &b,
        "ada",
        "admin.pw",
        &[
            "user",
            "add",
            "greta",
            "--role",
            "sales",
            "--new-passphrase-file",
            greta.to_str().expect("path"),
        ],
    ));
    ok(on(
        &b,
        "ada",
        "admin.pw",
        &["contact", "edit", &x, "--given-name", "Berta"],
    ));
    sync(&b, "ada", "admin.pw");
    pair.resume();

    let conflicted = pair.wait_until(Duration::from_secs(60), || {
        conflict_copies(&fa) + conflict_copies(&fb) > 0
    });
    assert!(
        conflicted,
        "Syncthing made no conflict copy\n{}",
        pair.logs()
    );
    // Tresor ignores the conflict copies and still converges.
    let mut last = (Value::Null, Value::Null);
    let converged = pair.wait_until(Duration::from_secs(90), || {
        last = (sync(&a, "ada", "admin.pw"), sync(&b, "ada", "admin.pw"));
        let want_users = vec!["ada", "fritz", "greta"];
        users(&a, "ada", "admin.pw") == want_users
            && users(&b, "ada", "admin.pw") == want_users
            && names(&a, "ada", "admin.pw") == names(&b, "ada", "admin.pw")
    });
    assert!(converged, "no convergence: {last:?}\n{}", pair.logs());
    assert_eq!(last.0["problems"], serde_json::json!([]), "{:?}", last.0);
    assert_eq!(last.1["problems"], serde_json::json!([]), "{:?}", last.1);
    let name = names(&a, "ada", "admin.pw");
    assert!(
        name == vec!["Berta Xylofon"],
        "the later edit (B's) wins on both: {name:?}"
    );
    // The user added on the other laptop can sign in on each.
    assert_eq!(names(&a, "greta", "sales.pw"), name);
}

/// An agent who owns laptop B: a keyring rewritten with his own keys is
/// refused at every command; a patched program's changes beyond his role
/// reach the admin's laptop only as a reported refusal.
#[test]
fn an_agents_own_laptop_cannot_act_beyond_the_role_through_the_folder() {
    use std::sync::Arc;
    use tresor_core::model::retention::RuleChange;
    use tresor_core::model::retention::{RetentionAction, RuleKey};
    use tresor_core::model::roles::Role;
    use tresor_core::vault::VaultDir;
    const CARL: &[u8] = b"agent passphrase two";

    let a = Vault::new();
    a.init();
    let anton = add_person(&a, "ada", "admin.pw", "Anton", "Adler");
    a.add_user("carl", "agent", "agent.pw");
    let folder = a.file("shared");
    let f = folder.to_str().expect("path");
    ok(on(&a, "ada", "admin.pw", &["sync", "setup", "--folder", f]));
    let b = Vault::new();
    ok(on(&b, "carl", "agent.pw", &["join", "--folder", f]));
    let rules_before = ok(on(&a, "ada", "admin.pw", &["--json", "retention", "rules"]));

    // 1. Carl rewrites his own keyring entry to admin, with his own keys.
    let ring_path = VaultDir::new(b.dir()).keyring_path();
    let original = std::fs::read(&ring_path).expect("keyring");
    let mut ring = VaultDir::new(b.dir()).keyring().expect("ring");
    ring.forge_role("carl", CARL, Role::Admin, false)
        .expect("forge");
    std::fs::write(&ring_path, ring.to_bytes()).expect("write");
    let forged = on(
        &b,
        "carl",
        "agent.pw",
        &[
            "--json",
            "retention",
            "set",
            "people",
            "--period",
            "1d",
            "--action",
            "delete",
        ],
    );
    assert_eq!(err_code(&forged), "role_not_signed");
    std::fs::write(&ring_path, original).expect("restore");

    // 2. A patched program on his laptop ignores his role.
    {
        let mut s = Session::unlock(
            &b.dir(),
            "carl",
            CARL,
            Arc::new(tresor_core::clock::SystemClock),
        )
        .expect("unlock");
        s.patch_identity(None, Some(Role::Admin));
        s.set_retention_rule(
            RuleKey::People,
            &RuleChange {
                period: Some("1d".into()),
                from: None,
                action: Some(RetentionAction::Delete),
                law: None,
            },
        )
        .expect("rule, locally");
        s.add_hold(anton.parse().expect("id"), "made up")
            .expect("hold, locally");
    }
    let sent = sync(&b, "carl", "agent.pw");
    assert!(sent["sent_changes"].as_u64().unwrap_or(0) > 0, "{sent}");
    let got = sync(&a, "ada", "admin.pw");
    assert!(
        got["problems"]
            .as_array()
            .expect("problems")
            .iter()
            .any(|p| p["code"] == "refused"),
        "{got}"
    );
    assert_eq!(
        ok(on(&a, "ada", "admin.pw", &["--json", "retention", "rules"])),
        rules_before,
        "the rules on the admin's laptop are as they were"
    );
    assert_eq!(
        ok(on(&a, "ada", "admin.pw", &["--json", "hold", "list"])).trim(),
        "[]"
    );
    let devices = json(&ok(on(
        &a,
        "ada",
        "admin.pw",
        &["--json", "device", "list"],
    )));
    let carl = devices
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["user"] == "carl")
        .expect("carl's laptop")
        .clone();
    assert!(carl["flagged"].is_string(), "{carl}");
    let listing = ok(on(&a, "ada", "admin.pw", &["device", "list"]));
    assert!(listing.contains("refused"), "{listing}");
}
