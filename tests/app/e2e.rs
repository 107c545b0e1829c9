//! End to end: the real app binary in a real WebKitGTK window under Xvfb,
//! driven over WebDriver through `tauri-driver` and `WebKitWebDriver`.
//!
//! Built only with the `custom-protocol` feature (without it the binary
//! would load the dev URL). Each test gets its own vault directory, its own
//! tauri-driver (stopped with SIGTERM, never SIGKILL) and a WebDriver
//! session closed by a guard, so a failing test leaves no app running.
//! Every test saves a screenshot under target/e2e-screenshots/.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::support::webdriver::App;
use serde_json::json;
use tresor_core::clock::{Clock as _, SystemClock};
use tresor_core::crypto::KdfParams;
use tresor_core::model::contacts::{FieldInput, PersonInput};
use tresor_core::model::followups::FollowUpInput;
use tresor_core::model::requests::{NewRequest, RequestKind};
use tresor_core::model::roles::Role;
use tresor_core::session::Session;

fn vault_with(
    people: &[PersonInput],
    extra_user: Option<(&str, Role, &[u8])>,
) -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("vault");
    let (mut s, _) = Session::create(
        &dir,
        "ada",
        b"admin passphrase",
        KdfParams::FLOOR,
        Arc::new(SystemClock),
    )
    .expect("vault");
    let ids = people
        .iter()
        .map(|p| s.add_person(p).expect("person").to_string())
        .collect();
    if let Some((name, role, pw)) = extra_user {
        s.add_user(name, role, pw).expect("user");
    }
    (tmp, dir, ids)
}

#[test]
fn create_add_find_edit_lock_refuse_unlock() {
    let tmp = tempfile::tempdir().expect("tmp");
    let vault = tmp.path().join("vault");
    // In English; the other tests run in German, so both catalogues are used.
    let app = App::launch_in("create-add-find-edit-lock", &vault, &[], "en");

    app.click("[data-testid=start-create]");
    app.type_in("#create-admin", "ada");
    app.type_in("#create-passphrase", "Sommer-Regen-2026!");
    app.type_in("#create-passphrase2", "Sommer-Regen-2026!");
    app.click("[data-testid=create-submit]");
    let kit = app.text("[data-testid=recovery-kit]");
    assert!(
        kit.split_whitespace()
            .any(|w| w.len() == 69 && w.matches('-').count() == 13),
        "the recovery kit shows the grouped key: {kit}"
    );
    app.screenshot("01-recovery-kit");
    app.click("[data-testid=kit-done]");
    let who = app.text("[data-testid=whoami]");
    assert!(who.contains("ada"), "{who}");

    app.click("[data-testid=contact-new]");
    app.type_in("#f-given_name", "Anna");
    app.type_in("#f-family_name", "Beispielfrau");
    app.type_in("#f-emails", "anna@example.de");
    app.click("[data-testid=form-save]");
    app.find("[data-testid=contact-detail]");

    app.type_in("#search", "beispiel");
    app.wait_until("the search to find Anna", |a| {
        a.count("[data-testid=contact-row]") == 1
            && a.text("[data-testid=contact-row]")
                .contains("Anna Beispielfrau")
    });
    app.click("[data-testid=contact-row]");
    app.wait_until("the detail of Anna", |a| {
        a.text("[data-testid=field-family_name]")
            .contains("Beispielfrau")
    });

    app.click("[data-testid=contact-edit]");
    app.clear("#f-family_name");
    app.type_in("#f-family_name", "Beispiel-Neu");
    app.click("[data-testid=form-save]");
    app.wait_until("the edited name", |a| {
        a.text("[data-testid=field-family_name]")
            .contains("Beispiel-Neu")
    });
    app.screenshot("02-contact-edited");

    app.click("[data-testid=lock]");
    app.find("#unlock-passphrase");
    assert_eq!(
        app.count("[data-testid=contact-detail]"),
        0,
        "locking clears every view"
    );
    assert!(
        !app.js("return document.body.innerText")
            .as_str()
            .unwrap_or_default()
            .contains("Beispiel"),
        "no record text remains on screen after locking"
    );
    app.type_in("#unlock-passphrase", "not the passphrase");
    app.click("[data-testid=unlock-submit]");
    app.find("[data-testid=unlock-error]");
    app.screenshot("03-wrong-passphrase");
    app.clear("#unlock-passphrase");
    app.type_in("#unlock-passphrase", "Sommer-Regen-2026!");
    app.click("[data-testid=unlock-submit]");
    assert!(app.text("[data-testid=whoami]").contains("ada"));
    app.wait_until("the contact list", |a| {
        a.text("[data-testid=contact-count]").contains('1')
    });
}

#[test]
fn an_agent_sees_restricted_fields_as_locked() {
    let person = PersonInput::default()
        .with_name("Berta Beispiel")
        .with("emails", FieldInput::List(vec!["berta@example.de".into()]))
        .with("note", FieldInput::Text("owes us money".into()))
        .with("special", FieldInput::Text("diabetic".into()));
    let (_tmp, vault, ids) =
        vault_with(&[person], Some(("carl", Role::Agent, b"agent passphrase")));
    let app = App::launch("agent-locked", &vault);
    app.unlock("carl", "agent passphrase");
    app.type_in("#search", "berta");
    app.wait_until("Berta in the list", |a| {
        a.count("[data-testid=contact-row]") == 1
    });
    assert_eq!(
        app.attr("[data-testid=contact-row]", "data-id").as_deref(),
        Some(ids[0].as_str())
    );
    app.click("[data-testid=contact-row]");
    app.find("[data-testid=contact-detail]");
    for field in ["note", "special", "deal_value"] {
        let css = format!("[data-testid=field-{field}]");
        assert_eq!(
            app.attr(&css, "data-state").as_deref(),
            Some("locked"),
            "{field}"
        );
        assert!(
            app.text(&css).contains("agent"),
            "{field} says why it is locked"
        );
    }
    assert_eq!(
        app.attr("[data-testid=field-emails]", "data-state")
            .as_deref(),
        Some("value")
    );
    let page = app
        .js("return document.body.innerText")
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!page.contains("owes us money") && !page.contains("diabetic"));
    assert_eq!(
        app.count("[data-testid=nav-users]"),
        0,
        "no user management for an agent"
    );
    app.screenshot("04-agent-locked-fields");
}

#[test]
fn hostile_text_is_shown_literally_and_runs_nothing() {
    let img = r#"<img src=x onerror="window.__pwned=1">"#;
    let script = "<script>window.__pwned=2</script>";
    let link = "javascript:window.__pwned=3";
    let rtl = "\u{202E}gnp.exe Müller";
    let long = "Ä".repeat(5_000);
    let person = PersonInput::default()
        .with("given_name", FieldInput::Text(img.into()))
        .with("family_name", FieldInput::Text(script.into()))
        .with("title", FieldInput::Text(link.into()))
        .with(
            "emails",
            FieldInput::List(vec![
                "<img/src=x/onerror=window.__pwned=4>@example.de".into(),
            ]),
        )
        .with("addresses", FieldInput::List(vec![format!("{img}\n{rtl}")]))
        .with("tags", FieldInput::List(vec![script.into(), link.into()]))
        .with("note", FieldInput::Text(format!("{long}{img}")))
        .with("special", FieldInput::Text(rtl.into()))
        .with("deal_stage", FieldInput::Text(link.into()));
    let (_tmp, vault, ids) = vault_with(&[person], None);
    let app = App::launch("hostile-text", &vault);
    app.unlock("ada", "admin passphrase");
    app.find(&format!("[data-testid=contact-row][data-id='{}']", ids[0]));
    app.click("[data-testid=contact-row]");
    app.find("[data-testid=contact-detail]");
    assert_eq!(app.text("[data-testid=field-given_name]").trim(), img);
    assert_eq!(app.text("[data-testid=field-family_name]").trim(), script);
    assert_eq!(app.text("[data-testid=field-title]").trim(), link);
    assert!(app.text("[data-testid=field-special]").contains("gnp.exe"));
    assert!(
        app.text("[data-testid=field-note]")
            .contains(r#"onerror="window.__pwned=1""#)
    );
    assert_eq!(
        app.js("return window.__pwned === undefined"),
        json!(true),
        "a payload ran"
    );
    assert_eq!(
        app.js("return document.querySelectorAll('img[src=x], script:not([src])').length"),
        json!(0)
    );
    assert_eq!(
        app.js("return document.querySelectorAll('a[href^=javascript]').length"),
        json!(0)
    );
    app.screenshot("05-hostile-text");
}

#[test]
fn the_first_start_opens_a_filled_demo_vault() {
    let tmp = tempfile::tempdir().expect("tmp");
    let vault = tmp.path().join("vault");
    let app = App::launch_with_env("first-start-demo", &vault, &[("TRESOR_START_DEMO", "1")]);
    assert!(app.text("[data-testid=whoami]").contains("demo"));
    app.wait_until("the demo people", |a| {
        a.attr("[data-testid=contact-count]", "data-count")
            .as_deref()
            == Some("2000")
    });
    app.find("[data-testid=contact-row]");
    assert!(
        vault.with_extension("demo").join("keyring.json").exists(),
        "the demo vault is its own directory"
    );
    assert!(!vault.exists(), "the real vault location stays untouched");
    app.screenshot("06-first-start-demo");
}

#[test]
fn a_follow_up_due_today_shows_on_the_start_view_and_is_done_and_made_in_the_window() {
    let (_tmp, vault, ids) = vault_with(&[PersonInput::default().with_name("Frieda Folgt")], None);
    let frieda: uuid::Uuid = ids[0].parse().expect("id");
    let first = {
        let mut s = Session::unlock(&vault, "ada", b"admin passphrase", Arc::new(SystemClock))
            .expect("unlock");
        s.add_followup(
            frieda,
            &FollowUpInput {
                what: "Angebot nachfassen".into(),
                due: "today".into(),
                time: Some("10:00".into()),
                assignee: None,
            },
        )
        .expect("follow-up")
    };
    let app = App::launch("followups", &vault);
    app.unlock("ada", "admin passphrase");
    // The start view lists it, the navigation counts it.
    let row = format!("[data-testid=due-today] [data-testid=followup][data-id='{first}']");
    app.wait_until("the follow-up due today", |a| a.count(&row) == 1);
    assert_eq!(app.attr(&row, "data-state").as_deref(), Some("due_today"));
    assert!(app.text(&row).contains("Angebot nachfassen"));
    assert!(app.text(&row).contains("Frieda Folgt"));
    app.wait_until("the count in the navigation", |a| {
        a.attr("[data-testid=followups-due-count]", "data-count")
            .as_deref()
            == Some("1")
    });
    app.screenshot("08-followup-due-today");

    // Done: the count goes; the row keeps its undo.
    app.click(&format!("{row} [data-testid=followup-done]"));
    app.wait_until("done", |a| {
        a.attr(&row, "data-state").as_deref() == Some("done")
    });
    app.wait_until("no count", |a| {
        a.count("[data-testid=followups-due-count]") == 0
    });

    // A new one, made on the person's page, due today.
    app.click(&format!("{row} [data-testid=followup-subject]"));
    app.wait_until("the person's follow-ups", |a| {
        a.count("[data-testid=contact-followups] [data-testid=followup]") == 1
    });
    app.click("[data-testid=followup-new]");
    app.type_in("#fu-what", "Vertrag schicken");
    app.js(
        "const s = document.querySelector('[data-testid=fu-due-choice]'); \
         s.value = 'today'; s.dispatchEvent(new Event('change', { bubbles: true }));",
    );
    app.click("[data-testid=followup-save]");
    app.wait_until("two follow-ups on the person", |a| {
        a.count("[data-testid=contact-followups] [data-testid=followup]") == 2
    });
    app.wait_until("counted again", |a| {
        a.attr("[data-testid=followups-due-count]", "data-count")
            .as_deref()
            == Some("1")
    });
    drop(app);

    // The vault holds what the window did.
    let s =
        Session::unlock(&vault, "ada", b"admin passphrase", Arc::new(SystemClock)).expect("unlock");
    let all = s.followups_of(frieda).expect("follow-ups");
    assert_eq!(all.len(), 2);
    let done = all.iter().find(|f| f.id == first).expect("first");
    assert!(done.done_at.is_some());
    let made = all
        .iter()
        .find(|f| f.what == "Vertrag schicken")
        .expect("made");
    assert_eq!((made.by.as_str(), made.due), ("ada", s.today_date()));
}

#[test]
fn consent_given_withdrawn_exported_and_the_register_in_the_window() {
    let (tmp, vault, ids) = vault_with(
        &[PersonInput::default()
            .with_name("Erika Mustermann")
            .with("emails", FieldInput::List(vec!["erika@example.de".into()]))],
        None,
    );
    let exports = tmp.path().join("exports");
    let exports_env = exports.display().to_string();
    let app = App::launch_in(
        "consent",
        &vault,
        &[("TRESOR_EXPORT_DIR", &exports_env)],
        "en",
    );
    app.unlock("ada", "admin passphrase");
    app.click("[data-testid=contact-row]");
    app.click("[data-testid=tab-consents]");
    app.find("[data-testid=consent-panel]");

    app.click("[data-testid=give-consent]");
    app.js("const s = document.querySelector('#cg-purpose'); s.value = 'e-marketing'; s.dispatchEvent(new Event('change'));");
    app.type_in("#cg-evidence", "Newsletter-Formular, Häkchen gesetzt");
    app.click("[data-testid=consent-save]");
    let state = "[data-testid=consent-state][data-purpose=e-marketing][data-channel=email]";
    app.wait_until("the given consent", |a| {
        a.attr(state, "data-state").as_deref() == Some("given")
    });

    app.click("[data-testid=withdraw-consent]");
    let effect = app.text("[data-testid=withdraw-effect]");
    assert!(!effect.trim().is_empty(), "the form says what will happen");
    app.type_in("#cw-reason", "per Telefon");
    app.click("[data-testid=withdraw-save]");
    app.wait_until("the withdrawal", |a| {
        a.attr(state, "data-state").as_deref() == Some("withdrawn")
    });
    assert_eq!(
        app.count("[data-testid=consent-entry]"),
        2,
        "both entries stay"
    );
    let history = app.text("[data-testid=consent-history]");
    assert!(
        history.contains("ada") && history.contains("per Telefon"),
        "{history}"
    );
    app.screenshot("07-consent-history");

    app.click("[data-testid=export-legal-basis]");
    app.wait_until("the legal-basis file", |a| {
        a.try_find("[data-testid=export-path]").is_some()
    });
    let path = PathBuf::from(app.text("[data-testid=export-path]").trim());
    assert!(path.starts_with(&exports), "{}", path.display());
    let xlsx = std::fs::read(&path).expect("the exported file exists");
    assert_eq!(&xlsx[..2], b"PK", "an XLSX (zip) file");

    app.click("[data-testid=nav-register]");
    app.wait_until("the register", |a| {
        a.count("[data-testid=register-purpose]") == 3
    });
    app.click("[data-testid=export-register]");
    app.wait_until("the register file", |a| {
        a.try_find("[data-testid=export-path]").is_some()
    });
    let reg = PathBuf::from(app.text("[data-testid=export-path]").trim());
    assert!(
        std::fs::metadata(&reg).is_ok_and(|m| m.len() > 1000),
        "{}",
        reg.display()
    );
    app.screenshot("08-register");

    // What the window did is what the vault holds.
    drop(app);
    let s =
        Session::unlock(&vault, "ada", b"admin passphrase", Arc::new(SystemClock)).expect("unlock");
    let id: uuid::Uuid = ids[0].parse().expect("id");
    let h = s.consent_history(id).expect("history");
    assert_eq!(h.len(), 2);
    assert_eq!(h[1].reason.as_deref(), Some("per Telefon"));
}

#[test]
fn access_package_released_then_person_erased_in_the_window() {
    let (tmp, vault, ids) = vault_with(
        &[PersonInput::default().with_name("Erika Löschmich").with(
            "emails",
            FieldInput::List(vec!["loeschmich@example.de".into()]),
        )],
        None,
    );
    let person: uuid::Uuid = ids[0].parse().expect("id");
    {
        let mut s = Session::unlock(&vault, "ada", b"admin passphrase", Arc::new(SystemClock))
            .expect("unlock");
        let today = tresor_core::clock::SystemClock.now().date_naive();
        for kind in [RequestKind::Access, RequestKind::Erasure] {
            s.open_request(&NewRequest {
                kind,
                person: Some(person),
                received: today,
                identity_check: Some("Ausweis".into()),
            })
            .expect("request");
        }
    }
    let exports = tmp.path().join("exports");
    let exports_env = exports.display().to_string();
    let app = App::launch_with_env("rights", &vault, &[("TRESOR_EXPORT_DIR", &exports_env)]);
    app.unlock("ada", "admin passphrase");
    app.click("[data-testid=contact-row]");
    app.click("[data-testid=tab-rights]");
    app.click("[data-testid=package]");
    app.wait_until("the package review", |a| {
        a.count("[data-testid=package-field]") > 0
    });
    assert!(
        app.text("[data-testid=package-preview]")
            .contains("loeschmich@example.de")
    );
    // Cancelled in the native save dialog: nothing is written, neither
    // where it opened (the export folder) nor anywhere else.
    let usb = tmp.path().join("usb-stick");
    std::fs::create_dir_all(&usb).expect("usb dir");
    app.click("[data-testid=package-release]");
    app.answer_save_dialog("Auskunftspaket speichern", None);
    app.wait_until("the cancelled release", |a| {
        a.try_find("[data-testid=package-not-saved]").is_some()
    });
    assert_eq!(std::fs::read_dir(&usb).expect("usb").count(), 0);
    assert!(!exports.exists() || std::fs::read_dir(&exports).expect("exports").count() == 0);

    // Saved onto the "USB stick", typed into the dialog without the extension.
    app.click("[data-testid=package-release]");
    app.answer_save_dialog(
        "Auskunftspaket speichern",
        Some(&usb.join("auskunft-loeschmich")),
    );
    app.wait_until("the released package", |a| {
        a.try_find("[data-testid=package-path]").is_some()
    });
    let path = PathBuf::from(app.text("[data-testid=package-path]").trim());
    assert_eq!(path, usb.join("auskunft-loeschmich.zip"));
    let zip = std::fs::read(&path).expect("the package exists");
    let shown = app.text("[data-testid=package-sha256]");
    use sha2::Digest as _;
    let sha: String = sha2::Sha256::digest(&zip)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        shown.trim(),
        sha,
        "the window shows the SHA-256 of the file"
    );
    app.screenshot("09-access-package");
    app.click("[data-testid=package-close]");

    // An export written into the export folder earlier holds her data too.
    app.click("[data-testid=tab-consents]");
    app.click("[data-testid=export-legal-basis]");
    app.wait_until("the legal-basis file", |a| {
        a.try_find("[data-testid=export-path]").is_some()
    });
    let legal_basis = PathBuf::from(app.text("[data-testid=export-path]").trim());
    assert!(
        legal_basis.starts_with(&exports),
        "{}",
        legal_basis.display()
    );
    app.click("[data-testid=tab-rights]");

    app.click("[data-testid=erase]");
    let effect = app.text("[data-testid=erase-effect]");
    assert!(
        effect.contains("Löschmich"),
        "the confirmation names the person: {effect}"
    );
    app.click("[data-testid=erase-confirm]");
    app.wait_until("the erasure report", |a| {
        a.try_find("[data-testid=erasure-report]").is_some()
    });
    assert_eq!(app.count("[data-testid=contact-row]"), 0);
    // The erasure names the export that still holds her, and deletes it
    // after a confirmation; the package on the USB stick is not touched.
    assert_eq!(
        app.text("[data-testid=erasure-file]").trim(),
        legal_basis.display().to_string()
    );
    app.screenshot("10-erased");
    app.click("[data-testid=erasure-files-delete]");
    app.click("[data-testid=erasure-files-confirm]");
    app.wait_until("the files deleted", |a| {
        a.try_find("[data-testid=erasure-files-deleted]").is_some()
    });
    assert!(!legal_basis.exists(), "the export is deleted");
    assert!(path.exists(), "the package on the USB stick stays");
    drop(app);

    let s =
        Session::unlock(&vault, "ada", b"admin passphrase", Arc::new(SystemClock)).expect("unlock");
    let report = s
        .verify_erasure_in(
            &["Löschmich".into(), "loeschmich@example.de".into()],
            &[exports.as_path()],
        )
        .expect("verify");
    assert!(report.clean(), "{:?}", report.places);
}

#[test]
fn two_laptops_sync_through_a_shared_folder_and_a_third_joins_in_the_window() {
    let (tmp, vault, _) = vault_with(&[PersonInput::default().with_name("Ines Ordner")], None);
    let team = tmp.path().join("Nextcloud").join("Tresor");
    let app = App::launch("sync", &vault);
    app.unlock("ada", "admin passphrase");
    let kind = |a: &App| a.attr("[data-testid=sync-state]", "data-kind");
    app.wait_until("the sync state", |a| kind(a).as_deref() == Some("off"));

    // An administrator publishes the team to the shared folder.
    app.click("[data-testid=nav-team]");
    app.type_in("#team-folder", &team.display().to_string());
    app.click("[data-testid=team-setup-submit]");
    app.find("[data-testid=team-notice]");
    assert!(team.join("team").exists(), "the team is in the folder");
    app.wait_until("synced", |a| kind(a).as_deref() == Some("synced"));
    assert_eq!(app.count("[data-testid=device-row]"), 1);

    // A second laptop joins (through the core), adds a person and syncs;
    // the window's laptop picks it up.
    let (mut other, _) = tresor_core::sync::join(
        &team,
        &tmp.path().join("laptop-b"),
        "ada",
        b"admin passphrase",
        Arc::new(SystemClock),
    )
    .expect("join");
    other
        .add_person(&PersonInput::default().with_name("Bruno Zweitgeraet"))
        .expect("person");
    other.sync().expect("sync b");
    app.click("[data-testid=team-sync-now]");
    app.wait_until("the second laptop", |a| {
        a.count("[data-testid=device-row]") == 2
    });
    app.screenshot("11-team-devices");

    // Retiring asks first and says what it does.
    app.click("[data-testid=retire]");
    assert!(!app.text("[data-testid=retire-effect]").trim().is_empty());
    app.click("[data-testid=retire-confirm]");
    app.wait_until("the retired laptop", |a| {
        a.try_find("[data-testid=device-row][data-retired=true]")
            .is_some()
    });

    app.click("[data-testid=nav-contacts]");
    app.type_in("#search", "zweit");
    app.wait_until("the person from the other laptop", |a| {
        a.try_find("[data-testid=contact-row]").is_some()
            && a.text("[data-testid=contact-row]").contains("Bruno")
    });
    app.screenshot("12-synced-contact");
    drop(app);

    // A third laptop joins in the window: folder, user and passphrase.
    let third = tmp.path().join("laptop-c");
    let app = App::launch("sync-join", &third);
    app.click("[data-testid=start-join]");
    app.type_in("#join-folder", &team.display().to_string());
    app.type_in("#join-user", "ada");
    app.type_in("#join-passphrase", "admin passphrase");
    app.click("[data-testid=join-submit]");
    assert!(app.text("[data-testid=whoami]").contains("ada"));
    assert!(
        third.join("keyring.json").exists(),
        "the local vault is where the app keeps its vault"
    );
    app.wait_until("synced", |a| kind(a).as_deref() == Some("synced"));
    app.type_in("#search", "ordner");
    app.wait_until("the team's people", |a| {
        a.try_find("[data-testid=contact-row]").is_some()
            && a.text("[data-testid=contact-row]").contains("Ines")
    });
    app.screenshot("13-joined");
    // What the retired laptop wrote before its retirement reached it too.
    app.clear("#search");
    app.type_in("#search", "zweit");
    app.wait_until("the retired laptop's earlier person", |a| {
        a.try_find("[data-testid=contact-row]").is_some()
            && a.text("[data-testid=contact-row]").contains("Bruno")
    });

    // Nobody presses a button: the shell's own sync sends what waits.
    app.click("[data-testid=nav-team]");
    app.wait_until("the background sync", |a| {
        a.try_find("[data-testid=team-pending]").is_some()
            && a.text("[data-testid=team-pending]").trim() == "0"
    });
}

/// The `tresor` binary built beside this test (`cargo test --workspace`
/// builds every binary of the workspace before it runs a test).
fn tresor_cli() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let cli = dir.join(format!("tresor{}", std::env::consts::EXE_SUFFIX));
    assert!(
        cli.exists(),
        "{} is missing: build it with `cargo build -p tresor-cli`",
        cli.display()
    );
    cli
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

#[test]
fn the_window_and_the_command_line_agree_on_one_vault_on_one_day() {
    let today = SystemClock.now().date_naive();
    let three_years_ago = (today - chrono::Duration::days(3 * 365)).to_string();
    let (tmp, vault, ids) = vault_with(
        &[
            PersonInput::default().with_name("Paula Bleibt"),
            PersonInput::default()
                .with_name("Lene Verfallen")
                .with("last_contact", FieldInput::Text(three_years_ago)),
        ],
        None,
    );
    let paula: uuid::Uuid = ids[0].parse().expect("id");
    {
        let mut s = Session::unlock(&vault, "ada", b"admin passphrase", Arc::new(SystemClock))
            .expect("unlock");
        for days in [40, 26, 0] {
            s.open_request(&NewRequest {
                kind: RequestKind::Access,
                person: Some(paula),
                received: today - chrono::Duration::days(days),
                identity_check: None,
            })
            .expect("request");
        }
        // Follow-ups: one overdue, one today, one next week.
        for (what, due) in [
            ("Rückruf", (today - chrono::Duration::days(2)).to_string()),
            ("Angebot", "today".to_owned()),
            ("Besuch", "+7".to_owned()),
        ] {
            s.add_followup(
                paula,
                &FollowUpInput {
                    what: what.into(),
                    due,
                    time: None,
                    assignee: None,
                },
            )
            .expect("follow-up");
        }
    }
    // The same vault twice, one for each door.
    let cli_vault = tmp.path().join("cli-vault");
    copy_dir(&vault, &cli_vault);
    let pass = tmp.path().join("pass");
    std::fs::write(&pass, "admin passphrase").expect("pass");
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(tresor_cli())
            .arg("--vault")
            .arg(&cli_vault)
            .arg("--passphrase-file")
            .arg(&pass)
            .arg("--json")
            .args(args)
            .output()
            .expect("tresor");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")
    };

    // The command line: the sweep at unlock took the lapsed person; the
    // requests carry their deadline state.
    let contacts = cli(&["contact", "list"]);
    let names: Vec<&str> = contacts
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["display"].as_str())
        .collect();
    assert_eq!(names, vec!["Paula Bleibt"], "{contacts}");
    let rows = cli(&["request", "list"]);
    let mut by_cli: Vec<(String, bool, bool)> = rows
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["request"]["reference"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                r["overdue"].as_bool().unwrap_or_default(),
                r["due_soon"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    by_cli.sort();
    assert_eq!(
        by_cli
            .iter()
            .map(|r| (r.1, r.2))
            .filter(|r| *r == (true, false))
            .count(),
        1,
        "one overdue: {by_cli:?}"
    );
    assert_eq!(
        by_cli
            .iter()
            .filter(|r| (r.1, r.2) == (false, true))
            .count(),
        1,
        "one due soon: {by_cli:?}"
    );

    // The window, on its own copy: the same people and the same flags.
    let app = App::launch("both-doors", &vault);
    app.unlock("ada", "admin passphrase");
    app.wait_until("the contact list", |a| {
        a.count("[data-testid=contact-row]") > 0
    });
    assert_eq!(app.count("[data-testid=contact-row]"), 1);
    assert!(
        app.text("[data-testid=contact-row]")
            .contains("Paula Bleibt")
    );
    app.click("[data-testid=nav-requests]");
    app.wait_until("the requests", |a| {
        a.count("[data-testid=request-row]") == 3
    });
    let mut by_window: Vec<(String, bool, bool)> = app
        .js(
            "return [...document.querySelectorAll('[data-testid=request-row]')].map(r => \
             [r.dataset.reference, r.dataset.overdue === 'true', r.dataset.dueSoon === 'true'])",
        )
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap_or_default().to_owned(),
                r[1].as_bool().unwrap_or_default(),
                r[2].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    by_window.sort();
    assert_eq!(by_window, by_cli);

    // What is due: the same follow-ups with the same states.
    let due = cli(&["followup", "list", "--due", "--mine"]);
    let by_cli: Vec<(String, String)> = due
        .as_array()
        .expect("rows")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or_default().to_owned(),
                f["state"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(by_cli.len(), 2, "{due}");
    app.click("[data-testid=nav-contacts]");
    app.wait_until("the follow-ups due", |a| {
        a.count("[data-testid=due-today] [data-testid=followup]") == 2
    });
    let by_window: Vec<(String, String)> = app
        .js(
            "return [...document.querySelectorAll('[data-testid=due-today] [data-testid=followup]')]\
             .map(r => [r.dataset.id, r.dataset.state])",
        )
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap_or_default().to_owned(),
                r[1].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(by_window, by_cli);
    assert_eq!(
        app.attr("[data-testid=followups-due-count]", "data-count")
            .as_deref(),
        Some("2")
    );
}

fn with_fields(name: &str, fields: &[(&str, &str)]) -> PersonInput {
    let mut p = PersonInput::default().with_name(name);
    for (field, value) in fields {
        p = match *field {
            "company" => {
                p.company = Some((*value).into());
                p
            }
            "tags" => p.with(field, FieldInput::List(vec![(*value).into()])),
            _ => p.with(field, FieldInput::Text((*value).into())),
        };
    }
    p
}

#[test]
fn the_table_sorts_by_a_column_and_a_selection_is_tagged_and_given_follow_ups_in_the_window() {
    let (_tmp, vault, ids) = vault_with(
        &[
            with_fields("Anna Bauer", &[("addresses", "Hauptstr. 1, 10115 Berlin")]),
            with_fields(
                "Ben Kraus",
                &[
                    ("addresses", "Ring 2, 80331 München"),
                    ("company", "Kraus KG"),
                ],
            ),
            with_fields("Cem Yilmaz", &[("tags", "vip")]),
            with_fields("Dora Zorn", &[("addresses", "Weg 3, 50667 Köln")]),
        ],
        None,
    );
    let cem: uuid::Uuid = ids[2].parse().expect("id");
    {
        let mut s = Session::unlock(&vault, "ada", b"admin passphrase", Arc::new(SystemClock))
            .expect("unlock");
        let req = s
            .open_request(&NewRequest {
                kind: RequestKind::Restriction,
                person: Some(cem),
                received: s.today_date(),
                identity_check: None,
            })
            .expect("request");
        s.restrict(cem, &req.reference).expect("restrict");
    }
    let app = App::launch("table-bulk", &vault);
    app.unlock("ada", "admin passphrase");
    app.wait_until("four people", |a| a.count("[data-testid=contact-row]") == 4);
    app.click("[data-testid=view-table]");
    app.wait_until("the table", |a| a.count("[data-testid=table-head]") == 1);
    let first_name = |a: &App| a.text("[data-testid=contact-row][aria-posinset='1'] .name");
    app.click("[data-testid=th-city]");
    app.wait_until("sorted by city", |a| first_name(a) == "Anna Bauer");
    app.click("[data-testid=th-city]");
    app.wait_until("by city, reversed", |a| first_name(a) == "Ben Kraus");
    assert_eq!(
        app.text("[data-testid=contact-row][aria-posinset='4'] .name"),
        "Cem Yilmaz",
        "no city stays last"
    );
    assert_eq!(
        app.text("[data-testid=contact-row][aria-posinset='1'] [data-col=city]"),
        "München"
    );
    app.screenshot("20-table-by-city");

    // Three chosen by their boxes, one of them restricted.
    for id in [&ids[0], &ids[1], &ids[2]] {
        app.click(&format!(
            "[data-testid=contact-row][data-id='{id}'] [data-testid=row-check]"
        ));
    }
    app.wait_until("three selected", |a| {
        a.attr("[data-testid=bulk-count]", "data-count").as_deref() == Some("3")
    });
    app.click("[data-testid=bulk-tag]");
    app.type_in("#bk-tags", "Katalog 2027");
    app.click("[data-testid=bulk-save]");
    app.wait_until("the report", |a| a.count("[data-testid=bulk-report]") == 1);
    assert_eq!(
        app.attr("[data-testid=bulk-report]", "data-done")
            .as_deref(),
        Some("2")
    );
    assert!(
        app.text("[data-testid=bulk-skipped]")
            .contains("Cem Yilmaz")
    );
    app.wait_until("the tags column shows it", |a| {
        a.text(&format!(
            "[data-testid=contact-row][data-id='{}'] [data-col=tags]",
            ids[0]
        )) == "Katalog 2027"
    });
    app.screenshot("21-bulk-tagged");

    app.click("[data-testid=bulk-followup]");
    app.type_in("#fu-what", "Katalog schicken");
    app.click("[data-testid=followup-save]");
    app.wait_until("the follow-up report", |a| {
        a.attr("[data-testid=bulk-report]", "data-done").as_deref() == Some("2")
    });
    drop(app);

    let s =
        Session::unlock(&vault, "ada", b"admin passphrase", Arc::new(SystemClock)).expect("unlock");
    for (i, id) in ids.iter().enumerate() {
        let id: uuid::Uuid = id.parse().expect("id");
        let tags = s
            .contact(id)
            .expect("contact")
            .field("tags")
            .map(|f| format!("{:?}", f.value))
            .unwrap_or_default();
        let followups = s.followups_of(id).expect("follow-ups").len();
        if i < 2 {
            assert!(tags.contains("Katalog 2027"), "{tags}");
            assert_eq!(followups, 1);
        } else {
            assert!(!tags.contains("Katalog"), "{tags}");
            assert_eq!(followups, 0);
        }
    }
}

#[test]
fn a_company_is_shown_with_its_people_merged_and_deleted_in_the_window() {
    let (_tmp, vault, _ids) = vault_with(
        &[
            with_fields("Erika Mustermann", &[("company", "Muster GmbH")]),
            with_fields("Bernd Roth", &[("company", "Muster G.m.b.H.")]),
        ],
        None,
    );
    let (keep, other) = {
        let s = Session::unlock(&vault, "ada", b"admin passphrase", Arc::new(SystemClock))
            .expect("unlock");
        let rows = s.list_companies(0, 10).expect("companies");
        let id = |n: &str| {
            rows.iter()
                .find(|r| r.display == n)
                .expect("company")
                .id
                .to_string()
        };
        (id("Muster GmbH"), id("Muster G.m.b.H."))
    };
    let app = App::launch("companies", &vault);
    app.unlock("ada", "admin passphrase");
    app.click("[data-testid=scope-companies]");
    app.wait_until("two companies", |a| {
        a.count("[data-testid=contact-row]") == 2
    });
    app.click(&format!("[data-testid=contact-row][data-id='{keep}']"));
    app.wait_until("its page with its person", |a| {
        a.count("[data-testid=company-detail] [data-testid=company-person]") == 1
    });
    app.click("[data-testid=company-merge-start]");
    app.wait_until("the merge choice", |a| a.count("#merge-other") == 1);
    app.js(&format!(
        "const s = document.getElementById('merge-other'); s.value = '{other}'; \
         s.dispatchEvent(new Event('change', {{ bubbles: true }}));"
    ));
    app.click("[data-testid=company-merge]");
    app.wait_until("asked first", |a| {
        a.count("[data-testid=company-merge-confirm]") == 1
    });
    app.click("[data-testid=company-merge-yes]");
    app.wait_until("both people on one company", |a| {
        a.count("[data-testid=company-detail] [data-testid=company-person]") == 2
    });
    app.wait_until("one company left", |a| {
        a.count("[data-testid=contact-row]") == 1
    });
    app.screenshot("22-company-merged");
    app.click("[data-testid=company-delete]");
    app.wait_until("what happens is said", |a| {
        a.text("[data-testid=company-delete-people]")
            .contains("Bernd Roth, Erika Mustermann")
    });
    app.click("[data-testid=company-delete-yes]");
    app.wait_until("gone", |a| a.count("[data-testid=company-deleted]") == 1);
    drop(app);

    let s =
        Session::unlock(&vault, "ada", b"admin passphrase", Arc::new(SystemClock)).expect("unlock");
    assert_eq!(s.count_companies().expect("count"), 0);
    assert_eq!(s.count().expect("people"), 2, "the people stay");
}

/// A German Excel list ("CSV (Trennzeichen-getrennt)": Windows-1252,
/// semicolons, CRLF) chosen in the native open dialog, checked, imported.
#[test]
fn a_german_excel_list_is_imported_through_the_native_dialog_in_the_window() {
    let (tmp, vault, _) = vault_with(&[], None);
    let file = tmp.path().join("Kunden.csv");
    std::fs::write(
        &file,
        b"Vorname;Nachname;E-Mail;Ort\r\nJ\xfcrgen;Wei\xdf;jw@example.de;K\xf6ln\r\n\xd6zlem;Kaya;ok@example.de;Bonn\r\n",
    )
    .expect("file");
    let app = App::launch("import", &vault);
    app.unlock("ada", "admin passphrase");
    app.click("[data-testid=nav-import]");
    app.click("[data-testid=import-choose]");
    app.answer_open_dialog("Zu importierende Dateien", &file);
    app.wait_until("the file chosen", |a| {
        a.try_find("[data-testid=import-files]").is_some()
            && a.text("[data-testid=import-files]").contains("Kunden.csv")
    });
    app.click("[data-testid=import-check]");
    app.wait_until("the preview", |a| {
        a.count("[data-testid=import-preview]") == 1
    });
    assert!(
        app.text("[data-testid=import-reading]")
            .contains("windows-1252"),
        "{}",
        app.text("[data-testid=import-reading]")
    );
    assert!(app.text("[data-testid=import-columns]").contains("Jürgen"));
    app.screenshot("30-import-preview");
    app.click("[data-testid=import-run]");
    app.wait_until("the result", |a| {
        a.count("[data-testid=import-result]") == 1
    });
    assert_eq!(
        app.attr(
            "[data-testid=import-result] [data-testid=import-counts]",
            "data-imported"
        )
        .as_deref(),
        Some("2")
    );
    app.click("[data-testid=nav-contacts]");
    app.wait_until("two people", |a| a.count("[data-testid=contact-row]") == 2);
    let name = |n: u32| {
        app.text(&format!(
            "[data-testid=contact-row][aria-posinset='{n}'] .name"
        ))
    };
    assert_eq!(
        (name(1), name(2)),
        ("Özlem Kaya".into(), "Jürgen Weiß".into())
    );
}

#[test]
fn backups_are_set_up_in_the_window_and_a_new_laptop_restores_from_the_start_screen() {
    let (tmp, vault, _) = vault_with(&[PersonInput::default().with_name("Greta Gesichert")], None);
    let stick = tmp.path().join("USB-STICK");
    let app = App::launch("backup", &vault);
    app.unlock("ada", "admin passphrase");
    app.click("[data-testid=nav-backups]");
    app.type_in("#backup-folder", &stick.display().to_string());
    app.click("[data-testid=backup-setup-submit]");
    app.wait_until("the first backup", |a| {
        a.count("[data-testid=backup-row]") == 1
    });
    assert!(
        app.text("[data-testid=backup-notice]").contains(".tbk"),
        "{}",
        app.text("[data-testid=backup-notice]")
    );
    app.screenshot("40-backups");
    drop(app);
    let file = tresor_core::sync::newest_backup(&stick).expect("a backup on the stick");

    // Changed after the backup: the restore gives the vault as it was.
    let mut s =
        Session::unlock(&vault, "ada", b"admin passphrase", Arc::new(SystemClock)).expect("unlock");
    s.add_person(&PersonInput::default().with_name("Nach Sicherung"))
        .expect("person");
    drop(s);

    // A new laptop: the start screen restores the file.
    let fresh = tmp.path().join("new-laptop");
    let app = App::launch("restore", &fresh);
    app.click("[data-testid=start-restore]");
    app.type_in("#restore-file", &file.display().to_string());
    app.type_in("#restore-passphrase", "admin passphrase");
    app.click("[data-testid=restore-submit]");
    app.wait_until("the restore", |a| {
        a.count("[data-testid=restore-done]") == 1
    });
    assert!(
        app.text("[data-testid=restore-summary]")
            .contains("wiederhergestellt"),
        "{}",
        app.text("[data-testid=restore-summary]")
    );
    app.screenshot("41-restored");
    app.click("[data-testid=restore-continue]");
    assert!(app.text("[data-testid=whoami]").contains("ada"));
    assert!(
        fresh.join("keyring.json").exists(),
        "restored where the app keeps its vault"
    );
    app.wait_until("the restored people", |a| {
        a.count("[data-testid=contact-row]") == 1
    });
    assert!(app.text("[data-testid=contact-row]").contains("Greta"));
}
