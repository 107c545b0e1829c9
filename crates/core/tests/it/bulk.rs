//! Bulk actions on a selection, on a real SQLCipher vault: each person
//! goes through the checks of the single action, those refused are
//! reported with their reason and left as they were, the rest change
//! together; a bulk change travels to the other laptop like any other.

use chrono::NaiveDate;
use tresor_core::model::bulk::{BulkAction, BulkReport};
use tresor_core::model::contacts::{FieldInput, FieldValue, PersonInput, RecordId};
use tresor_core::model::followups::{FollowUpFilter, FollowUpInput};
use tresor_core::model::requests::{NewRequest, RequestKind};
use tresor_core::model::roles::Role;
use tresor_core::{ErrorCode, Session};

use crate::clocked::{at, second_laptop, vault_at};

fn person(s: &mut Session, name: &str, tags: &[&str]) -> RecordId {
    let mut input = PersonInput::default().with_name(name);
    if !tags.is_empty() {
        input = input.with(
            "tags",
            FieldInput::List(tags.iter().map(|t| (*t).to_owned()).collect()),
        );
    }
    s.add_person(&input).expect("person")
}

fn tags(s: &Session, id: RecordId) -> Vec<String> {
    let c = s.contact(id).expect("contact");
    match &c.field("tags").expect("tags").value {
        FieldValue::Value { value } => value
            .as_array()
            .expect("list")
            .iter()
            .map(|v| v.as_str().expect("text").to_owned())
            .collect(),
        FieldValue::Empty => Vec::new(),
        FieldValue::Locked { .. } => panic!("locked"),
    }
}

fn tag(add: &[&str], remove: &[&str]) -> BulkAction {
    BulkAction::Tag {
        add: add.iter().map(|t| (*t).to_owned()).collect(),
        remove: remove.iter().map(|t| (*t).to_owned()).collect(),
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("day")
}

fn restrict(s: &mut Session, id: RecordId) {
    let req = s
        .open_request(&NewRequest {
            kind: RequestKind::Restriction,
            person: Some(id),
            received: day(2026, 12, 2),
            identity_check: None,
        })
        .expect("request");
    s.restrict(id, &req.reference).expect("restrict");
}

fn skipped(r: &BulkReport) -> Vec<(RecordId, ErrorCode)> {
    r.skipped.iter().map(|k| (k.id, k.code)).collect()
}

#[test]
fn tagging_a_selection_changes_each_once_and_skips_the_restricted() {
    let (_tmp, _clock, mut s) = vault_at(at(2026, 12, 3));
    let anna = person(&mut s, "Anna Bauer", &["Messe"]);
    let ben = person(&mut s, "Ben Kraus", &["vip"]);
    let cem = person(&mut s, "Cem Yilmaz", &[]);
    restrict(&mut s, cem);

    let r = s
        .bulk(&[anna, ben, cem, anna], &tag(&["VIP"], &[]))
        .expect("tag");
    assert_eq!(r.done, vec![anna]);
    assert_eq!(r.unchanged, vec![ben], "'vip' is 'VIP'");
    assert_eq!(skipped(&r), vec![(cem, ErrorCode::Restricted)]);
    assert_eq!(tags(&s, anna), vec!["Messe", "VIP"]);
    assert_eq!(tags(&s, ben), vec!["vip"]);
    assert!(
        tags(&s, cem).is_empty(),
        "the restricted person is untouched"
    );

    // The list shows the new tags at once.
    let rows = s.search("Bauer", 10).expect("search");
    assert_eq!(rows[0].tags, vec!["Messe", "VIP"]);

    let r = s
        .bulk(&[anna, ben], &tag(&[], &["vip", "messe"]))
        .expect("untag");
    assert_eq!(r.done, vec![anna, ben]);
    assert!(tags(&s, anna).is_empty() && tags(&s, ben).is_empty());
    assert!(
        s.search("VIP", 10).expect("search").is_empty(),
        "an untagged person is no longer found by the tag"
    );

    // Refused as a whole: nothing to do, a contradiction, a bad tag.
    for bad in [
        tag(&[" "], &[]),
        tag(&["A"], &["a"]),
        tag(&[&"x".repeat(51)], &[]),
    ] {
        assert_eq!(
            s.bulk(&[anna, ben], &bad).expect_err("refused").code(),
            ErrorCode::Invalid
        );
        assert!(tags(&s, anna).is_empty() && tags(&s, ben).is_empty());
    }
    assert_eq!(
        s.bulk(&[], &tag(&["A"], &[])).expect_err("empty").code(),
        ErrorCode::Invalid
    );
}

#[test]
fn a_follow_up_for_each_and_a_request_for_each() {
    let (_tmp, _clock, mut s) = vault_at(at(2026, 12, 3));
    let anna = person(&mut s, "Anna Bauer", &[]);
    let ben = person(&mut s, "Ben Kraus", &[]);
    let cem = person(&mut s, "Cem Yilmaz", &[]);
    restrict(&mut s, cem);
    s.add_person(&{
        let mut p = PersonInput::default().with_name("Dana Roth");
        p.company = Some("Roth GmbH".into());
        p
    })
    .expect("dana");
    let firm_id = s.list_companies(0, 10).expect("companies")[0].id;
    let followup = |due: &str| BulkAction::FollowUp {
        followup: FollowUpInput {
            what: "Katalog 2027 schicken".into(),
            due: due.into(),
            time: None,
            assignee: None,
        },
    };

    // A date that is no date is said once, and nothing is made.
    let e = s
        .bulk(&[anna, ben], &followup("31.02.2027"))
        .expect_err("no such day");
    assert_eq!(e.code(), ErrorCode::Invalid);
    assert!(s.followups_of(anna).expect("fu").is_empty());

    let r = s
        .bulk(&[anna, ben, cem, firm_id], &followup("tomorrow"))
        .expect("follow-ups");
    assert_eq!(r.done, vec![anna, ben, firm_id]);
    assert_eq!(skipped(&r), vec![(cem, ErrorCode::Restricted)]);
    let all = s.followups(&FollowUpFilter::default()).expect("list");
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|f| f.due == day(2026, 12, 4)));
    assert!(s.followups_of(cem).expect("cem").is_empty());

    let r = s
        .bulk(
            &[anna, firm_id, ben],
            &BulkAction::Request {
                kind: RequestKind::Access,
                received: day(2026, 12, 1),
                identity_check: Some("Ausweis gesehen".into()),
            },
        )
        .expect("requests");
    assert_eq!(r.done, vec![anna, ben]);
    assert_eq!(
        skipped(&r),
        vec![(firm_id, ErrorCode::NotFound)],
        "a company makes no request"
    );
    assert_eq!(r.requests.len(), 2);
    for (reference, who) in r.requests.iter().zip([anna, ben]) {
        let req = s.request(reference).expect("request");
        assert_eq!(req.person, Some(who));
        assert_eq!(req.kind, RequestKind::Access);
    }
}

#[test]
fn a_role_that_may_not_do_it_once_may_not_do_it_for_many() {
    let (tmp, clock, mut s) = vault_at(at(2026, 12, 3));
    let anna = person(&mut s, "Anna Bauer", &[]);
    s.add_user("otto", Role::Auditor, b"otto passphrase two")
        .expect("otto");
    drop(s);
    let mut otto = Session::unlock(
        &tmp.path().join("vault"),
        "otto",
        b"otto passphrase two",
        clock,
    )
    .expect("otto");
    for action in [
        tag(&["VIP"], &[]),
        BulkAction::FollowUp {
            followup: FollowUpInput {
                what: "x".into(),
                due: "today".into(),
                time: None,
                assignee: None,
            },
        },
        BulkAction::Request {
            kind: RequestKind::Access,
            received: day(2026, 12, 1),
            identity_check: None,
        },
    ] {
        assert_eq!(
            otto.bulk(&[anna], &action).expect_err("forbidden").code(),
            ErrorCode::Forbidden
        );
    }
    assert!(tags(&otto, anna).is_empty());
}

#[test]
fn a_bulk_tagging_arrives_on_the_other_laptop() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (_t, clock, mut a) = vault_at(at(2026, 12, 3));
    let anna = person(&mut a, "Anna Bauer", &[]);
    let ben = person(&mut a, "Ben Kraus", &[]);
    let mut b = second_laptop(tmp.path(), &mut a, clock, "eve", Role::Sales);
    a.bulk(&[anna, ben], &tag(&["Newsletter"], &[]))
        .expect("tag");
    a.sync().expect("sync a");
    b.sync().expect("sync b");
    assert_eq!(tags(&b, anna), vec!["Newsletter"]);
    assert_eq!(tags(&b, ben), vec!["Newsletter"]);
    assert_eq!(b.search("Newsletter", 10).expect("search").len(), 2);
}
