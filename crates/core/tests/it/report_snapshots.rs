//! The access package's readable report (Art. 15) in German and English,
//! compared with committed snapshots. Random ids and request references are
//! replaced by placeholders; the clock is fixed, so dates are stable. Run
//! with TRESOR_UPDATE_SNAPSHOTS=1 to accept a deliberate change.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use tresor_core::clock::FixedClock;
use tresor_core::crypto::KdfParams;
use tresor_core::model::categories::Lang;
use tresor_core::model::consent::{Channel, ConsentInput};
use tresor_core::model::contacts::{FieldInput, InteractionInput, PersonInput};
use tresor_core::model::requests::{NewRequest, RequestKind};
use tresor_core::session::Session;

/// Replaces UUIDs (`8-4-4-4-12` hex) and request references (`REQ-` and 8
/// hex digits) by placeholders.
fn normalise(text: &str) -> String {
    let b = text.as_bytes();
    let hex = |c: u8| c.is_ascii_hexdigit();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let is_uuid = b.len() >= i + 36
            && (0..36).all(|k| match k {
                8 | 13 | 18 | 23 => b[i + k] == b'-',
                _ => hex(b[i + k]),
            });
        if is_uuid {
            out.push_str("<id>");
            i += 36;
            continue;
        }
        if b[i..].starts_with(b"REQ-") && b.len() >= i + 12 && (4..12).all(|k| hex(b[i + k])) {
            out.push_str("REQ-<ref>");
            i += 12;
            continue;
        }
        let ch = text[i..].chars().next().expect("char");
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

#[test]
fn access_report_snapshots() {
    let tmp = tempfile::tempdir().expect("tmp");
    let at = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 30, 0)
        .single()
        .expect("date");
    let clock = Arc::new(FixedClock::new(at));
    let (mut s, _) = Session::create(
        &tmp.path().join("vault"),
        "dora",
        b"dora passphrase one",
        KdfParams::FLOOR,
        clock.clone(),
    )
    .expect("create");
    let p = s
        .add_person(
            &PersonInput::default()
                .with_name("Dr. Jürgen Müller-Lüdenscheidt")
                .with(
                    "emails",
                    FieldInput::List(vec!["juergen@example.de".into()]),
                )
                .with("note", FieldInput::Text("Mag <b>keine</b> Anrufe".into())),
        )
        .expect("person");
    clock.advance_ms(3_600_000);
    s.add_interaction(
        p,
        &InteractionInput {
            kind: "call".into(),
            summary: "Angebot besprochen".into(),
            ..Default::default()
        },
    )
    .expect("interaction");
    s.give_consent(
        p,
        &ConsentInput {
            purpose: "e-marketing".into(),
            channel: Channel::Email,
            source: "event".into(),
            evidence: Some("Formular 12".into()),
            basis: None,
            at: None,
        },
        None,
    )
    .expect("consent");
    clock.advance_ms(86_400_000);
    s.open_request(&NewRequest {
        kind: RequestKind::Access,
        person: Some(p),
        received: at.date_naive(),
        identity_check: Some("Ausweis gesehen".into()),
    })
    .expect("request");

    for (lang, name) in [(Lang::De, "report_de.html"), (Lang::En, "report_en.html")] {
        let pkg = s.access_package(p, lang).expect("package");
        let (_, bytes) = pkg
            .files
            .iter()
            .find(|(n, _)| n == "report.html")
            .expect("report");
        let html = normalise(&String::from_utf8(bytes.clone()).expect("utf8"));
        // The report says whose data it is and escapes record text.
        assert!(html.contains("Müller-Lüdenscheidt"));
        assert!(html.contains("Mag &#60;b&#62;keine&#60;/b&#62; Anrufe"));
        assert!(!html.contains("<b>keine"));
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/snapshots")
            .join(name);
        if std::env::var("TRESOR_UPDATE_SNAPSHOTS").as_deref() == Ok("1") {
            std::fs::write(&path, &html).expect("write snapshot");
        }
        let want = std::fs::read_to_string(&path).expect("snapshot exists");
        assert_eq!(
            html, want,
            "{name} changed; review and run with TRESOR_UPDATE_SNAPSHOTS=1"
        );
    }
}
