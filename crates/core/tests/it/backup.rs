//! Backups to a folder and restore from them, with real SQLCipher vaults:
//! an erased person is gone from every backup taken before, even for
//! someone holding the team's keys and every backup file; a restore
//! applies every removal since; a damaged file is refused whole.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tresor_core::Session;
use tresor_core::clock::{Clock, SystemClock};
use tresor_core::error::Error;
use tresor_core::model::backups::{KEY_FILE, Rotation};
use tresor_core::model::contacts::{FieldInput, PersonInput};
use tresor_core::model::requests::{NewRequest, RequestKind};
use tresor_core::sync::{self, RestoreRequest};

use crate::clocked::{DAY_MS, at, vault_at};

const DORA: &[u8] = b"dora passphrase one";
const MARKER: &str = "Zebraquokka";

fn person(s: &mut Session, given: &str, family: &str) -> uuid::Uuid {
    s.add_person(
        &PersonInput::default()
            .with("given_name", FieldInput::Text(given.into()))
            .with("family_name", FieldInput::Text(family.into()))
            .with(
                "emails",
                FieldInput::List(vec![format!("{}@example.de", given.to_lowercase())]),
            )
            .with("note", FieldInput::Text(format!("{given} prefers letters"))),
    )
    .expect("person")
}

fn erase(s: &mut Session, p: uuid::Uuid, today: chrono::NaiveDate) {
    let reference = s
        .open_request(&NewRequest {
            kind: RequestKind::Erasure,
            person: Some(p),
            received: today,
            identity_check: None,
        })
        .expect("request")
        .reference;
    s.erase_person(p, &reference, false).expect("erase");
}

/// Backups set up on a folder "stick" in `tmp`: the folder and the first file.
fn first_backup(tmp: &tempfile::TempDir, s: &mut Session) -> (PathBuf, PathBuf) {
    let folder = tmp.path().join("stick");
    let file = s
        .backup_setup(&folder, Rotation::default())
        .expect("setup")
        .backup
        .file;
    (folder, PathBuf::from(file))
}

/// How often `needle` is found in the backup folder by someone with this
/// vault's keys and the key file beside the backups.
fn in_backups(s: &Session, folder: &Path, needle: &str) -> u32 {
    let report = s
        .verify_erasure_everywhere(&[needle.to_owned()], &[], &[folder])
        .expect("verify");
    report
        .places
        .iter()
        .filter(|p| p.place.contains("(backup"))
        .map(|p| p.counts[0])
        .sum()
}

fn names(s: &Session) -> Vec<String> {
    let mut n: Vec<String> = s
        .list(0, 1000)
        .expect("list")
        .into_iter()
        .map(|r| r.display)
        .collect();
    n.sort();
    n
}

fn restore(
    file: &Path,
    dir: &Path,
    pw: &[u8],
    replace: bool,
) -> tresor_core::error::Result<(Session, sync::RestoreReport)> {
    sync::restore(
        RestoreRequest {
            file,
            dir,
            user: "dora",
            passphrase: pw,
            replace,
            recovery: None,
        },
        Arc::new(SystemClock),
    )
}

#[test]
fn an_erasure_reaches_every_backup_taken_before_and_a_restore_leaves_the_erased_out() {
    let (tmp, clock, mut s) = vault_at(at(2026, 11, 2));
    let erika = person(&mut s, MARKER, "Mustermann");
    person(&mut s, "Max", "Muster");
    // A request about her whose text names her: requests outlive an
    // erasure (scrubbed), so their texts must not outlive it in backups.
    s.open_request(&NewRequest {
        kind: RequestKind::Access,
        person: Some(erika),
        received: clock.now().date_naive(),
        identity_check: Some(format!("Ausweis von Frau {MARKER} gesehen")),
    })
    .expect("request");
    let folder = tmp.path().join("stick");
    let first = s.backup_setup(&folder, Rotation::default()).expect("setup");
    assert_eq!(first.people, 2);
    assert!(first.backup.size > 0);
    assert!(folder.join(KEY_FILE).exists());
    clock.advance_ms(DAY_MS);
    person(&mut s, "Nora", "Neu");
    let second = s.backup().expect("second");
    assert_ne!(first.backup.file, second.backup.file);
    assert_eq!(s.backup_list().expect("list").len(), 2);
    // Before the erasure her name opens in both backups: the check can find it.
    assert!(in_backups(&s, &folder, MARKER) >= 2);

    erase(&mut s, erika, clock.now().date_naive());
    // Every backup taken before: nothing of her opens, with every key
    // this vault holds and the key file beside them.
    assert_eq!(in_backups(&s, &folder, MARKER), 0);
    assert_eq!(in_backups(&s, &folder, "erika@example.de"), 0);
    // The others still do.
    assert!(in_backups(&s, &folder, "Nora") > 0);
    let checks = s.backup_verify(None).expect("verify");
    assert_eq!(checks.len(), 2);
    assert!(checks.iter().all(|c| c.ok), "{checks:?}");
    assert!(checks.iter().all(|c| c.forgotten == 1), "{checks:?}");

    // The first backup, restored: the people then, but not the erased one.
    let dir = tmp.path().join("new-laptop").join("vault");
    let (r, report) = restore(Path::new(&first.backup.file), &dir, DORA, false).expect("restore");
    assert_eq!(names(&r), vec!["Max Muster".to_owned()]);
    assert!(report.forgotten > 0, "{report:?}");
    assert!(report.problems.is_empty(), "{report:?}");
    assert!(!report.rejoined);
    // Her id is on the restored laptop's list of the erased: a sync or an
    // import of an old file cannot bring her back.
    assert!(r.contact(erika).is_err());
    // The restored vault works: a change, then it opens again.
    drop(r);
    let mut again = Session::unlock(&dir, "dora", DORA, Arc::new(SystemClock)).expect("unlock");
    person(&mut again, "Olga", "Ost");
    assert_eq!(names(&again).len(), 2);
}

#[test]
fn a_wrong_passphrase_a_damaged_file_or_a_missing_key_file_restore_nothing() {
    let (tmp, _clock, mut s) = vault_at(at(2026, 11, 2));
    person(&mut s, "Max", "Muster");
    let (folder, file) = first_backup(&tmp, &mut s);
    let dir = tmp.path().join("restored");

    let e = restore(&file, &dir, b"not the passphrase", false)
        .map(|_| ())
        .expect_err("refused");
    assert!(matches!(e, Error::WrongPassphrase), "{e}");
    assert!(!dir.exists());

    // One byte changed anywhere in the sealed part: refused whole.
    let mut bytes = std::fs::read(&file).expect("read");
    let n = bytes.len();
    bytes[n - 100] ^= 1;
    let bad = folder.join("tresor-20261102-100000-001.tbk");
    std::fs::write(&bad, &bytes).expect("write");
    let e = restore(&bad, &dir, DORA, false)
        .map(|_| ())
        .expect_err("refused");
    assert!(e.to_string().contains("damaged"), "{e}");
    assert!(!dir.exists());
    let checks = s.backup_verify(Some(&bad)).expect("verify");
    assert!(!checks[0].ok && checks[0].problem.is_some(), "{checks:?}");
    std::fs::remove_file(&bad).expect("rm");
    // Cut short.
    std::fs::write(&bad, &std::fs::read(&file).expect("read")[..n / 2]).expect("write");
    assert!(restore(&bad, &dir, DORA, false).is_err());
    std::fs::remove_file(&bad).expect("rm");

    // Without its key file nothing about people could be read: said so.
    let keys = folder.join(KEY_FILE);
    let aside = tmp.path().join("keys-aside");
    std::fs::rename(&keys, &aside).expect("move");
    let e = restore(&file, &dir, DORA, false)
        .map(|_| ())
        .expect_err("refused");
    assert!(e.to_string().contains(KEY_FILE), "{e}");
    assert!(!dir.exists());
    std::fs::rename(&aside, &keys).expect("back");

    // Over an existing vault only when asked; the replaced one is kept aside.
    let existing = tmp.path().join("vault");
    drop(s);
    let e = restore(&file, &existing, DORA, false)
        .map(|_| ())
        .expect_err("refused");
    assert!(matches!(e, Error::VaultExists { .. }), "{e}");
    let (_r, report) = restore(&file, &existing, DORA, true).expect("replace");
    let kept = PathBuf::from(report.replaced_kept.expect("kept aside"));
    assert!(kept.join("keyring.json").exists());
}

#[test]
fn a_folder_inside_the_vault_is_refused_and_an_erasure_waits_for_an_absent_folder() {
    let (tmp, clock, mut s) = vault_at(at(2026, 11, 2));
    let e = s
        .backup_setup(&tmp.path().join("vault").join("b"), Rotation::default())
        .map(|_| ())
        .expect_err("refused");
    assert!(e.to_string().contains("vault"), "{e}");
    let erika = person(&mut s, MARKER, "Mustermann");
    let folder = tmp.path().join("stick");
    s.backup_setup(&folder, Rotation::default()).expect("setup");
    // The stick is pulled out; the erasure happens meanwhile.
    let away = tmp.path().join("stick-elsewhere");
    std::fs::rename(&folder, &away).expect("unplug");
    erase(&mut s, erika, clock.now().date_naive());
    let status = s.backup_status().expect("status");
    assert!(!status.present && status.keys_pending, "{status:?}");
    assert!(s.backup().is_err(), "a backup needs its folder");
    // Her key is still in the key file on the stick...
    assert!(in_backups(&s, &away, MARKER) > 0);
    // ... until the stick is back: the first look carries the erasure.
    std::fs::rename(&away, &folder).expect("plug in");
    let status = s.backup_status().expect("status");
    assert!(status.present && !status.keys_pending, "{status:?}");
    assert_eq!(in_backups(&s, &folder, MARKER), 0);
}

#[test]
fn daily_backups_rotate_and_an_agent_may_not_restore() {
    let (tmp, clock, mut s) = vault_at(at(2026, 11, 2));
    person(&mut s, "Max", "Muster");
    let folder = tmp.path().join("stick");
    let keep = Rotation {
        daily: 3,
        weekly: 1,
        monthly: 1,
    };
    s.backup_setup(&folder, keep).expect("setup");
    // Once a day of use: a second unlock the same day writes none.
    assert!(s.backup_if_due().expect("due").is_none());
    for _ in 0..6 {
        clock.advance_ms(DAY_MS);
        assert!(s.backup_if_due().expect("due").is_some());
    }
    let list = s.backup_list().expect("list");
    assert_eq!(list.len(), 3, "{list:?}");
    assert!(list[0].taken_at > list[1].taken_at);
    assert_eq!(list[0].taken_at.date_naive(), clock.now().date_naive());

    s.add_user(
        "ida",
        tresor_core::model::roles::Role::Agent,
        b"agent passphrase",
    )
    .expect("agent");
    let file = PathBuf::from(s.backup().expect("backup").backup.file);
    let agent = Session::unlock(
        &tmp.path().join("vault"),
        "ida",
        b"agent passphrase",
        clock.clone(),
    )
    .expect("agent");
    assert!(agent.backup_list().is_err());
    let e = sync::restore(
        RestoreRequest {
            file: &file,
            dir: &tmp.path().join("agent-restore"),
            user: "ida",
            passphrase: b"agent passphrase",
            replace: false,
            recovery: None,
        },
        clock,
    )
    .map(|_| ())
    .expect_err("refused");
    assert!(matches!(e, Error::Forbidden { .. }), "{e}");
}

/// Laptop "a" of a team sharing the folder "shared", on the real clock.
fn team_laptop() -> (tempfile::TempDir, Arc<dyn Clock>, Session, PathBuf) {
    let tmp = tempfile::tempdir().expect("tmp");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (mut a, _) = Session::create(
        &tmp.path().join("a"),
        "dora",
        DORA,
        tresor_core::crypto::KdfParams::FLOOR,
        clock.clone(),
    )
    .expect("create");
    let shared = tmp.path().join("shared");
    a.sync_setup(&shared).expect("share");
    (tmp, clock, a, shared)
}

#[test]
fn a_restored_team_laptop_rejoins_and_catches_up() {
    let (tmp, clock, mut a, shared) = team_laptop();
    let erika = person(&mut a, MARKER, "Mustermann");
    a.sync().expect("sync");
    let folder = tmp.path().join("stick");
    let file = PathBuf::from(
        a.backup_setup(&folder, Rotation::default())
            .expect("setup")
            .backup
            .file,
    );
    assert!(shared.join("team").join("backup-keys.tbk").exists());
    // Someone keeps the key file of today, with Erika's key in it.
    let stale = std::fs::read(folder.join(KEY_FILE)).expect("key file");
    // Another laptop adds someone and erases Erika after the backup.
    let (mut b, _) =
        sync::join(&shared, &tmp.path().join("b"), "dora", DORA, clock.clone()).expect("join");
    person(&mut b, "Paula", "Partner");
    erase(&mut b, erika, clock.now().date_naive());
    b.sync().expect("sync");
    a.sync().expect("sync");
    // Laptop a is lost; its key file is on the stick, a copy in the folder.
    drop(a);
    std::fs::remove_dir_all(tmp.path().join("a")).expect("lost");
    // ... and puts it back on the stick: the folder's newer copy, and every
    // removal any copy knows, still keep her out.
    std::fs::write(folder.join(KEY_FILE), &stale).expect("stale key file");
    let (r, report) = restore(&file, &tmp.path().join("a2"), DORA, false).expect("restore");
    assert!(report.rejoined, "{report:?}");
    assert_eq!(names(&r), vec!["Paula Partner".to_owned()]);
    assert!(r.contact(erika).is_err());
}

#[test]
fn a_laptop_behind_on_an_erasure_cannot_put_the_key_back_in_the_key_file() {
    let (tmp, clock, mut a, shared) = team_laptop();
    let erika = person(&mut a, MARKER, "Mustermann");
    person(&mut a, "Max", "Muster");
    a.sync().expect("sync");
    let folder = tmp.path().join("stick");
    a.backup_setup(&folder, Rotation::default()).expect("setup");
    // Another laptop, with no backup folder of its own, erases Erika: the
    // team's copy of the key file forgets her at once.
    let (mut b, _) =
        sync::join(&shared, &tmp.path().join("b"), "dora", DORA, clock.clone()).expect("join");
    erase(&mut b, erika, clock.now().date_naive());
    b.sync().expect("sync");
    // Laptop a has not synced yet and still holds her key; its next
    // backup rewrites the key files with what it knows, merged.
    let file = PathBuf::from(a.backup().expect("backup").backup.file);
    drop(a);
    // Only the stick, as a thief of the stick and the team's keys has it.
    std::fs::remove_dir_all(&shared).expect("no team folder");
    let (r, report) = restore(&file, &tmp.path().join("restored"), DORA, false).expect("restore");
    assert_eq!(names(&r), vec!["Max Muster".to_owned()]);
    assert!(report.forgotten > 0, "{report:?}");
}

#[test]
fn restoring_an_old_backup_keeps_newer_backups_whole() {
    let (tmp, clock, mut s) = vault_at(at(2026, 11, 2));
    person(&mut s, "Max", "Muster");
    let (_folder, old) = first_backup(&tmp, &mut s);
    clock.advance_ms(DAY_MS);
    person(&mut s, "Nora", "Neu");
    let newer = PathBuf::from(s.backup().expect("newer").backup.file);
    drop(s);
    // The older one is restored by mistake, then the newer one.
    let (first, _) = restore(&old, &tmp.path().join("one"), DORA, false).expect("old");
    assert_eq!(names(&first), vec!["Max Muster".to_owned()]);
    drop(first);
    let (second, report) = restore(&newer, &tmp.path().join("two"), DORA, false).expect("newer");
    assert_eq!(report.forgotten, 0, "{report:?}");
    assert_eq!(
        names(&second),
        vec!["Max Muster".to_owned(), "Nora Neu".to_owned()]
    );
}

#[test]
fn an_altered_head_an_old_passphrase_or_planted_files_open_or_push_out_nothing() {
    let (tmp, clock, mut s) = vault_at(at(2026, 11, 2));
    person(&mut s, MARKER, "Mustermann");
    let (folder, file) = first_backup(&tmp, &mut s);
    // The head names the team's folder and the vault: changed, refused.
    let mut bytes = std::fs::read(&file).expect("read");
    let altered = tmp.path().join("altered");
    std::fs::create_dir_all(&altered).expect("dir");
    bytes[12] ^= 0x01;
    let copy = altered.join(file.file_name().expect("name"));
    std::fs::write(&copy, &bytes).expect("write");
    std::fs::copy(folder.join(KEY_FILE), altered.join(KEY_FILE)).expect("key file");
    let check = s.backup_verify(Some(&copy)).expect("verify");
    assert!(!check[0].ok, "{check:?}");
    assert!(
        restore(&copy, &tmp.path().join("x"), DORA, false).is_err(),
        "an altered head is refused"
    );

    // After a change of passphrase the old one opens no backup.
    s.change_passphrase("dora", b"dora passphrase two")
        .expect("change");
    let old = restore(&file, &tmp.path().join("old-pass"), DORA, false)
        .map(|_| ())
        .expect_err("the old passphrase");
    assert!(matches!(old, Error::WrongPassphrase), "{old}");
    restore(
        &file,
        &tmp.path().join("new-pass"),
        b"dora passphrase two",
        false,
    )
    .expect("the new passphrase");

    // Files named for later dates do not push the real backups out.
    for m in 1..=12 {
        std::fs::write(
            folder.join(format!("tresor-2099{m:02}01-000000-000.tbk")),
            b"x",
        )
        .expect("plant");
    }
    for _ in 0..3 {
        clock.advance_ms(DAY_MS);
        s.backup().expect("backup");
    }
    assert!(file.exists(), "the first real backup stays");
    let real = s
        .backup_list()
        .expect("list")
        .into_iter()
        .filter(|b| !b.file.contains("tresor-2099"))
        .count();
    assert_eq!(real, 4);
}
