//! Follow-ups on a real SQLCipher vault with a clock the test moves: due
//! today and overdue by the calendar, done, reopened, snoozed, for whom;
//! in the access package, gone with an erasure, swept with the
//! communication record once done, and checked again by the laptop that
//! receives one.

use std::sync::Arc;

use chrono::NaiveDate;
use tresor_core::Session;
use tresor_core::clock::SystemClock;
use tresor_core::crypto::KdfParams;
use tresor_core::error::Error;
use tresor_core::model::categories::{Lang, RecordKind};
use tresor_core::model::contacts::{FieldInput, PersonInput};
use tresor_core::model::followups::{FollowUpFilter, FollowUpInput, FollowUpState};
use tresor_core::model::requests::{NewRequest, RequestKind};
use tresor_core::model::retention::DueItem;
use tresor_core::model::roles::Role;
use tresor_core::sync;

use crate::clocked::{DAY_MS, at, vault_at};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    at(y, m, d).date_naive()
}

fn person(s: &mut Session, name: &str) -> uuid::Uuid {
    s.add_person(&PersonInput::default().with_name(name))
        .expect("person")
}

fn input(what: &str, due: NaiveDate) -> FollowUpInput {
    FollowUpInput {
        what: what.into(),
        due: due.format("%Y-%m-%d").to_string(),
        time: None,
        assignee: None,
    }
}

fn due_whats(s: &Session, filter: &FollowUpFilter) -> Vec<String> {
    s.followups(filter)
        .expect("followups")
        .into_iter()
        .map(|f| f.what)
        .collect()
}

/// What the retention preview says of `record` up to New Year 2030 (three
/// years after the end of 2026), if it falls due by then.
fn due_by_2030(s: &Session, record: uuid::Uuid) -> Option<DueItem> {
    s.retention_preview(day(2030, 1, 1), Lang::En)
        .expect("preview")
        .into_iter()
        .find(|i| i.record == record)
}

fn due_only() -> FollowUpFilter {
    FollowUpFilter {
        due_only: true,
        ..FollowUpFilter::default()
    }
}

#[test]
fn due_today_and_overdue_follow_the_calendar_and_done_snooze_reopen_change_them() {
    let (_tmp, clock, mut s) = vault_at(at(2026, 12, 3));
    s.add_user("carl", Role::Agent, b"carl passphrase two")
        .expect("carl");
    let anna = s
        .add_person(&PersonInput {
            company: Some("Bauer GmbH".into()),
            ..PersonInput::default().with_name("Anna Bauer")
        })
        .expect("anna");
    let firm = s.list_companies(0, 10).expect("companies")[0].id;
    s.add_followup(firm, &input("Rahmenvertrag verlängern", day(2026, 12, 31)))
        .expect("on the company");
    let call = s
        .add_followup(
            anna,
            &FollowUpInput {
                time: Some("9.30".into()),
                ..input("Angebot nachfassen", day(2026, 12, 3))
            },
        )
        .expect("call");
    let later = s
        .add_followup(anna, &input("Vertrag schicken", day(2026, 12, 10)))
        .expect("later");
    let for_carl = s
        .add_followup(
            anna,
            &FollowUpInput {
                assignee: Some("Carl".into()),
                ..input("Rückruf", day(2026, 12, 1))
            },
        )
        .expect("for carl");

    // Overdue first, then today's; the one next week is not due.
    assert_eq!(
        due_whats(&s, &due_only()),
        ["Rückruf", "Angebot nachfassen"]
    );
    assert_eq!(s.followups_due_count(false).expect("count"), 2);
    assert_eq!(s.followups_due_count(true).expect("mine"), 1);
    let carls = FollowUpFilter {
        assignee: Some("carl".into()),
        ..FollowUpFilter::default()
    };
    let list = s.followups(&carls).expect("carl's");
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].assignee.as_str(), list[0].by.as_str()),
        ("carl", "dora")
    );
    assert_eq!(list[0].state, FollowUpState::Overdue);
    let all = s.followups(&FollowUpFilter::default()).expect("all");
    let today = all.iter().find(|f| f.id == call).expect("call listed");
    assert_eq!(today.state, FollowUpState::DueToday);
    assert_eq!(today.time.as_deref(), Some("09:30"));
    assert_eq!(today.display, "Anna Bauer");

    let on_firm = s.followups_of(firm).expect("of the firm");
    assert_eq!(on_firm.len(), 1);
    assert_eq!(
        (on_firm[0].subject_kind, on_firm[0].display.as_str()),
        (RecordKind::Company, "Bauer GmbH")
    );

    // Done leaves the due list; reopening (the undo) brings it back.
    let done = s.complete_followup(for_carl).expect("done");
    assert_eq!(done.state, FollowUpState::Done);
    assert!(done.done_at.is_some());
    assert_eq!(due_whats(&s, &due_only()), ["Angebot nachfassen"]);
    assert!(matches!(
        s.complete_followup(for_carl),
        Err(Error::Invalid { .. })
    ));
    assert_eq!(
        s.reopen_followup(for_carl).expect("reopen").state,
        FollowUpState::Overdue
    );
    s.complete_followup(for_carl).expect("done again");
    // Done ones are listed only when asked for.
    assert_eq!(
        s.followups(&FollowUpFilter::default()).expect("open").len(),
        3
    );
    let with_done = FollowUpFilter {
        include_done: true,
        ..FollowUpFilter::default()
    };
    assert_eq!(s.followups(&with_done).expect("with done").len(), 4);

    // Snoozed to tomorrow, it is not due today; tomorrow it is, and the
    // day after it is overdue.
    let snoozed = s.snooze_followup(call, "tomorrow", None).expect("snooze");
    assert_eq!(
        (snoozed.due, snoozed.time.as_deref()),
        (day(2026, 12, 4), None)
    );
    assert!(due_whats(&s, &due_only()).is_empty());
    clock.advance_ms(DAY_MS);
    assert_eq!(due_whats(&s, &due_only()), ["Angebot nachfassen"]);
    clock.advance_ms(DAY_MS);
    let state = |s: &Session, id| {
        s.followups_of(anna)
            .expect("of anna")
            .into_iter()
            .find(|f| f.id == id)
            .expect("listed")
            .state
    };
    assert_eq!(state(&s, call), FollowUpState::Overdue);
    assert_eq!(state(&s, later), FollowUpState::Upcoming);
    assert!(matches!(
        s.snooze_followup(for_carl, "2026-12-20", None),
        Err(Error::Invalid { .. })
    ));
    // Every change is in the person's history.
    let history = s.history(anna).expect("history");
    assert!(history.iter().any(|h| h.field == "done_at"));
    assert!(history.iter().filter(|h| h.field == "due").count() >= 4);
}

#[test]
fn a_follow_up_is_checked_before_it_is_made() {
    let (_tmp, _clock, mut s) = vault_at(at(2026, 12, 3));
    let anna = person(&mut s, "Anna Bauer");
    let field = |r: Result<uuid::Uuid, Error>| r.expect_err("refused").field().map(str::to_owned);
    assert_eq!(
        field(s.add_followup(anna, &input("  ", day(2026, 12, 3)))).as_deref(),
        Some("what")
    );
    assert_eq!(
        field(s.add_followup(
            anna,
            &FollowUpInput {
                time: Some("25:61".into()),
                ..input("x", day(2026, 12, 3))
            }
        ))
        .as_deref(),
        Some("time")
    );
    assert_eq!(
        field(s.add_followup(
            anna,
            &FollowUpInput {
                assignee: Some("nobody".into()),
                ..input("x", day(2026, 12, 3))
            }
        ))
        .as_deref(),
        Some("assignee")
    );
    assert!(matches!(
        s.add_followup(uuid::Uuid::now_v7(), &input("x", day(2026, 12, 3))),
        Err(Error::NotFound { .. })
    ));
    assert!(
        s.followups(&FollowUpFilter::default())
            .expect("list")
            .is_empty()
    );
}

#[test]
fn follow_ups_are_in_the_package_and_go_with_an_erasure() {
    let (_tmp, _clock, mut s) = vault_at(at(2026, 12, 3));
    let anna = person(&mut s, "Anna Bauer");
    let kept = person(&mut s, "Karl Kunde");
    s.add_followup(
        anna,
        &input("Anna zurückrufen wegen Angebot", day(2026, 12, 3)),
    )
    .expect("anna's");
    s.add_followup(kept, &input("Karl besuchen", day(2026, 12, 3)))
        .expect("karl's");
    let package = s.access_package(anna, Lang::De).expect("package");
    assert_eq!(package.data.followups.len(), 1);
    let file = |name: &str| {
        let (_, bytes) = package.files.iter().find(|(n, _)| n == name).expect("file");
        String::from_utf8_lossy(bytes).into_owned()
    };
    for name in ["data.json", "data.csv", "report.html"] {
        assert!(
            file(name).contains("Anna zurückrufen wegen Angebot"),
            "{name} holds the follow-up"
        );
    }
    assert!(!file("data.json").contains("Karl besuchen"));

    let req = s
        .open_request(&NewRequest {
            kind: RequestKind::Erasure,
            person: Some(anna),
            received: day(2026, 12, 2),
            identity_check: Some("called back on the known number".into()),
        })
        .expect("request");
    s.erase_person(anna, &req.reference, false).expect("erase");
    assert_eq!(due_whats(&s, &due_only()), ["Karl besuchen"]);
    assert_eq!(s.followups_due_count(false).expect("count"), 1);
    let check = s
        .verify_erasure(&["Anna zurückrufen".into()])
        .expect("verify");
    assert!(check.clean(), "{check:?}");
}

#[test]
fn a_done_follow_up_goes_with_the_communication_record_an_open_one_stays() {
    let (_tmp, clock, mut s) = vault_at(at(2026, 12, 3));
    let anna = person(&mut s, "Anna Bauer");
    let done = s
        .add_followup(anna, &input("Erledigt", day(2026, 12, 3)))
        .expect("done one");
    let open = s
        .add_followup(anna, &input("Offen", day(2027, 1, 10)))
        .expect("open one");
    s.complete_followup(done).expect("done");
    // Communication: three years from the end of the year it was done in.
    let item = due_by_2030(&s, done).expect("the done follow-up falls due");
    assert_eq!(
        (item.kind, item.rule.as_str()),
        (RecordKind::FollowUp, "communication")
    );
    assert_eq!(item.due, day(2030, 1, 1));
    assert!(
        due_by_2030(&s, open).is_none(),
        "an open one never falls due"
    );
    // Reopened, it no longer falls due.
    s.reopen_followup(done).expect("reopen");
    assert!(due_by_2030(&s, done).is_none());
    s.complete_followup(done).expect("done again");
    // Keep Anna herself: she is in touch.
    s.edit(
        anna,
        &[("last_contact".into(), FieldInput::Text("2026-12-03".into()))],
    )
    .expect("edit");
    clock.advance_ms(3 * 366 * DAY_MS + 30 * DAY_MS);
    s.run_retention().expect("sweep");
    let left: Vec<_> = s
        .followups(&FollowUpFilter {
            include_done: true,
            ..FollowUpFilter::default()
        })
        .expect("left")
        .into_iter()
        .map(|f| f.what)
        .collect();
    assert!(!left.iter().any(|w| w == "Erledigt"), "{left:?}");
}

#[test]
fn a_follow_up_arrives_on_the_other_laptop_and_a_patched_auditors_does_not() {
    let tmp = tempfile::tempdir().expect("tmp");
    let folder = tmp.path().join("shared");
    std::fs::create_dir_all(&folder).expect("folder");
    let (mut a, _) = Session::create(
        &tmp.path().join("a"),
        "dora",
        b"dora passphrase one",
        KdfParams::FLOOR,
        Arc::new(SystemClock),
    )
    .expect("create");
    a.sync_setup(&folder).expect("setup");
    let anna = person(&mut a, "Anna Bauer");
    a.add_user("carl", Role::Agent, b"carl passphrase two")
        .expect("carl");
    a.add_user("otto", Role::Auditor, b"otto passphrase three")
        .expect("otto");
    a.sync().expect("sync a");
    let join = |laptop: &str, user: &str, pw: &[u8]| {
        sync::join(
            &folder,
            &tmp.path().join(laptop),
            user,
            pw,
            Arc::new(SystemClock),
        )
        .expect("join")
        .0
    };
    let mut b = join("b", "carl", b"carl passphrase two");
    let mut c = join("c", "otto", b"otto passphrase three");
    let today = b.today_date();

    // The auditor may make none, and a program that says otherwise gains
    // nothing on the admin's laptop.
    assert!(matches!(
        c.add_followup(anna, &input("x", today)),
        Err(Error::Forbidden { .. })
    ));
    c.patch_identity(None, Some(Role::Admin));
    c.add_followup(anna, &input("Gefälschte Wiedervorlage", today))
        .expect("made, locally");
    c.sync().expect("sync c");

    let carls = b
        .add_followup(
            anna,
            &FollowUpInput {
                assignee: Some("dora".into()),
                ..input("Angebot nachfassen", today)
            },
        )
        .expect("carl's");
    b.sync().expect("sync b");
    let got = a.sync().expect("sync a");
    assert!(
        got.problems.iter().any(|p| p.code == "refused"),
        "{:?}",
        got.problems
    );
    let mine = a
        .followups(&FollowUpFilter {
            due_only: true,
            assignee: Some("dora".into()),
            ..FollowUpFilter::default()
        })
        .expect("dora's");
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!((mine[0].id, mine[0].by.as_str()), (carls, "carl"));
    assert_eq!(a.followups_due_count(true).expect("count"), 1);

    // Dora marks it done; Carl's laptop learns it.
    a.complete_followup(carls).expect("done");
    a.sync().expect("sync a");
    b.sync().expect("sync b");
    assert_eq!(b.followups_due_count(false).expect("count on b"), 0);
}

#[test]
fn an_anonymised_person_keeps_no_follow_up_and_a_companys_done_one_is_swept() {
    use tresor_core::model::retention::{RetentionAction, RuleChange, RuleKey};
    let (_tmp, clock, mut s) = vault_at(at(2026, 1, 5));
    let anna = s
        .add_person(&PersonInput {
            company: Some("Bauer GmbH".into()),
            ..PersonInput::default().with_name("Anna Bauer")
        })
        .expect("anna");
    let firm = s.list_companies(0, 10).expect("companies")[0].id;
    s.add_followup(
        anna,
        &input("Anna wegen Kündigung anrufen", day(2026, 1, 5)),
    )
    .expect("anna's");
    let firm_done = s
        .add_followup(firm, &input("Rahmenvertrag prüfen", day(2026, 1, 5)))
        .expect("the firm's");
    s.complete_followup(firm_done).expect("done");
    // A company's done follow-up falls due with the communication record too.
    let item = due_by_2030(&s, firm_done).expect("the firm's done follow-up falls due");
    assert_eq!(
        (item.rule.as_str(), item.display.as_str()),
        ("communication", "Bauer GmbH")
    );

    s.set_retention_rule(
        RuleKey::People,
        &RuleChange {
            period: Some("30d".into()),
            action: Some(RetentionAction::Anonymise),
            from: Some(tresor_core::model::retention::RetentionEvent::Creation),
            ..Default::default()
        },
    )
    .expect("rule");
    clock.advance_ms(40 * DAY_MS);
    s.run_retention().expect("sweep");
    assert!(s.list(0, 10).expect("people").is_empty(), "anonymised");
    let check = s
        .verify_erasure(&["wegen Kündigung".into()])
        .expect("verify");
    assert!(
        check.clean(),
        "nothing of what was to be done about her: {check:?}"
    );

    // Three years after the end of the year it was done in, the firm's goes.
    clock.advance_ms(4 * 366 * DAY_MS);
    s.run_retention().expect("sweep");
    assert!(s.followups_of(firm).expect("firm's").is_empty());
}

#[test]
fn a_restricted_persons_follow_ups_are_marked_and_only_marked_done() {
    let (_tmp, _clock, mut s) = vault_at(at(2026, 12, 3));
    let anna = person(&mut s, "Anna Bauer");
    let first = s
        .add_followup(anna, &input("Angebot nachfassen", day(2026, 12, 3)))
        .expect("first");
    let second = s
        .add_followup(anna, &input("Vertrag schicken", day(2026, 12, 3)))
        .expect("second");
    let req = s
        .open_request(&NewRequest {
            kind: RequestKind::Restriction,
            person: Some(anna),
            received: day(2026, 12, 2),
            identity_check: None,
        })
        .expect("request");
    s.restrict(anna, &req.reference).expect("restrict");
    let due = s.followups(&due_only()).expect("due");
    assert_eq!(due.len(), 2);
    assert!(due.iter().all(|f| f.restricted), "marked in the list");
    for refused in [
        s.snooze_followup(first, "tomorrow", None).map(|_| ()),
        s.add_followup(anna, &input("x", day(2026, 12, 3)))
            .map(|_| ()),
    ] {
        assert!(
            matches!(refused, Err(Error::Restricted { .. })),
            "{refused:?}"
        );
    }
    s.complete_followup(second).expect("done, all the same");
    assert!(matches!(
        s.reopen_followup(second),
        Err(Error::Restricted { .. })
    ));
}
