//! Attacks by someone who owns one laptop of the team, with that laptop's
//! user's own keys: a keyring entry rewritten to a higher role, and a
//! patched program that ignores its role or writes in another user's name.
//! Nothing of it may reach the admin's laptop, and the admin is told.

use std::path::PathBuf;
use std::sync::Arc;

use tresor_core::Session;
use tresor_core::clock::{Clock as _, SystemClock};
use tresor_core::crypto::KdfParams;
use tresor_core::error::Error;
use tresor_core::model::categories::{Compartment, RecordKind};
use tresor_core::model::contacts::{FieldInput, FieldValue, PersonInput};
use tresor_core::model::mail::{SmtpSettings, TlsMode};
use tresor_core::model::requests::{NewRequest, RequestKind};
use tresor_core::model::retention::RuleChange;
use tresor_core::model::retention::{RetentionAction, RuleKey};
use tresor_core::model::roles::Role;
use tresor_core::sync::{self, SyncReport};
use tresor_core::vault::VaultDir;

const DORA: &[u8] = b"dora passphrase one";
const CARL: &[u8] = b"carl passphrase two";
const OTTO: &[u8] = b"otto passphrase three";

struct Team {
    tmp: tempfile::TempDir,
}

impl Team {
    fn new() -> Team {
        Team {
            tmp: tempfile::tempdir().expect("tmp"),
        }
    }
    fn dir(&self, laptop: &str) -> PathBuf {
        self.tmp.path().join(laptop)
    }
    fn folder(&self) -> PathBuf {
        let f = self.tmp.path().join("shared");
        std::fs::create_dir_all(&f).expect("folder");
        f
    }
    fn join(&self, laptop: &str, user: &str, pw: &[u8]) -> Session {
        sync::join(
            &self.folder(),
            &self.dir(laptop),
            user,
            pw,
            Arc::new(SystemClock),
        )
        .expect("join")
        .0
    }
}

fn person(s: &mut Session, given: &str, family: &str) -> uuid::Uuid {
    s.add_person(
        &PersonInput::default()
            .with("given_name", FieldInput::Text(given.into()))
            .with("family_name", FieldInput::Text(family.into())),
    )
    .expect("person")
}

fn text(s: &Session, id: uuid::Uuid, field: &str) -> Option<String> {
    match &s.contact(id).ok()?.field(field)?.value {
        FieldValue::Value { value } => Some(value.as_str().unwrap_or_default().to_owned()),
        _ => None,
    }
}

fn refused(r: &SyncReport) -> usize {
    r.problems.iter().filter(|p| p.code == "refused").count()
}

/// What the admin's laptop holds that an attacker would change: rules,
/// purposes, mail settings, holds, the people.
fn admin_state(s: &Session) -> String {
    let people: Vec<_> = s
        .list(0, 1000)
        .expect("list")
        .iter()
        .map(|r| s.contact(r.id).expect("contact"))
        .collect();
    serde_json::json!({
        "rules": s.retention_rules().expect("rules"),
        "purposes": s.purposes().expect("purposes"),
        "smtp": s.smtp_settings().expect("smtp"),
        "holds": s.legal_holds().expect("holds"),
        "people": people,
    })
    .to_string()
}

/// A team: Dora (admin) on laptop A, Carl (agent) on B, Otto (auditor) on C.
fn team() -> (Team, Session, Session, Session, uuid::Uuid) {
    let team = Team::new();
    let (mut a, _) = Session::create(
        &team.dir("a"),
        "dora",
        DORA,
        KdfParams::FLOOR,
        Arc::new(SystemClock),
    )
    .expect("create");
    a.sync_setup(&team.folder()).expect("setup");
    let p = person(&mut a, "Paula", "Pfau");
    a.set_smtp(
        &SmtpSettings {
            host: "smtp.example.de".into(),
            port: 587,
            tls: TlsMode::Starttls,
            from: "info@example.de".into(),
            user: Some("info".into()),
            has_password: false,
        },
        Some(b"company secret"),
    )
    .expect("smtp");
    a.add_user("carl", Role::Agent, CARL).expect("carl");
    a.add_user("otto", Role::Auditor, OTTO).expect("otto");
    a.sync().expect("sync a");
    let b = team.join("b", "carl", CARL);
    let c = team.join("c", "otto", OTTO);
    (team, a, b, c, p)
}

#[test]
fn a_keyring_entry_rewritten_to_a_higher_role_is_refused_at_unlock() {
    let (team, _a, b, _c, _) = team();
    drop(b);
    let dir = team.dir("b");
    let vault = VaultDir::new(&dir);
    let original = std::fs::read(vault.keyring_path()).expect("keyring");
    for own_admin_key in [false, true] {
        let mut ring = vault.keyring().expect("ring");
        ring.forge_role("carl", CARL, Role::Admin, own_admin_key)
            .expect("forge with carl's keys");
        std::fs::write(vault.keyring_path(), ring.to_bytes()).expect("write");
        // The forged file opens with Carl's keys (its MAC verifies) ...
        let reread = vault.keyring().expect("ring");
        assert_eq!(
            reread.user("carl").map(|u| u.role),
            Some(Role::Admin),
            "the file says admin"
        );
        // ... but the role is not the one the admins signed.
        match Session::unlock(&dir, "carl", CARL, Arc::new(SystemClock)) {
            Err(e @ Error::RoleNotSigned { .. }) => {
                assert_eq!(e.code(), "role_not_signed");
                assert!(e.to_string().contains("carl"), "{e}");
            }
            Err(e) => panic!("refused for another reason: {e}"),
            Ok(_) => panic!("a forged role was trusted (own admins' key: {own_admin_key})"),
        }
    }
    std::fs::write(vault.keyring_path(), original).expect("restore");
    let s = Session::unlock(&dir, "carl", CARL, Arc::new(SystemClock)).expect("unlock");
    assert_eq!(s.role(), Role::Agent);
}

#[test]
fn a_patched_program_on_an_agents_laptop_changes_nothing_on_the_admins() {
    let (_team, mut a, mut b, _c, p) = team();
    let before = admin_state(&a);

    // Carl's program ignores his role: everything an admin may do.
    b.patch_identity(None, Some(Role::Admin));
    b.set_retention_rule(
        RuleKey::People,
        &RuleChange {
            period: Some("1d".into()),
            from: None,
            action: Some(RetentionAction::Delete),
            law: None,
        },
    )
    .expect("rule, locally");
    b.add_hold(p, "made up").expect("hold, locally");
    let mut stolen = b.purposes().expect("purposes")[0].clone();
    stolen.key = "stolen".into();
    b.save_purpose(&stolen, true).expect("purpose, locally");
    b.set_smtp(
        &SmtpSettings {
            host: "smtp.evil.example".into(),
            port: 25,
            tls: TlsMode::None,
            from: "info@example.de".into(),
            user: Some("info".into()),
            has_password: true,
        },
        None,
    )
    .expect("smtp, locally");
    let victim = person(&mut a, "Viktor", "Opfer");
    a.sync().expect("sync a");
    b.sync().expect("sync b");
    let request = b
        .open_request(&NewRequest {
            kind: RequestKind::Erasure,
            person: Some(victim),
            received: tresor_core::clock::SystemClock.now().date_naive(),
            identity_check: None,
        })
        .expect("request, locally")
        .reference;
    b.erase_person(victim, &request, false)
        .expect("erasure, locally");
    assert!(b.contact(victim).is_err(), "gone on Carl's laptop");
    let sent = b.sync().expect("sync b");
    assert!(sent.sent_changes > 0 && sent.sent_removals > 0, "{sent:?}");

    let got = a.sync().expect("sync a");
    assert!(refused(&got) > 0, "reported: {:?}", got.problems);
    assert!(
        a.contact(victim).is_ok(),
        "the victim is still on the admin's laptop"
    );
    let after = admin_state(&a);
    let mut expected: serde_json::Value = serde_json::from_str(&before).expect("json");
    let victim_view = serde_json::to_value(a.contact(victim).expect("victim")).expect("json");
    expected["people"]
        .as_array_mut()
        .expect("people")
        .push(victim_view);
    let mut after: serde_json::Value = serde_json::from_str(&after).expect("json");
    for v in [&mut expected, &mut after] {
        v["people"]
            .as_array_mut()
            .expect("people")
            .sort_by_key(|x| x["id"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(
        after, expected,
        "nothing Carl did beyond his role reached A"
    );
    let flagged: Vec<_> = a
        .devices()
        .expect("devices")
        .into_iter()
        .filter(|d| d.flagged.is_some())
        .map(|d| d.user)
        .collect();
    assert_eq!(flagged, vec!["carl".to_owned()]);

    // What an agent may do still arrives.
    b.patch_identity(None, Some(Role::Agent));
    let welcome = person(&mut b, "Wilma", "Willkommen");
    b.sync().expect("sync b");
    let got = a.sync().expect("sync a");
    assert_eq!(refused(&got), 0, "{:?}", got.problems);
    assert_eq!(
        text(&a, welcome, "family_name").as_deref(),
        Some("Willkommen")
    );
}

#[test]
fn a_change_labelled_as_a_kind_the_role_may_change_reaches_no_record_of_another_kind() {
    let (_team, mut a, mut b, _c, _p) = team();
    let rule = |period: &str| RuleChange {
        period: Some(period.into()),
        from: None,
        action: Some(RetentionAction::Delete),
        law: None,
    };
    a.set_retention_rule(RuleKey::Communication, &rule("4y"))
        .expect("the admin's rule");
    a.sync().expect("sync a");
    b.sync().expect("sync b");
    let before = admin_state(&a);

    // Carl's program changes a rule and a purpose that exist, sets a rule
    // nobody has set yet (its id is derived from its name), and labels
    // every change as a follow-up, which an agent may make.
    b.patch_identity(None, Some(Role::Admin));
    b.set_retention_rule(RuleKey::Communication, &rule("1y"))
        .expect("rule, locally");
    b.set_retention_rule(RuleKey::People, &rule("1d"))
        .expect("new rule, locally");
    let mut purpose = b.purposes().expect("purposes")[0].clone();
    purpose.description = "geändert".into();
    b.save_purpose(&purpose, false).expect("purpose, locally");
    b.patch_outbox_kind(RecordKind::FollowUp).expect("relabel");
    b.sync().expect("sync b");

    let got = a.sync().expect("sync a");
    let said = format!("{:?}", got.problems);
    assert!(refused(&got) > 0, "{said}");
    // The report names the first refusal of each part it read: a
    // follow-up has no field 'rule' (and were it one a follow-up has, the
    // record would keep its own kind, `sync/apply.rs`).
    assert!(said.contains("which a follow_up does not have"), "{said}");
    assert_eq!(admin_state(&a), before, "nothing of it reached the admin");
    // The new rule's id was not taken by a follow-up: the admin's own
    // change of it counts.
    a.set_retention_rule(RuleKey::People, &rule("3y"))
        .expect("the admin's rule");
    let people = a
        .retention_rules()
        .expect("rules")
        .into_iter()
        .find(|r| r.key == RuleKey::People)
        .expect("people");
    assert_eq!(
        serde_json::to_value(&people.period).expect("json"),
        serde_json::json!("3y")
    );
}

#[test]
fn a_made_by_field_naming_another_user_shows_who_signed_it() {
    use tresor_core::model::contacts::InteractionInput;
    use tresor_core::model::followups::FollowUpInput;
    let (_team, mut a, mut b, _c, p) = team();
    // Carl's program records a call and a follow-up and says Dora made them.
    b.add_interaction(
        p,
        &InteractionInput {
            kind: "call".into(),
            summary: "Rückruf".into(),
            ..Default::default()
        },
    )
    .expect("call");
    b.add_followup(
        p,
        &FollowUpInput {
            what: "Angebot nachfassen".into(),
            due: "today".into(),
            time: None,
            assignee: None,
        },
    )
    .expect("follow-up");
    b.patch_outbox_value("by", "\"dora\"").expect("rewrite");
    b.sync().expect("sync b");
    let got = a.sync().expect("sync a");
    assert_eq!(refused(&got), 0, "{:?}", got.problems);
    // The forged field arrived (it is Carl's own record to write)…
    let history = serde_json::to_string(&a.history(p).expect("history")).expect("json");
    assert!(history.contains("\"dora\""), "{history}");
    // …and changes nothing of who made it.
    let call = a.contact(p).expect("paula").interactions;
    assert_eq!(call.len(), 1);
    assert_eq!(call[0].by, "carl", "who signed it, not what it says");
    let f = a.followups_of(p).expect("follow-ups");
    assert_eq!((f.len(), f[0].by.as_str()), (1, "carl"));
}

#[test]
fn an_auditor_changes_nothing_and_nobody_writes_in_anothers_name() {
    let (_team, mut a, mut b, mut c, p) = team();
    // The auditor may change nothing, whatever the program says.
    c.patch_identity(None, Some(Role::Admin));
    c.edit(
        p,
        &[("family_name".into(), FieldInput::Text("Geändert".into()))],
    )
    .expect("edit, locally");
    c.sync().expect("sync c");
    // Carl's program writes a change in Dora's name.
    b.patch_identity(Some("dora"), None);
    b.edit(
        p,
        &[("given_name".into(), FieldInput::Text("Gefälscht".into()))],
    )
    .expect("edit, locally");
    b.sync().expect("sync b");

    let got = a.sync().expect("sync a");
    assert_eq!(refused(&got), 2, "{:?}", got.problems);
    assert!(
        got.problems
            .iter()
            .any(|p| p.message.contains("names 'dora' as its author")),
        "{:?}",
        got.problems
    );
    assert_eq!(text(&a, p, "family_name").as_deref(), Some("Pfau"));
    assert_eq!(text(&a, p, "given_name").as_deref(), Some("Paula"));
    let history = a.history(p).expect("history");
    assert!(
        history.iter().all(|h| h.author == "dora"),
        "the history shows no forged entry"
    );
}

#[test]
fn the_mail_password_opens_only_for_the_roles_that_send_mail() {
    let (team, mut a, mut b, _c, _) = team();
    a.add_user("sven", Role::Sales, b"sven passphrase four")
        .expect("sven");
    a.sync().expect("sync a");
    let s = team.join("s", "sven", b"sven passphrase four");
    assert!(a.holds(Compartment::Mail) && s.holds(Compartment::Mail));
    assert!(!b.holds(Compartment::Mail), "an agent holds no key to it");
    // Searched with each laptop's keys: everything they can decrypt, on
    // disk and in the shared folder (a patched program may search).
    let found = |s: &mut Session| {
        s.patch_identity(None, Some(Role::Admin));
        let r = s
            .verify_erasure(&["company secret".to_owned()])
            .expect("verify");
        r.places.iter().map(|p| p.counts[0]).sum::<u32>()
    };
    assert!(found(&mut a) > 0, "the admin's keys open it");
    assert_eq!(found(&mut b), 0, "the agent's keys open it nowhere");
}

#[test]
fn an_agent_deletes_an_ordinary_company_everywhere_but_never_a_sole_traders() {
    let (_team, mut a, mut b, _c, p) = team();
    let name = |n: &str| [("name".to_owned(), FieldInput::Text(n.into()))];
    let hers = a
        .add_company(&name("Pfau Design"), Some(p))
        .expect("sole trader");
    let plain = a.add_company(&name("Linkfirma AG"), None).expect("company");
    let staff = person(&mut a, "Sven", "Stab");
    a.edit(
        staff,
        &[("company".into(), FieldInput::Text("Linkfirma AG".into()))],
    )
    .expect("link");
    a.sync().expect("sync a");
    b.sync().expect("sync b");

    // Carl's role may delete an ordinary company: it goes on the admin's
    // laptop too, and Sven stays, unlinked.
    b.delete_company(plain).expect("the agent deletes");
    // His own program refuses the sole trader's company ...
    assert!(matches!(
        b.delete_company(hers),
        Err(Error::Forbidden { .. })
    ));
    // ... a patched one deletes it locally anyway.
    b.patch_identity(None, Some(Role::Admin));
    b.delete_company(hers).expect("locally");
    b.sync().expect("sync b");
    let report = a.sync().expect("sync a");
    assert!(a.company(plain).is_err(), "the ordinary company is gone");
    assert!(a.contact(staff).expect("Sven").companies.is_empty());
    assert!(
        a.list(0, 10)
            .expect("list")
            .iter()
            .all(|r| r.company.as_deref() != Some("Linkfirma AG")),
        "no directory entry names it"
    );
    assert!(a.company(hers).is_ok(), "her company is her data: it stays");
    assert!(refused(&report) >= 1, "{:?}", report.problems);
}

#[test]
fn a_company_hung_on_someone_restricted_or_on_no_person_is_refused_where_it_arrives() {
    let (_team, mut a, mut b, _c, p) = team();
    a.sync().expect("sync a");
    b.sync().expect("sync b");
    // The admin restricts Paula; Carl's laptop has not heard of it yet.
    let req = a
        .open_request(&NewRequest {
            kind: RequestKind::Restriction,
            person: Some(p),
            received: SystemClock.now().date_naive(),
            identity_check: None,
        })
        .expect("request");
    a.restrict(p, &req.reference).expect("restrict");
    let name = |n: &str| [("name".to_owned(), FieldInput::Text(n.into()))];
    let hers = b
        .add_company(&name("Pfau Malerei"), Some(p))
        .expect("locally");
    b.sync().expect("sync b");
    // A patched program names a record that is no person as the owner.
    let rule = uuid::Uuid::now_v7();
    b.patch_identity(None, Some(Role::Admin));
    let fake = b.add_company(&name("Niemand GmbH"), None).expect("locally");
    b.patch_outbox_value(
        tresor_core::ops::CREATE_FIELD,
        &serde_json::to_string(&Some(rule.to_string())).expect("json"),
    )
    .expect("patch the creation's subject");
    b.sync().expect("sync b");
    let report = a.sync().expect("sync a");
    assert!(a.company(hers).is_err(), "not on a restricted person");
    assert!(a.company(fake).is_err(), "not on a setting");
    assert!(refused(&report) >= 2, "{:?}", report.problems);
}

#[test]
fn an_agent_cannot_overwrite_notes_it_holds_no_key_to_nor_invent_fields() {
    let (_team, mut a, mut b, _c, p) = team();
    a.edit(
        p,
        &[("note".to_owned(), FieldInput::Text("Zahlt nur bar".into()))],
    )
    .expect("the admin's note");
    a.sync().expect("sync a");
    b.sync().expect("sync b");
    // Carl's own program refuses to wipe the note it cannot read.
    assert_eq!(
        b.edit(p, &[("note".to_owned(), FieldInput::Clear)])
            .expect_err("no key")
            .code(),
        tresor_core::ErrorCode::CompartmentLocked
    );
    // A patched one writes open text where the note is sealed, and a
    // field no person has, both signed as Carl's.
    b.edit(
        p,
        &[("tags".to_owned(), FieldInput::Text("überschrieben".into()))],
    )
    .expect("tags, locally");
    b.patch_outbox_field("tags", "note").expect("patch");
    b.edit(
        p,
        &[("phones".to_owned(), FieldInput::Text("+49 30 999".into()))],
    )
    .expect("phone, locally");
    b.patch_outbox_field("phones", "password").expect("patch");
    b.sync().expect("sync b");

    let got = a.sync().expect("sync a");
    let said = format!("{:?}", got.problems);
    assert!(refused(&got) > 0, "{said}");
    assert!(
        said.contains("2 changes") && said.contains("'note'"),
        "{said}"
    );
    assert_eq!(
        text(&a, p, "note").as_deref(),
        Some("Zahlt nur bar"),
        "the note is the admin's"
    );
    assert!(
        !a.history(p)
            .expect("history")
            .iter()
            .any(|h| h.field == "password"),
        "no invented field"
    );
}

#[test]
fn a_follow_up_done_in_2099_keeps_no_one_from_the_retention_rules() {
    let (_team, mut a, mut b, _c, p) = team();
    let f = b
        .add_followup(
            p,
            &tresor_core::model::followups::FollowUpInput {
                what: "Rückruf".into(),
                due: "today".into(),
                time: None,
                assignee: None,
            },
        )
        .expect("follow-up");
    b.complete_followup(f).expect("done");
    // Carl's patched program dates it done in 2099, which would start the
    // communication rule's period then.
    b.patch_outbox_value("done_at", "\"2099-01-01T00:00:00Z\"")
        .expect("patch");
    b.sync().expect("sync b");
    let got = a.sync().expect("sync a");
    let said = format!("{:?}", got.problems);
    assert!(said.contains("after the change was made"), "{said}");
    let there = a.followups_of(p).expect("follow-ups");
    assert_eq!(there.len(), 1, "the follow-up itself arrived");
    assert!(there[0].done_at.is_none(), "but not the date in 2099");
}
