//! A vault on a clock the test moves, for the tests that run over days
//! and years (retention, follow-ups).

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use tresor_core::Session;
use tresor_core::clock::FixedClock;
use tresor_core::crypto::KdfParams;

pub const DAY_MS: i64 = 24 * 3600 * 1000;

/// 10:00 UTC on a day.
pub fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0)
        .single()
        .expect("date")
}

/// A new vault (Dora, admin) whose clock stands at `t`.
pub fn vault_at(t: DateTime<Utc>) -> (tempfile::TempDir, Arc<FixedClock>, Session) {
    let tmp = tempfile::tempdir().expect("tmp");
    let clock = Arc::new(FixedClock::new(t));
    let (s, _) = Session::create(
        &tmp.path().join("vault"),
        "dora",
        b"dora passphrase one",
        KdfParams::FLOOR,
        clock.clone(),
    )
    .expect("create");
    (tmp, clock, s)
}

/// A second laptop for `a`'s vault on the same clock: `a` shares through a
/// folder in `tmp`, adds `user` with `role`, and the new laptop joins as them.
pub fn second_laptop(
    tmp: &std::path::Path,
    a: &mut Session,
    clock: Arc<FixedClock>,
    user: &str,
    role: tresor_core::model::roles::Role,
) -> Session {
    let pass = format!("{user} passphrase two");
    a.sync_setup(&tmp.join("shared")).expect("setup");
    a.add_user(user, role, pass.as_bytes()).expect("user");
    a.sync().expect("first sync");
    tresor_core::sync::join(
        &tmp.join("shared"),
        &tmp.join("b").join("vault"),
        user,
        pass.as_bytes(),
        clock,
    )
    .expect("join")
    .0
}
