//! Follow-ups through the `tresor` command: made for a day as typed, the
//! due list (mine or everyone's), done, reopened and put off, in JSON as
//! the app gets them, and refused where the role or the input says no.

use crate::support::Vault;

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("json")
}

#[test]
fn follow_ups_are_made_listed_done_reopened_and_put_off() {
    let v = Vault::new();
    v.init();
    v.add_user("carl", "agent", "agent.pw");
    let id = v
        .admin(&["contact", "add", "--name", "Erika Mustermann"])
        .trim()
        .to_owned();
    let today = v
        .admin(&[
            "followup",
            "add",
            &id,
            "--what",
            "Angebot nachfassen",
            "--due",
            "today",
            "--at",
            "9.30",
        ])
        .trim()
        .to_owned();
    let next_week = v
        .admin(&[
            "followup",
            "add",
            &id,
            "--what",
            "Vertrag schicken",
            "--due",
            "+7",
        ])
        .trim()
        .to_owned();
    let carls = v
        .admin(&[
            "followup", "add", &id, "--what", "Rückruf", "--due", "today", "--for", "carl",
        ])
        .trim()
        .to_owned();

    // The due list, everyone's and mine; next week's is not in it.
    let due = v.admin(&["followup", "list", "--due"]);
    assert!(
        due.contains(&today) && due.contains(&carls) && !due.contains(&next_week),
        "{due}"
    );
    assert!(
        due.contains("TODAY") && due.contains("09:30") && due.contains("Erika Mustermann"),
        "{due}"
    );
    let mine = v.admin(&["followup", "list", "--due", "--mine"]);
    assert!(mine.contains(&today) && !mine.contains(&carls), "{mine}");
    let carl_sees = v.ok(
        "agent.pw",
        &["--user", "carl", "followup", "list", "--mine"],
    );
    assert!(
        carl_sees.contains(&carls) && !carl_sees.contains(&today),
        "{carl_sees}"
    );

    // JSON as the app gets it.
    let listed = json(&v.admin(&["--json", "followup", "list", "--contact", &id]));
    let listed = listed.as_array().expect("array");
    assert_eq!(listed.len(), 3);
    let first = listed
        .iter()
        .find(|f| f["id"] == today.as_str())
        .expect("today's");
    assert_eq!(first["state"], "due_today");
    assert_eq!(first["time"], "09:30");
    assert_eq!(first["assignee"], "ada");
    assert_eq!(first["subject"], id.as_str());

    // Carl marks his done; the admin reopens it; done ones show with --all.
    let done = json(&v.ok(
        "agent.pw",
        &["--user", "carl", "--json", "followup", "done", &carls],
    ));
    assert_eq!(done["state"], "done");
    assert!(!v.admin(&["followup", "list", "--due"]).contains(&carls));
    assert!(v.admin(&["followup", "list", "--all"]).contains(&carls));
    let again = v.run_as("agent.pw", &["--user", "carl", "followup", "done", &carls]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("done already"));
    v.admin(&["followup", "reopen", &carls]);
    assert!(v.admin(&["followup", "list", "--due"]).contains(&carls));

    // Put off to a date, it leaves the due list.
    let out = v.admin(&["followup", "snooze", &today, "--until", "31.12.2099"]);
    assert!(out.contains("2099-12-31"), "{out}");
    assert!(!v.admin(&["followup", "list", "--due"]).contains(&today));
}

#[test]
fn bad_input_and_roles_without_the_right_are_refused_clearly() {
    let v = Vault::new();
    v.init();
    let id = v
        .admin(&["contact", "add", "--name", "Erika Mustermann"])
        .trim()
        .to_owned();
    let refused = |pw: &str, args: &[&str], says: &str| {
        let out = v.run_as(pw, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(err.contains(says), "{args:?}: {err}");
    };
    refused(
        "admin.pw",
        &["followup", "add", &id, "--what", "x", "--due", "next week"],
        "is not a day",
    );
    refused(
        "admin.pw",
        &[
            "followup", "add", &id, "--what", "x", "--due", "today", "--at", "25:00",
        ],
        "is not a time of day",
    );
    refused(
        "admin.pw",
        &[
            "followup", "add", &id, "--what", "x", "--due", "today", "--for", "nobody",
        ],
        "is not a user of this vault",
    );
    refused(
        "admin.pw",
        &["followup", "add", &id, "--what", "  ", "--due", "today"],
        "needs to say what to do",
    );
    v.add_user("otto", "auditor", "sales.pw");
    refused(
        "sales.pw",
        &[
            "--user", "otto", "followup", "add", &id, "--what", "x", "--due", "today",
        ],
        "record interactions",
    );
    assert_eq!(v.admin(&["followup", "list"]).trim(), "No follow-ups.");
}
