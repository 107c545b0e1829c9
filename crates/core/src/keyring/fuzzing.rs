//! Fuzzing hooks of the keyring (feature `fuzzing`): see
//! [`crate::fuzzing`]. A child module, so it reaches the private decoder.

use std::path::Path;
use std::sync::OnceLock;

use chrono::DateTime;

use super::{Keyring, Keyset};
use crate::crypto::{KdfParams, Key32};
use crate::keyring::RecoveryKey;

/// This laptop's keyring, keys, recovery key and personal secret: made
/// once per process (one Argon2 derivation at the floor).
fn fixture() -> &'static (Keyring, Keyset, RecoveryKey, Key32) {
    static FIXTURE: OnceLock<(Keyring, Keyset, RecoveryKey, Key32)> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let at = DateTime::from_timestamp_millis(1_780_000_000_000).unwrap_or_default();
        match Keyring::create_personal("ada", b"fuzzing passphrase", KdfParams::FLOOR, at) {
            Ok(made) => made,
            Err(e) => panic!("the fixture keyring cannot be made: {e}"),
        }
    })
}

pub(crate) fn keyring(bytes: &[u8]) {
    let path = Path::new("team/keyring.json");
    let Ok(mut theirs) = Keyring::parse(bytes, path) else {
        return;
    };
    // What is written back must read again.
    assert!(Keyring::parse(&theirs.to_bytes(), path).is_ok());
    let (ours, keys, recovery, secret) = fixture();
    let _ = theirs.signed_by_admin_of(ours);
    let _ = theirs.has_admin_key();
    let _ = theirs.mac_ok(keys);
    let _ = theirs.admin_ever_verifies(b"tresor retire", &[7; 64]);
    let _ = theirs.admin_current_verifies(b"tresor retire", &[7; 64]);
    let _ = theirs.unlock_recovery(recovery, path);
    for u in theirs.users.iter().take(8) {
        let _ = theirs.open_for(&u.name, secret, path);
        let _ = theirs.was_removed(&u.name);
        let _ = u.kdf.meets_floor();
    }
    let _ = ours.clone().merge_users(&theirs, keys, path);
    let _ = ours.clone().keep_users_of(&theirs, keys);
    if let Some(own) = ours.users.first() {
        let _ = theirs.keep_own_entry(own, keys);
    }
}

pub(crate) fn keyset(bytes: &[u8]) {
    let Some(keys) = Keyset::decode(bytes) else {
        return;
    };
    // What is encoded must decode to the same keys.
    assert!(Keyset::decode(&keys.encode()).is_some_and(|k| k == keys));
    let _ = keys.is_complete();
    for role in crate::model::roles::Role::ALL {
        let _ = keys.for_role(role);
    }
}

pub(crate) fn seeds() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let (ring, keys, _, _) = fixture();
    let mut with_earlier = keys.clone();
    with_earlier.earlier.push(super::Earlier {
        subject_wrap: Key32::from_bytes([5; 32]),
        compartments: keys.compartments.clone(),
    });
    vec![
        ("keyring", vec![ring.to_bytes()]),
        (
            "keyset",
            vec![keys.encode().to_vec(), with_earlier.encode().to_vec()],
        ),
    ]
}
