//! Consent, purposes, purpose binding and the register, through the core API
//! on a real SQCipher vault with a clock the test moves.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use tresor_core::Session;
use tresor_core::clock::FixedClock;
use tresor_core::crypto::KdfParams;
use tresor_core::model::categories::{Category, Lang};
use tresor_core::model::consent::{Channel, ConsentInput, ConsentState, LegalBasis};
use tresor_core::model::contacts::{FieldInput, PersonInput};
use tresor_core::model::roles::Role;
use tresor_core::render::{self, ExportFormat};

const DAY_MS: i64 = 24 * 3600 * 1000;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0)
        .single()
        .expect("date")
}

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    clock: Arc<FixedClock>,
    s: Session,
}

fn vault_at(at: DateTime<Utc>) -> Fixture {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("vault");
    let clock = Arc::new(FixedClock::new(at));
    let (s, _) = Session::create(
        &dir,
        "dora",
        b"dora passphrase one",
        KdfParams::FLOOR,
        clock.clone(),
    )
    .expect("create");
    Fixture {
        _tmp: tmp,
        dir,
        clock,
        s,
    }
}

fn person(s: &mut Session, name: &str, email: &str) -> uuid::Uuid {
    s.add_person(
        &PersonInput::default()
            .with_name(name)
            .with("emails", FieldInput::List(vec![email.into()])),
    )
    .expect("person")
}

fn consent(purpose: &str, channel: Channel, source: &str) -> ConsentInput {
    ConsentInput {
        purpose: purpose.into(),
        channel,
        source: source.into(),
        evidence: Some("signed form".into()),
        basis: None,
        at: None,
    }
}

#[test]
fn given_then_withdrawn_keeps_both_entries_with_author_and_time() {
    let mut f = vault_at(start());
    let p = person(&mut f.s, "Erika Mustermann", "erika@example.de");
    f.s.give_consent(p, &consent("e-marketing", Channel::Email, "web_form"), None)
        .expect("give");
    f.clock.advance_ms(DAY_MS);
    f.s.withdraw_consent(p, "e-marketing", Channel::Email, Some("too many mails"))
        .expect("withdraw");
    let h = f.s.consent_history(p).expect("history");
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].state, ConsentState::Given);
    assert_eq!(h[1].state, ConsentState::Withdrawn);
    assert!(h.iter().all(|e| e.by == "dora"));
    assert_eq!(h[0].at, start());
    assert_eq!(h[1].at, start() + chrono::Duration::days(1));
    assert_eq!(h[1].reason.as_deref(), Some("too many mails"));
    let view = f.s.legal_basis(p).expect("view");
    let em = view
        .purposes
        .iter()
        .find(|x| x.purpose.key == "e-marketing")
        .expect("purpose");
    assert!(!em.lawful);
    assert_eq!(em.channels[0].state, ConsentState::Withdrawn);
    // A consent dated before the withdrawal cannot revive it.
    let mut backdated = consent("e-marketing", Channel::Email, "letter");
    backdated.at = Some(start());
    let err =
        f.s.give_consent(p, &backdated, None)
            .expect_err("backdated before the withdrawal");
    assert_eq!(err.field(), Some("at"));
    // Nothing left to withdraw: refused, and nothing was appended.
    assert!(
        f.s.withdraw_consent(p, "e-marketing", Channel::Email, None)
            .is_err()
    );
    assert_eq!(f.s.consent_history(p).expect("history").len(), 2);
}

#[test]
fn expired_consent_is_excluded_from_the_mailing_list_and_listed_for_reconsent() {
    let mut f = vault_at(start());
    let old = person(&mut f.s, "Otto Alt", "otto@example.de");
    let fresh = person(&mut f.s, "Nina Neu", "nina@example.de");
    let phone_only = person(&mut f.s, "Paul Telefon", "paul@example.de");
    let never = person(&mut f.s, "Vera Nie", "vera@example.de");
    let _ = never;
    f.s.give_consent(old, &consent("e-marketing", Channel::Email, "event"), None)
        .expect("old");
    // 25 months later (validity is 24): old has expired, fresh is new.
    f.clock.advance_ms(25 * 31 * DAY_MS);
    f.s.give_consent(
        fresh,
        &consent("e-marketing", Channel::Email, "web_form"),
        None,
    )
    .expect("fresh");
    f.s.give_consent(
        phone_only,
        &consent("e-marketing", Channel::Phone, "phone"),
        None,
    )
    .expect("phone");

    // A list that cannot be written leaves no disclosure behind.
    let nowhere = f._tmp.path().join("no-such-folder").join("list.csv");
    f.s.mailing_export("e-marketing", Channel::Email, &nowhere)
        .expect_err("the folder does not exist");
    assert!(f.s.disclosures().expect("disclosures").is_empty());

    let list = f._tmp.path().join("list.csv");
    let export =
        f.s.mailing_export("e-marketing", Channel::Email, &list)
            .expect("export");
    let ids: Vec<_> = export.rows.iter().map(|r| r.person).collect();
    assert_eq!(ids, vec![fresh], "only a valid consent for exactly email");
    let written = std::fs::read_to_string(&list).expect("the list was written");
    assert_eq!(written, render::mailing_csv(&export.rows));
    assert!(written.contains("nina@example.de"));
    assert!(!written.contains("otto@example.de"));
    let disclosures = f.s.disclosures().expect("disclosures");
    assert_eq!(disclosures.len(), 1);
    assert_eq!(disclosures[0].file, "list.csv");

    let view = f.s.legal_basis(old).expect("view");
    let state = view.purposes[1].channels[0].state;
    assert_eq!(state, ConsentState::Expired);
    assert_eq!(view.disclosures.len(), 0, "old was not in the list");
    let nina = f.s.legal_basis(fresh).expect("view");
    assert_eq!(nina.disclosures.len(), 1, "the export is named for nina");
    assert_eq!(nina.disclosures[0].count, 1);

    let due = f.s.reconsent_list(30).expect("due");
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].person, old);
    assert!(due[0].expired);
}

#[test]
fn fields_without_an_applicable_purpose_are_flagged() {
    let mut f = vault_at(start());
    let p =
        f.s.add_person(
            &PersonInput::default()
                .with_name("Sam Special")
                .with("special", FieldInput::Text("diabetic".into())),
        )
        .expect("person");
    let view = f.s.legal_basis(p).expect("view");
    let flagged: Vec<_> = view.unjustified.iter().map(|u| u.category).collect();
    assert_eq!(
        flagged,
        vec![Category::Special],
        "Art. 9 data has no purpose"
    );
}

#[test]
fn purposes_change_the_register_in_new_versions_and_old_ones_stay() {
    let mut f = vault_at(start());
    assert_eq!(f.s.register_versions().expect("versions").len(), 1);
    let mut p = f.s.purpose("E-Marketing").expect("by name");
    p.validity_months = Some(12);
    f.clock.advance_ms(DAY_MS);
    f.s.save_purpose(&p, false).expect("edit");
    // The same content again makes no new version.
    f.s.save_purpose(&p, false).expect("same");
    let versions = f.s.register_versions().expect("versions");
    assert_eq!(versions.len(), 2);
    let v1 = f.s.register(Some(1)).expect("v1");
    let v2 = f.s.register(None).expect("latest");
    assert_eq!(v2.version, 2);
    assert_eq!(v1.content.purposes[1].validity_months, Some(24));
    assert_eq!(v2.content.purposes[1].validity_months, Some(12));
    let (n, html) =
        f.s.register_file(Some(1), ExportFormat::Html, Lang::En)
            .expect("html");
    assert_eq!(n, 1);
    assert!(String::from_utf8(html).expect("utf8").contains("Version 1"));
    // Bad purposes are refused with the field named.
    let mut bad = p.clone();
    bad.key = "Not A Key".into();
    let err = f.s.save_purpose(&bad, true).expect_err("bad key");
    assert_eq!(err.field(), Some("key"));
    let mut wrong = p;
    wrong.basis = LegalBasis::Consent;
    wrong.consent_required = false;
    assert_eq!(
        f.s.save_purpose(&wrong, false)
            .expect_err("a without consent")
            .field(),
        Some("consent_required")
    );
}

#[test]
fn roles_limit_who_records_exports_and_configures() {
    let mut f = vault_at(start());
    let p = person(&mut f.s, "Erika Mustermann", "erika@example.de");
    f.s.add_user("alex", Role::Agent, b"agent passphrase two")
        .expect("agent");
    f.s.add_user("audrey", Role::Auditor, b"auditor passphrase three")
        .expect("auditor");
    drop(f.s);
    let mut agent =
        Session::unlock(&f.dir, "alex", b"agent passphrase two", f.clock.clone()).expect("agent");
    agent
        .give_consent(p, &consent("e-marketing", Channel::Phone, "phone"), None)
        .expect("agents take consents on the phone");
    assert_eq!(
        agent
            .mailing_export("e-marketing", Channel::Phone, &f._tmp.path().join("x.csv"))
            .expect_err("no mailing")
            .code(),
        "forbidden"
    );
    let purpose = agent.purpose("sales").expect("read purposes");
    assert_eq!(
        agent
            .save_purpose(&purpose, false)
            .expect_err("no config")
            .code(),
        "forbidden"
    );
    drop(agent);
    let mut auditor = Session::unlock(
        &f.dir,
        "audrey",
        b"auditor passphrase three",
        f.clock.clone(),
    )
    .expect("auditor");
    assert_eq!(auditor.consent_history(p).expect("reads").len(), 1);
    assert!(
        auditor
            .register_file(None, ExportFormat::Xlsx, Lang::De)
            .is_ok()
    );
    assert_eq!(
        auditor
            .give_consent(p, &consent("e-marketing", Channel::Email, "email"), None)
            .expect_err("read-only")
            .code(),
        "forbidden"
    );
}

#[test]
fn evidence_files_are_kept_and_returned_unchanged() {
    let mut f = vault_at(start());
    let p = person(&mut f.s, "Erika Mustermann", "erika@example.de");
    let scan = b"%PDF-1.4 signed business card".to_vec();
    let e =
        f.s.give_consent(
            p,
            &consent("e-marketing", Channel::Post, "business_card"),
            Some(("card.pdf", &scan)),
        )
        .expect("give");
    let meta = e.evidence_file.clone().expect("meta");
    assert_eq!(meta.size, scan.len() as u64);
    let (name, bytes) = f.s.evidence_file(e.id).expect("file");
    assert_eq!((name.as_str(), bytes), ("card.pdf", scan));
}

/// The register's HTML is compared with the committed snapshot; run with
/// TRESOR_UPDATE_SNAPSHOTS=1 to accept a deliberate change.
#[test]
fn register_snapshots() {
    let f = vault_at(start());
    for lang in [Lang::De, Lang::En] {
        let r = f.s.register(None).expect("register");
        let html = render::register_html(&r, lang);
        let name = match lang {
            Lang::De => "register_de.html",
            Lang::En => "register_en.html",
        };
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/snapshots")
            .join(name);
        if std::env::var("TRESOR_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
            std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
            std::fs::write(&path, &html).expect("write snapshot");
        }
        let want = std::fs::read_to_string(&path).expect("snapshot exists");
        assert_eq!(
            html, want,
            "{name} changed; review and run with TRESOR_UPDATE_SNAPSHOTS=1"
        );
    }
}

#[test]
fn terminal_escapes_are_refused_in_purposes_and_consent_texts() {
    let mut f = vault_at(start());
    let p = person(&mut f.s, "Erika Mustermann", "erika@example.de");
    let clear = "\x1b[2J";
    let mut purpose = f.s.purpose("e-marketing").expect("purpose");
    purpose.name_de = format!("E-Marketing{clear}");
    let err =
        f.s.save_purpose(&purpose, false)
            .expect_err("escape in a name");
    assert_eq!(
        (err.code().as_str(), err.field()),
        ("invalid", Some("name_de"))
    );
    let mut purpose = f.s.purpose("e-marketing").expect("purpose");
    purpose.name_en = format!("{clear}Marketing");
    let err =
        f.s.save_purpose(&purpose, false)
            .expect_err("escape in a name");
    assert_eq!(err.field(), Some("name_en"));
    let mut purpose = f.s.purpose("e-marketing").expect("purpose");
    purpose.recipients = vec![format!("Versand{clear}")];
    let err = f.s.save_purpose(&purpose, false).expect_err("escape");
    assert_eq!(err.field(), Some("recipients"));

    let mut with_escape = consent("e-marketing", Channel::Email, "event");
    with_escape.evidence = Some(format!("Messe-Stand{clear}"));
    let err =
        f.s.give_consent(p, &with_escape, None)
            .expect_err("escape in evidence");
    assert_eq!(
        (err.code().as_str(), err.field()),
        ("invalid", Some("evidence"))
    );
    let err =
        f.s.give_consent(
            p,
            &consent("e-marketing", Channel::Email, "event"),
            Some(("nachweis\x1b]0;x\x07.pdf", b"%PDF")),
        )
        .expect_err("escape in a file name");
    assert_eq!(err.field(), Some("evidence_file"));
    assert!(
        f.s.legal_basis(p).expect("view").history.is_empty(),
        "nothing was recorded"
    );

    // Line breaks stay allowed where the box is multi-line.
    let mut two_lines = consent("e-marketing", Channel::Email, "event");
    two_lines.evidence = Some("Messe-Stand\nHalle 3".into());
    f.s.give_consent(p, &two_lines, None).expect("two lines");
    let err =
        f.s.withdraw_consent(p, "e-marketing", Channel::Email, Some("genug\x1b[31m"))
            .expect_err("escape in the reason");
    assert_eq!(err.field(), Some("reason"));
}
