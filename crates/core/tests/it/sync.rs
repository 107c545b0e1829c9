//! Sync through a plain shared directory, with real SQLCipher vaults in
//! separate directories: joining, merging, erasure reaching every laptop
//! and the folder, damaged and forged files, clocks ahead, old laptops.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tresor_core::Session;
use tresor_core::clock::{Clock, FixedClock, SystemClock};
use tresor_core::crypto::KdfParams;
use tresor_core::keyring::Keyring;
use tresor_core::model::contacts::{FieldInput, FieldValue, PersonInput};
use tresor_core::model::requests::{NewRequest, RequestKind};
use tresor_core::model::roles::Role;
use tresor_core::sync;

const DORA: &[u8] = b"dora passphrase one";
const EVE: &[u8] = b"eve passphrase two";
const FINN: &[u8] = b"finn passphrase three";
const MARKER: &str = "Zebraquokka";

struct Team {
    tmp: tempfile::TempDir,
}

impl Team {
    fn new() -> Team {
        Team {
            tmp: tempfile::tempdir().expect("tmp"),
        }
    }
    fn folder(&self) -> PathBuf {
        self.tmp.path().join("shared")
    }
    fn dir(&self, laptop: &str) -> PathBuf {
        self.tmp.path().join(laptop).join("vault")
    }
    fn first(&self, clock: Arc<dyn Clock>) -> Session {
        let (mut s, _) =
            Session::create(&self.dir("a"), "dora", DORA, KdfParams::FLOOR, clock).expect("create");
        s.sync_setup(&self.folder()).expect("setup");
        s
    }
    fn join(&self, laptop: &str, user: &str, pw: &[u8], clock: Arc<dyn Clock>) -> Session {
        let (s, report) =
            sync::join(&self.folder(), &self.dir(laptop), user, pw, clock).expect("join");
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        s
    }
}

fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

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

fn text(s: &Session, id: uuid::Uuid, field: &str) -> Option<String> {
    match &s.contact(id).ok()?.field(field)?.value {
        FieldValue::Value { value } => Some(value.as_str().unwrap_or_default().to_owned()),
        _ => None,
    }
}

/// Everything a user sees: every contact with every field.
fn state(s: &Session) -> String {
    let rows = s.list(0, 10_000).expect("list");
    let views: Vec<_> = rows
        .iter()
        .map(|r| s.contact(r.id).expect("contact"))
        .collect();
    serde_json::to_string(&views).expect("json")
}

fn verify_total(s: &Session, needle: &str) -> (u32, u32) {
    let report = s.verify_erasure(&[needle.to_owned()]).expect("verify");
    let folder: u32 = report
        .places
        .iter()
        .filter(|p| p.place.contains("shared"))
        .map(|p| p.counts[0])
        .sum();
    let all: u32 = report.places.iter().map(|p| p.counts[0]).sum();
    (all, folder)
}

fn erasure_request(s: &mut Session, p: uuid::Uuid) -> String {
    s.open_request(&NewRequest {
        kind: RequestKind::Erasure,
        person: Some(p),
        received: tresor_core::clock::SystemClock.now().date_naive(),
        identity_check: None,
    })
    .expect("request")
    .reference
}

#[test]
fn laptops_join_merge_and_an_erasure_leaves_nothing_anywhere() {
    let team = Team::new();
    let mut a = team.first(system());
    let p = person(&mut a, MARKER, "Ahlers");
    // An admin adds an agent on laptop A; the agent joins from laptop B.
    a.add_user("eve", Role::Agent, EVE).expect("add eve");
    a.sync().expect("sync a");
    let mut b = team.join("b", "eve", EVE, system());
    let mut c = team.join("c", "dora", DORA, system());
    assert_eq!(text(&b, p, "given_name").as_deref(), Some(MARKER));
    // The app reloads its views when changes from elsewhere arrived.
    let received = c.sync_status().expect("status").last_received;
    assert!(received.is_some(), "joining received the team's changes");
    c.sync().expect("nothing new");
    assert_eq!(c.sync_status().expect("status").last_received, received);
    assert_eq!(
        text(&c, p, "note").as_deref(),
        Some("Zebraquokka prefers letters")
    );
    // The agent's laptop holds the note only sealed: no key, no plaintext.
    assert!(matches!(
        b.contact(p)
            .expect("contact")
            .field("note")
            .map(|f| &f.value),
        Some(FieldValue::Locked { .. })
    ));

    // Concurrent edits of the same field on A and C: last writer wins everywhere.
    a.edit(
        p,
        &[("family_name".into(), FieldInput::Text("Ahlers-A".into()))],
    )
    .expect("edit a");
    std::thread::sleep(std::time::Duration::from_millis(5));
    c.edit(
        p,
        &[("family_name".into(), FieldInput::Text("Ahlers-C".into()))],
    )
    .expect("edit c");
    let q = person(&mut c, "Quirin", "Quast");
    for s in [&mut a, &mut c, &mut b] {
        let r = s.sync().expect("sync");
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }
    a.sync().expect("sync a");
    assert_eq!(text(&a, p, "family_name").as_deref(), Some("Ahlers-C"));
    assert_eq!(text(&b, q, "given_name").as_deref(), Some("Quirin"));
    assert_eq!(state(&a), state(&c));

    // Before: the marker is in the folder, readable to the team.
    let (_, in_folder) = verify_total(&a, MARKER);
    assert!(
        in_folder > 0,
        "the marker should be found in the folder first"
    );

    // Erasure on C reaches every laptop; compaction leaves nothing decryptable.
    let reference = erasure_request(&mut c, p);
    c.erase_person(p, &reference, false).expect("erase");
    c.sync().expect("sync c");
    a.sync().expect("sync a");
    // The first laptop to see every acknowledgement compacts: here the
    // agent's, which holds no key to the notes it carries over sealed.
    let by_b = b.sync().expect("sync b");
    let by_c = c.sync().expect("sync c again");
    assert!(by_b.compacted, "every device acknowledged: compacted");
    assert!(!by_c.compacted, "once is enough");
    a.sync().expect("sync a");
    for s in [&a, &c] {
        assert!(s.contact(p).is_err(), "erased everywhere");
        assert_eq!(
            verify_total(s, MARKER),
            (0, 0),
            "no trace on disk or in the folder"
        );
        assert_eq!(text(s, q, "given_name").as_deref(), Some("Quirin"));
    }
    assert!(b.contact(p).is_err());
    assert_eq!(state(&a), state(&c));
    let segs = std::fs::read_dir(team.folder().join("snap"))
        .expect("snap dir")
        .count();
    assert_eq!(segs, 1, "one snapshot replaces the acknowledged segments");
}

fn segment_path(folder: &Path, s: &Session, seq: u64) -> PathBuf {
    folder
        .join("log")
        .join(s.device())
        .join(format!("{seq:010}.seg"))
}

#[test]
fn damaged_forged_and_conflict_copy_files_are_skipped_never_half_applied() {
    let team = Team::new();
    let mut a = team.first(system());
    let mut b = team.join("b", "dora", DORA, system());
    let p = person(&mut a, "Gustav", "Gans");
    let q = person(&mut a, "Hanna", "Huhn");
    a.sync().expect("sync");
    let path = segment_path(&team.folder(), &a, 2);
    let good = std::fs::read(&path).expect("segment 2");
    // Sync tools leave conflict copies and temp files beside it: ignored.
    let dir = path.parent().expect("dir");
    std::fs::write(
        dir.join("0000000002.sync-conflict-20261124-101010-ABCDEFG.seg"),
        b"junk",
    )
    .expect("conflict copy");
    std::fs::write(dir.join(".syncthing.0000000003.seg.tmp"), b"junk").expect("temp");

    // Truncated: nothing of it applied, reported.
    std::fs::write(&path, &good[..good.len() / 2]).expect("truncate");
    let r = b.sync().expect("sync b");
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert_eq!(r.problems[0].code, "damaged");
    assert!(b.contact(p).is_err() && b.contact(q).is_err());

    // One bit flipped inside the sealed body: forged, not applied.
    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x10;
    std::fs::write(&path, &flipped).expect("flip");
    let r = b.sync().expect("sync b");
    assert_eq!(r.problems[0].code, "forged");
    assert!(b.contact(p).is_err());

    // Whole again: applied, both people, no problem.
    std::fs::write(&path, &good).expect("restore");
    let r = b.sync().expect("sync b");
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(text(&b, q, "given_name").as_deref(), Some("Hanna"));
    assert_eq!(state(&a), state(&b));

    // A cloned device: the same number with different content.
    person(&mut a, "Ida", "Igel");
    a.sync().expect("sync a");
    let third = segment_path(&team.folder(), &a, 3);
    let _ = b.sync().expect("sync b");
    let other = std::fs::read(segment_path(&team.folder(), &a, 2)).expect("seg");
    std::fs::write(&third, &other).expect("overwrite");
    let r = b.sync().expect("sync b");
    assert!(has_problem(&r, "cloned_device"), "{:?}", r.problems);
}

#[test]
fn a_clone_is_caught_where_its_segment_breaks_the_chain_of_those_read_ahead() {
    // B is two segments behind; the first of them is the clone's, the
    // second the original's. Both are signed by the same device key, so
    // only the chain (read ahead on the second thread) can tell.
    let team = Team::new();
    let mut a = team.first(system());
    let mut b = team.join("b", "dora", DORA, system());
    person(&mut a, "Anna", "Anfang");
    a.sync().expect("sync a");
    b.sync().expect("sync b");
    drop(a);
    let clone_dir = team.tmp.path().join("clone-a").join("vault");
    copy_dir(&team.dir("a"), &clone_dir);
    let mut a = Session::unlock(&team.dir("a"), "dora", DORA, system()).expect("unlock a");

    // The original writes two segments, which are then taken out of the
    // folder (as if not yet delivered) ...
    let head = (1..100)
        .take_while(|n| segment_path(&team.folder(), &a, *n).exists())
        .count() as u64;
    let kept = person(&mut a, "Karl", "Original");
    a.sync().expect("sync a");
    let lost = person(&mut a, "Lena", "Original");
    a.sync().expect("sync a");
    let first = segment_path(&team.folder(), &a, head + 1);
    let second = segment_path(&team.folder(), &a, head + 2);
    let second_bytes = std::fs::read(&second).expect("second");
    std::fs::remove_file(&first).expect("take out");
    std::fs::remove_file(&second).expect("take out");
    // ... while the clone writes its own first one under the same number.
    let mut clone = Session::unlock(&clone_dir, "dora", DORA, system()).expect("unlock clone");
    let cloned = person(&mut clone, "Carla", "Klon");
    clone.sync().expect("sync clone");
    assert!(
        first.exists(),
        "the clone wrote under the original's number"
    );
    std::fs::write(&second, &second_bytes).expect("the original's second arrives");

    let r = b.sync().expect("sync b");
    let problem = r
        .problems
        .iter()
        .find(|p| p.code == "cloned_device")
        .unwrap_or_else(|| panic!("{:?}", r.problems));
    assert!(
        problem.file.ends_with(&format!("{:010}.seg", head + 2)),
        "{problem:?}"
    );
    // What chains is applied, what does not is not.
    assert!(b.contact(cloned).is_ok());
    assert!(b.contact(lost).is_err());
    assert!(
        b.contact(kept).is_err(),
        "the original's first never arrived"
    );
}

#[test]
fn changes_from_a_clock_far_ahead_are_held_back_until_it_is_time() {
    let team = Team::new();
    let now = tresor_core::clock::SystemClock.now();
    let ahead = Arc::new(FixedClock::new(now + chrono::Duration::hours(2)));
    let here = Arc::new(FixedClock::new(now));
    let mut a = team.first(here.clone());
    let mut b = team.join("b", "dora", DORA, ahead);
    let p = person(&mut b, "Zukunft", "Zeitreise");
    b.sync().expect("sync b");
    let r = a.sync().expect("sync a");
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert_eq!(r.problems[0].code, "clock_ahead");
    assert!(a.contact(p).is_err(), "held back");
    here.advance_ms(2 * 3600 * 1000);
    let r = a.sync().expect("sync a");
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert_eq!(text(&a, p, "given_name").as_deref(), Some("Zukunft"));
    // The local clock moved past what it received: a new change wins.
    a.edit(
        p,
        &[("given_name".into(), FieldInput::Text("Gegenwart".into()))],
    )
    .expect("edit");
    a.sync().expect("sync a");
    b.sync().expect("sync b");
    assert_eq!(text(&b, p, "given_name").as_deref(), Some("Gegenwart"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

#[test]
fn an_old_laptop_or_backup_cannot_bring_an_erased_person_back() {
    let team = Team::new();
    let mut a = team.first(system());
    let p = person(&mut a, MARKER, "Alt");
    a.sync().expect("sync a");
    let mut b = team.join("b", "dora", DORA, system());
    assert!(b.contact(p).is_ok());
    // A backup of laptop A, taken while the person was there.
    drop(a);
    let backup = team.tmp.path().join("backup-a");
    copy_dir(&team.dir("a"), &backup);
    let mut a = Session::unlock(&team.dir("a"), "dora", DORA, system()).expect("unlock a");

    // B goes away for months and edits the person meanwhile.
    b.edit(
        p,
        &[("family_name".into(), FieldInput::Text("Offline".into()))],
    )
    .expect("edit b");
    let b_device = b.device().to_owned();
    drop(b);

    let reference = erasure_request(&mut a, p);
    a.erase_person(p, &reference, false).expect("erase");
    a.sync().expect("sync a");
    // B is silent: compaction waits for it ...
    assert!(!a.sync_with(true).expect("sync").compacted);
    // ... until an admin retires it.
    a.retire_device(&b_device).expect("retire");
    assert!(a.sync_with(true).expect("sync").compacted);

    // B comes back: the person goes there too, and nothing comes back to A.
    let mut b = Session::unlock(&team.dir("b"), "dora", DORA, system()).expect("unlock b");
    b.sync().expect("sync b");
    assert!(b.contact(p).is_err(), "erased on the returning laptop");
    a.sync().expect("sync a");
    assert!(a.contact(p).is_err(), "not revived by the returning laptop");

    // The old backup of A is restored on a laptop: the snapshot erases it there.
    let mut restored = Session::unlock(&backup, "dora", DORA, system()).expect("unlock backup");
    assert!(
        restored.contact(p).is_ok(),
        "the backup still has the person"
    );
    restored.sync().expect("sync restored");
    assert!(restored.contact(p).is_err(), "erased on sync");
    assert_eq!(verify_total(&restored, MARKER).0, 0);
    a.sync().expect("sync a");
    assert!(a.contact(p).is_err());
}

fn has_problem(r: &sync::SyncReport, code: &str) -> bool {
    r.problems.iter().any(|p| p.code == code)
}

fn user_names(s: &Session) -> Vec<String> {
    s.users()
        .expect("users")
        .into_iter()
        .map(|u| u.name)
        .collect()
}

fn sealed_under_current_keys(s: &Session) {
    let checks = s.doctor().expect("doctor");
    let c = checks
        .iter()
        .find(|c| c.name == "values sealed under the current keys")
        .expect("the check");
    assert!(c.ok, "{}", c.detail);
}

fn note(s: &mut Session, id: uuid::Uuid, text: &str) {
    s.edit(id, &[("note".into(), FieldInput::Text(text.into()))])
        .expect("note");
}

fn quiet(s: &mut Session) {
    let r = s.sync().expect("sync");
    assert!(r.problems.is_empty(), "{:?}", r.problems);
}

#[test]
fn a_removal_reaches_every_laptop_and_shuts_the_removed_user_out() {
    const LATE: &str = "Quendelwombat";
    let team = Team::new();
    let mut a = team.first(system());
    // Eve (data-protection officer, every key) is to leave; Finn (sales,
    // notes but no Art. 9 data) stays, on laptop B.
    a.add_user("eve", Role::Dpo, EVE).expect("add eve");
    a.add_user("finn", Role::Sales, FINN).expect("add finn");
    let p = person(&mut a, MARKER, "Imhoff");
    quiet(&mut a);
    let mut b = team.join("b", "finn", FINN, system());
    let mut c = team.join("c", "eve", EVE, system());
    // A has seen both laptops' cards.
    quiet(&mut a);
    let old_generation = a.vault().keyring().expect("ring").generation;
    // Finn changes his passphrase on B: the team's keyring in the folder
    // still has his old one.
    const FINN_NEW: &[u8] = b"finn passphrase renewed";
    b.change_passphrase("finn", FINN_NEW)
        .expect("new passphrase");

    // B writes a note before the removal reaches it: under the old keys.
    note(&mut b, p, &format!("{LATE} before the new keys"));
    quiet(&mut b);
    assert!(
        verify_total(&c, LATE).1 > 0,
        "readable to Eve in the folder"
    );

    // A removes Eve: new keys there, published at its next sync. B's
    // segment under the old key waits until B has taken the new keys over
    // (Eve holds the old key too, and a card's user is its own claim).
    a.remove_user("eve").expect("remove eve");
    let r = a.sync().expect("sync a");
    assert_eq!(
        r.problems
            .iter()
            .map(|p| p.code.as_str())
            .collect::<Vec<_>>(),
        ["old_keys"],
        "{:?}",
        r.problems
    );
    let generation = a.vault().keyring().expect("ring").generation;
    assert!(generation > old_generation);
    let expected = format!("{LATE} before the new keys");
    assert_ne!(text(&a, p, "note").as_deref(), Some(expected.as_str()));

    // B takes the new keys over at its next sync, with no new sign-in, and
    // still reads the note.
    quiet(&mut b);
    assert_eq!(b.vault().keyring().expect("ring").generation, generation);
    assert_eq!(text(&b, p, "note").as_deref(), Some(expected.as_str()));
    // Now A reads B's segment written under the old keys, and seals the
    // note again under the new.
    quiet(&mut a);
    assert_eq!(text(&a, p, "note").as_deref(), Some(expected.as_str()));
    sealed_under_current_keys(&a);
    std::thread::sleep(std::time::Duration::from_millis(5));
    b.edit(
        p,
        &[("family_name".into(), FieldInput::Text("Imhoff-B".into()))],
    )
    .expect("edit b");
    quiet(&mut b);
    quiet(&mut a);
    assert_eq!(text(&a, p, "family_name").as_deref(), Some("Imhoff-B"));
    // A fresh sign-in on B, with Finn's new passphrase, opens the
    // database under its new key.
    drop(b);
    assert!(Session::unlock(&team.dir("b"), "finn", FINN, system()).is_err());
    let mut b = Session::unlock(&team.dir("b"), "finn", FINN_NEW, system()).expect("unlock b");
    assert_eq!(text(&b, p, "note").as_deref(), Some(expected.as_str()));

    // Eve's laptop is told, and what she changes now reaches nobody.
    std::thread::sleep(std::time::Duration::from_millis(5));
    c.edit(
        p,
        &[("family_name".into(), FieldInput::Text("Imhoff-Eve".into()))],
    )
    .expect("edit c");
    let r = c.sync().expect("sync c");
    assert!(
        r.problems
            .iter()
            .any(|p| p.code == "keyring" && p.message.contains("removed")),
        "{:?}",
        r.problems
    );
    // It sends nothing more: whatever it wrote would be sealed under keys
    // that were replaced.
    assert_eq!(r.sent_changes, 0);
    assert!(!segment_path(&team.folder(), &c, 1).exists());
    a.sync().expect("sync a");
    b.sync().expect("sync b");
    for s in [&a, &b] {
        assert_eq!(text(s, p, "family_name").as_deref(), Some("Imhoff-B"));
    }
    // She cannot join again, and her keys open none of the new files.
    assert!(sync::join(&team.folder(), &team.dir("e"), "eve", EVE, system()).is_err());
    let r = c.sync().expect("sync c");
    assert!(has_problem(&r, "other_keys"), "{:?}", r.problems);

    // A laptop joining now reads what was written under either key.
    let mut d = team.join("d", "finn", FINN, system());
    assert_eq!(text(&d, p, "note").as_deref(), Some(expected.as_str()));
    assert_eq!(text(&d, p, "family_name").as_deref(), Some("Imhoff-B"));

    // The removal asked for a compaction, made once every active laptop
    // had acknowledged: nothing in the folder opens with Eve's keys any
    // more, where before B's note written under them did.
    for _ in 0..2 {
        for s in [&mut b, &mut d, &mut a] {
            s.sync().expect("sync");
        }
    }
    assert_eq!(verify_total(&c, LATE).1, 0, "nothing left for Eve's keys");
    assert!(verify_total(&a, LATE).1 > 0, "while the team reads it");
    // B and D (both Finn's) show the same; A, an admin, the same values.
    assert_eq!(state(&b), state(&d));
    for field in ["given_name", "family_name", "note"] {
        assert_eq!(text(&a, p, field), text(&d, p, field));
    }

    // Lowering Finn to agent on A reaches his laptops too: they take the
    // role over with the keys, and the notes no longer open there.
    a.set_role("finn", Role::Agent).expect("lower finn");
    note(&mut a, p, "written after Finn became an agent");
    for s in [&mut a, &mut b] {
        let r = s.sync().expect("sync");
        // Eve's change after her removal stays refused.
        assert!(
            r.problems.iter().all(|p| p.code == "retired"),
            "{:?}",
            r.problems
        );
    }
    assert_eq!(b.role(), Role::Agent);
    assert_eq!(text(&b, p, "note"), None);
    assert!(matches!(
        b.contact(p)
            .expect("contact")
            .field("note")
            .map(|f| &f.value),
        Some(FieldValue::Locked { .. })
    ));
    assert_eq!(
        text(&a, p, "note").as_deref(),
        Some("written after Finn became an agent")
    );
}

#[test]
fn a_keyring_no_admin_signed_is_not_taken_over() {
    let team = Team::new();
    let mut a = team.first(system());
    a.add_user("finn", Role::Sales, FINN).expect("add finn");
    let p = person(&mut a, MARKER, "Imhoff");
    quiet(&mut a);
    let mut b = team.join("b", "finn", FINN, system());
    let generation = a.vault().keyring().expect("ring").generation;

    // Finn holds every key a keyring needs but the admins' signing key:
    // he writes one of the next generation that makes him an admin, with
    // keysets sealed to every user and a valid MAC.
    let path = team.folder().join("team").join("keyring.json");
    let mut forged = Keyring::parse(&std::fs::read(&path).expect("read"), &path).expect("parse");
    let finn = forged.unlock("finn", FINN, &path).expect("finn's keys");
    forged
        .set_role("finn", Role::Admin, &finn)
        .expect("forge a promotion");
    assert_eq!(forged.generation, generation + 1);
    std::fs::write(&path, forged.to_bytes()).expect("write");

    // The admin's laptop refuses it, says so, and writes the team's
    // keyring back; Finn's own laptop does not take it over either.
    let r = a.sync().expect("sync a");
    assert!(has_problem(&r, "forged"), "{:?}", r.problems);
    assert_eq!(a.vault().keyring().expect("ring").generation, generation);
    let back = Keyring::parse(&std::fs::read(&path).expect("read"), &path).expect("parse");
    assert_eq!(back.generation, generation);
    assert!(back.signed_by_admin_of(&a.vault().keyring().expect("ring")));
    std::fs::write(&path, forged.to_bytes()).expect("write again");
    let r = b.sync().expect("sync b");
    assert!(has_problem(&r, "forged"), "{:?}", r.problems);
    assert_eq!(b.role(), Role::Sales);
    assert_eq!(b.vault().keyring().expect("ring").generation, generation);
    assert_eq!(
        text(&a, p, "note").as_deref(),
        Some("Zebraquokka prefers letters")
    );
}

#[test]
fn a_user_added_on_one_laptop_while_keys_change_on_another_stays() {
    const GUS: &[u8] = b"gus passphrase four";
    let team = Team::new();
    let mut a = team.first(system());
    a.add_user("finn", Role::Agent, FINN).expect("add finn");
    person(&mut a, MARKER, "Imhoff");
    quiet(&mut a);
    // The same admin on a second laptop.
    let mut b = team.join("b", "dora", DORA, system());
    // At the same time: B adds Gus (and syncs), A removes Finn.
    b.add_user("gus", Role::Sales, GUS).expect("add gus");
    quiet(&mut b);
    a.remove_user("finn").expect("remove finn");
    // (B's card, new to A and under the old key, waits: `old_keys`.)
    a.sync().expect("sync a");
    quiet(&mut b);
    quiet(&mut a);
    for s in [&a, &b] {
        assert_eq!(user_names(s), ["dora", "gus"], "{}", s.device());
        // B took the keys over: its values were sealed again.
        sealed_under_current_keys(s);
    }
    // B adds Hal and, before it syncs, A removes Ivo: B takes the new keys
    // over and keeps Hal, with keys of the new generation.
    a.add_user("ivo", Role::Agent, FINN).expect("add ivo");
    quiet(&mut a);
    quiet(&mut b);
    b.add_user("hal", Role::Agent, FINN).expect("add hal");
    a.remove_user("ivo").expect("remove ivo");
    quiet(&mut a);
    quiet(&mut b);
    quiet(&mut a);
    for s in [&a, &b] {
        assert_eq!(user_names(s), ["dora", "gus", "hal"], "{}", s.device());
    }
    let hal = team.join("e", "hal", FINN, system());
    assert_eq!(
        hal.vault().keyring().expect("ring").generation,
        a.vault().keyring().expect("ring").generation
    );

    // Gus signs in on a laptop of his own with the keys of the new generation.
    let gus = team.join("c", "gus", GUS, system());
    assert_eq!(
        gus.vault().keyring().expect("ring").generation,
        a.vault().keyring().expect("ring").generation
    );
    assert!(sync::join(&team.folder(), &team.dir("d"), "finn", FINN, system()).is_err());
}

#[test]
fn a_name_no_user_can_have_is_refused_before_the_folder_is_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    // The folder is not there: the name is judged first, so the window
    // can show the reason next to the name.
    let missing = tmp.path().join("no-team-here");
    let err = sync::join(
        &missing,
        &tmp.path().join("vault"),
        "ben tester",
        b"any passphrase at all",
        system(),
    )
    .expect_err("refused");
    assert_eq!(err.field(), Some("user name"), "{err:?}");
    assert!(!tmp.path().join("vault").exists());
}

#[test]
fn a_sole_traders_company_travels_sealed_and_goes_everywhere_with_the_person() {
    const FIRM: &str = "Holzwerkstatt Quokkazebra";
    let team = Team::new();
    let mut a = team.first(system());
    a.add_user("eve", Role::Agent, EVE).expect("add eve");
    let p = person(&mut a, "Hanna", "Holzer");
    let firm = a
        .add_company(&[("name".into(), FieldInput::Text(FIRM.into()))], Some(p))
        .expect("sole trader");
    a.sync().expect("sync a");
    let mut b = team.join("b", "eve", EVE, system());
    let mut c = team.join("c", "dora", DORA, system());
    for s in [&b, &c] {
        let page = s.company(firm).expect("arrived");
        assert_eq!(page.sole_trader.map(|o| o.person), Some(p));
    }
    let (_, in_folder) = verify_total(&a, FIRM);
    assert!(
        in_folder > 0,
        "the name is in the folder, sealed under her key"
    );

    let reference = erasure_request(&mut c, p);
    c.erase_person(p, &reference, false).expect("erase");
    c.sync().expect("sync c");
    a.sync().expect("sync a");
    b.sync().expect("sync b");
    c.sync().expect("sync c again");
    a.sync().expect("sync a again");
    for s in [&a, &b, &c] {
        assert!(s.company(firm).is_err(), "gone with her everywhere");
        assert!(s.list_companies(0, 100).expect("list").is_empty());
    }
    for s in [&a, &c] {
        assert_eq!(
            verify_total(s, FIRM),
            (0, 0),
            "no trace on disk or in the folder"
        );
    }
}
