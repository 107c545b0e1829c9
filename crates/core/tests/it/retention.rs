//! Retention over time, on a real SQLCipher vault with a clock the test
//! moves: what the law keeps goes when its period ends, a withdrawal
//! schedules deletion, the sweep runs by itself only when something is due.

use chrono::{DateTime, Utc};
use tresor_core::Session;
use tresor_core::model::categories::KeepClass;
use tresor_core::model::consent::{Channel, ConsentInput};
use tresor_core::model::contacts::{FieldInput, InteractionInput, PersonInput};
use tresor_core::model::requests::{NewRequest, RequestKind};
use tresor_core::model::retention::RuleChange;
use tresor_core::model::retention::{RetentionAction, RuleKey};

use crate::clocked::{DAY_MS, at, vault_at};

fn person(s: &mut Session, name: &str) -> uuid::Uuid {
    s.add_person(&PersonInput::default().with_name(name).with(
        "emails",
        FieldInput::List(vec![format!("{}@example.de", name.len())]),
    ))
    .expect("person")
}

fn interaction(s: &mut Session, p: uuid::Uuid, when: DateTime<Utc>, keep: Option<KeepClass>) {
    s.add_interaction(
        p,
        &InteractionInput {
            kind: "letter".into(),
            summary: "Rechnung".into(),
            at: Some(when),
            keep,
            ..Default::default()
        },
    )
    .expect("interaction");
}

#[test]
fn a_kept_invoice_holds_the_person_until_its_period_ends_then_the_sweep_erases_all() {
    let (_tmp, clock, mut s) = vault_at(at(2026, 6, 1));
    let p = person(&mut s, "Rita Rechnung");
    interaction(&mut s, p, at(2026, 5, 20), Some(KeepClass::Invoice));
    interaction(&mut s, p, at(2026, 5, 21), None);
    let req = s
        .open_request(&NewRequest {
            kind: RequestKind::Erasure,
            person: Some(p),
            received: at(2026, 5, 30).date_naive(),
            identity_check: Some("Rita showed her ID card".into()),
        })
        .expect("request");
    let r = s.erase_person(p, &req.reference, false).expect("erase");
    assert_eq!(r.kept.len(), 1);
    // Invoices: 8 years from the end of 2026.
    assert_eq!(r.erase_after, Some(at(2035, 1, 1).date_naive()));
    assert!(s.contact(p).is_ok(), "kept, restricted");
    assert!(s.restriction(p).expect("restriction").is_some());
    // The identity check still names her while she is kept.
    assert!(
        s.request(&req.reference)
            .expect("req")
            .identity_check
            .is_some()
    );

    // Years pass: a sweep before the end keeps her (only her old person
    // rule would fire, and a pending erasure replaces it).
    clock.advance_ms(365 * 4 * DAY_MS);
    assert!(s.sweep_if_due().expect("sweep").is_none());
    assert!(s.contact(p).is_ok());

    // After the end of the period the sweep runs by itself and erases her.
    clock.advance_ms(365 * 5 * DAY_MS);
    let report = s.sweep_if_due().expect("sweep").expect("something was due");
    let entry = report
        .entries
        .iter()
        .find(|e| e.rule == "erasure")
        .expect("erasure entry");
    assert!(
        entry.counts.contains(&("person".to_owned(), 1)),
        "{entry:?}"
    );
    assert!(s.contact(p).is_err());
    let after = s.request(&req.reference).expect("req");
    assert_eq!(after.person, Some(p), "the request keeps the id");
    assert!(after.identity_check.is_none(), "and nothing that names her");
    assert!(s.sweep_if_due().expect("sweep").is_none(), "nothing left");
}

#[test]
fn withdrawing_the_only_basis_deletes_a_month_later_and_anonymising_keeps_statistics() {
    let (_tmp, clock, mut s) = vault_at(at(2026, 1, 10));
    let nora = person(&mut s, "Nora Newsletter");
    let kurt = person(&mut s, "Kurt Kunde");
    interaction(&mut s, kurt, at(2026, 1, 9), None);
    for p in [nora, kurt] {
        s.give_consent(
            p,
            &ConsentInput {
                purpose: "e-marketing".into(),
                channel: Channel::Email,
                source: "web_form".into(),
                evidence: None,
                basis: None,
                at: None,
            },
            None,
        )
        .expect("consent");
    }
    clock.advance_ms(10 * DAY_MS);
    for p in [nora, kurt] {
        s.withdraw_consent(p, "e-marketing", Channel::Email, None)
            .expect("withdraw");
    }
    clock.advance_ms(20 * DAY_MS);
    assert!(
        s.sweep_if_due().expect("sweep").is_none(),
        "not yet a month"
    );
    clock.advance_ms(12 * DAY_MS);
    let report = s.sweep_if_due().expect("sweep").expect("due");
    assert_eq!(report.entries.len(), 1);
    assert_eq!(report.entries[0].rule, "consent");
    assert!(s.contact(nora).is_err());
    assert!(s.contact(kurt).is_ok(), "a customer has another basis");

    // Anonymise instead of delete: the interaction's kind and date stay,
    // the person is gone from the list and from search.
    s.set_retention_rule(
        RuleKey::People,
        &RuleChange {
            period: Some("30d".into()),
            action: Some(RetentionAction::Anonymise),
            ..Default::default()
        },
    )
    .expect("rule");
    assert_eq!(s.search("Kunde", 10).expect("search").len(), 1);
    let report = s.sweep_if_due().expect("sweep").expect("due");
    assert_eq!(report.entries[0].action, RetentionAction::Anonymise);
    assert!(s.search("Kunde", 10).expect("search").is_empty());
    assert_eq!(s.list(0, 10).expect("list").len(), 0);
    assert!(
        s.sweep_if_due().expect("sweep").is_none(),
        "anonymised once"
    );
    let log = s.deletion_log().expect("log");
    assert_eq!(log.len(), 2);
}

/// A legal hold's reason names a lawsuit or an audit: only roles that see
/// retention read it; every role is still stopped by it.
#[test]
fn a_hold_is_read_only_by_roles_that_see_retention() {
    use tresor_core::model::roles::Role;
    let (tmp, clock, mut s) = vault_at(at(2026, 3, 1));
    let p = person(&mut s, "Hugo Halt");
    s.add_hold(p, "Klage 3 O 123/26").expect("hold");
    s.add_user("sven", Role::Sales, b"sven passphrase four")
        .expect("sven");
    s.add_user("otto", Role::Auditor, b"otto passphrase five")
        .expect("otto");
    assert_eq!(
        s.hold_of(p).expect("admin reads").map(|h| h.reason),
        Some("Klage 3 O 123/26".to_owned())
    );
    drop(s);
    let dir = tmp.path().join("vault");
    let otto = Session::unlock(&dir, "otto", b"otto passphrase five", clock.clone()).expect("otto");
    assert!(otto.hold_of(p).expect("auditor reads").is_some());
    drop(otto);
    let sven = Session::unlock(&dir, "sven", b"sven passphrase four", clock).expect("sven");
    let refused = sven.hold_of(p).expect_err("sales may not read it");
    assert_eq!(refused.code().as_str(), "forbidden");
}
