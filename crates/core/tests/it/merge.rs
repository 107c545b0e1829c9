//! Merging two records of one person on real vaults: the second's fields
//! fill the first, its interactions, follow-ups, consents (with evidence),
//! company links and requests follow, the second is erased everywhere,
//! the merge is recorded; a role that may not erase, a restricted person
//! and a person merged with themselves are refused.

use tresor_core::model::consent::{Channel, ConsentInput};
use tresor_core::model::contacts::{FieldInput, InteractionInput, PersonInput, RecordId};
use tresor_core::model::followups::FollowUpInput;
use tresor_core::model::requests::{NewRequest, RequestKind};
use tresor_core::model::roles::Role;
use tresor_core::{ErrorCode, Session};

use crate::clocked::{at, second_laptop, vault_at};

fn text(s: &Session, id: RecordId, field: &str) -> Option<String> {
    s.contact(id)
        .expect("contact")
        .field(field)
        .and_then(|f| f.value.as_text())
}

fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).expect("day")
}

#[test]
fn a_duplicate_is_merged_with_its_history_and_gone_on_every_laptop() {
    let (tmp, clock, mut a) = vault_at(at(2026, 12, 4));
    let keep = a
        .add_person(
            &PersonInput::default()
                .with_name("Jürgen Weiß")
                .with("emails", FieldInput::List(vec!["jw@example.de".into()])),
        )
        .expect("add");
    let mut twin = PersonInput::default()
        .with_name("J. Weiß")
        .with(
            "emails",
            FieldInput::List(vec!["JW@example.de".into(), "juergen@weiss.example".into()]),
        )
        .with("phones", FieldInput::List(vec!["0221 1234567".into()]))
        .with("note", FieldInput::Text("Stammkunde".into()));
    twin.company = Some("Bäckerei Weiß".into());
    twin.company_role = Some("Inhaber".into());
    let other = a.add_person(&twin).expect("add twin");
    a.add_interaction(
        other,
        &InteractionInput {
            kind: "call".into(),
            summary: "Angebot besprochen".into(),
            text: Some("will 200 Brötchen".into()),
            ..InteractionInput::default()
        },
    )
    .expect("interaction");
    a.give_consent(
        other,
        &ConsentInput {
            purpose: "e-marketing".into(),
            channel: Channel::Email,
            source: "business_card".into(),
            evidence: Some("card".into()),
            basis: None,
            at: None,
        },
        Some(("karte.pdf", b"%PDF-1.4 card")),
    )
    .expect("consent");
    a.add_followup(
        other,
        &FollowUpInput {
            what: "zurückrufen".into(),
            due: "tomorrow".into(),
            time: None,
            assignee: None,
        },
    )
    .expect("follow-up");
    let request = a
        .open_request(&NewRequest {
            kind: RequestKind::Access,
            person: Some(other),
            received: day(2026, 12, 3),
            identity_check: None,
        })
        .expect("request");
    assert_eq!(a.duplicates().expect("duplicates").len(), 1);
    let mut b = second_laptop(tmp.path(), &mut a, clock, "eve", Role::Dpo);

    let err = a.merge_people(keep, keep).expect_err("itself");
    assert_eq!(err.code(), ErrorCode::Invalid);
    let report = a.merge_people(keep, other).expect("merge");
    assert_eq!((report.records, report.requests), (4, 1), "{report:?}");
    assert!(report.fields.contains(&"emails".to_owned()), "{report:?}");

    let check = |s: &Session| {
        let err = s.contact(other).expect_err("the twin is gone");
        assert_eq!(err.code(), ErrorCode::NotFound);
        assert_eq!(
            text(s, keep, "emails").as_deref(),
            Some("jw@example.de, juergen@weiss.example"),
            "the same address in other case is not added twice"
        );
        assert_eq!(text(s, keep, "given_name").as_deref(), Some("Jürgen"));
        assert_eq!(text(s, keep, "note").as_deref(), Some("Stammkunde"));
        assert_eq!(text(s, keep, "phones").as_deref(), Some("0221 1234567"));
        let view = s.contact(keep).expect("kept");
        assert_eq!(view.companies[0].name, "Bäckerei Weiß");
        assert_eq!(view.companies[0].role.as_deref(), Some("Inhaber"));
        assert_eq!(view.interactions.len(), 1);
        assert!(matches!(
            &view.interactions[0].text,
            tresor_core::model::contacts::FieldValue::Value { .. }
        ));
        let history = s.consent_history(keep).expect("consents");
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].source, "business_card");
        assert_eq!(s.followups_of(keep).expect("follow-ups").len(), 1);
        assert_eq!(
            s.request(&request.reference).expect("request").person,
            Some(keep)
        );
        let rect = s.rectifications(keep).expect("rectifications");
        assert!(rect[0].reason.contains(&other.to_string()), "{rect:?}");
        assert!(s.duplicates().expect("duplicates").is_empty());
    };
    check(&a);
    let entry = a.consent_history(keep).expect("consents")[0].id;
    assert_eq!(
        a.evidence_file(entry).expect("evidence").1,
        b"%PDF-1.4 card"
    );

    a.sync().expect("sync a");
    let r = b.sync().expect("sync b");
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    check(&b);
}

#[test]
fn a_merge_is_refused_to_a_role_that_may_not_erase_and_for_a_restricted_person() {
    let (tmp, clock, mut a) = vault_at(at(2026, 12, 4));
    let one = a
        .add_person(&PersonInput::default().with_name("Ada Lovelace"))
        .expect("add");
    let two = a
        .add_person(&PersonInput::default().with_name("A. Lovelace"))
        .expect("add");
    let mut sales = second_laptop(tmp.path(), &mut a, clock, "sam", Role::Sales);
    let err = sales.merge_people(one, two).expect_err("sales");
    assert_eq!(err.code(), ErrorCode::Forbidden);

    let req = a
        .open_request(&NewRequest {
            kind: RequestKind::Restriction,
            person: Some(two),
            received: day(2026, 12, 3),
            identity_check: None,
        })
        .expect("request");
    a.restrict(two, &req.reference).expect("restrict");
    let err = a.merge_people(one, two).expect_err("restricted");
    assert_eq!(err.code(), ErrorCode::Restricted);
    assert!(a.contact(two).is_ok(), "nothing was changed");
}

/// What the first version of the merge got wrong, each found in review:
/// a withdrawal on the kept record outlives the other's older consent, the
/// exports that held the other name the person, a note of both is joined,
/// a later last contact is carried over; a held person and a sole trader's
/// record are refused.
#[test]
fn a_merge_keeps_the_latest_consent_the_disclosures_and_both_notes() {
    use tresor_core::model::categories::Lang;
    use tresor_core::model::consent::ConsentState;
    use tresor_core::model::export::{ContactFormat, ContactSelection};
    let (tmp, _clock, mut a) = vault_at(at(2026, 12, 4));
    let person = |s: &mut Session, name: &str, note: &str, last: &str| {
        s.add_person(
            &PersonInput::default()
                .with_name(name)
                .with("emails", FieldInput::List(vec!["ada@example.org".into()]))
                .with("note", FieldInput::Text(note.into()))
                .with("last_contact", FieldInput::Text(last.into())),
        )
        .expect("add")
    };
    let keep = person(&mut a, "Ada Lovelace", "mag Tee", "2026-01-10");
    let other = person(&mut a, "A. Lovelace", "zahlt bar", "2026-11-30");
    let consent = |at: Option<chrono::DateTime<chrono::Utc>>| ConsentInput {
        purpose: "e-marketing".into(),
        channel: Channel::Email,
        source: "business_card".into(),
        evidence: Some("card".into()),
        basis: None,
        at,
    };
    a.give_consent(other, &consent(Some(at(2025, 3, 1))), None)
        .expect("an old consent on the other record");
    a.give_consent(keep, &consent(None), None).expect("given");
    a.withdraw_consent(keep, "e-marketing", Channel::Email, Some("no more mail"))
        .expect("withdrawn on the kept record");
    let only_other = ContactSelection {
        ids: Some(vec![other]),
        ..ContactSelection::default()
    };
    a.export_contacts(
        &only_other,
        ContactFormat::Csv,
        Lang::De,
        None,
        &tmp.path().join("x.csv"),
    )
    .expect("an export that held the other record");

    let held = person(&mut a, "Hilde Halt", "", "2026-01-01");
    a.add_hold(held, "Steuerprüfung").expect("hold");
    let err = a.merge_people(keep, held).expect_err("held");
    assert!(err.to_string().contains("legal hold"), "{err}");
    let trader = person(&mut a, "Theo Trader", "", "2026-01-01");
    a.add_company(
        &[("name".into(), FieldInput::Text("Theo's Shop".into()))],
        Some(trader),
    )
    .expect("sole trader");
    let err = a.merge_people(keep, trader).expect_err("sole trader");
    assert_eq!(err.code(), ErrorCode::Invalid);

    let report = a.merge_people(keep, other).expect("merge");
    let basis = a.legal_basis(keep).expect("legal basis");
    let email = basis
        .purposes
        .iter()
        .find(|p| p.purpose.key == "e-marketing")
        .and_then(|p| p.channels.iter().find(|c| c.channel == Channel::Email))
        .expect("e-marketing by email");
    assert_eq!(
        email.state,
        ConsentState::Withdrawn,
        "the withdrawal is the latest"
    );
    assert_eq!(
        basis.history.len(),
        3,
        "the other's entry is in the history"
    );
    assert_eq!(basis.disclosures.len(), 1, "the export that held the other");
    assert_eq!(
        text(&a, keep, "note").as_deref(),
        Some("mag Tee\n\nzahlt bar")
    );
    assert_eq!(
        text(&a, keep, "last_contact").as_deref(),
        Some("2026-11-30")
    );
    assert!(
        report.kept_over.contains(&"given_name".to_owned()),
        "{report:?}"
    );
}
