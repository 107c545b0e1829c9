//! Unlocking: a user's keyset opened with their passphrase or personal
//! secret, the complete one with the recovery key; each checks the MAC.

use std::path::Path;

use super::entries::{Keyring, RECOVERY_OWNER, VERSION, keyset_ctx, owner, unb64};
use super::keyset::Keyset;
use super::recovery::RecoveryKey;
use crate::crypto::{self, Context, Key32};
use crate::error::{Error, Result};
use crate::model::roles::Role;

impl Keyring {
    /// Unlocks a user's keyset with their passphrase and checks the file's MAC.
    pub fn unlock(&self, name: &str, passphrase: &[u8], path: &Path) -> Result<Keyset> {
        self.unlock_personal(name, passphrase, path)
            .map(|(keys, _)| keys)
    }

    /// As [`Keyring::unlock`], also returning the user's personal secret,
    /// which opens the user's keyset in a later generation of this keyring
    /// (see [`Keyring::open_for`]).
    pub fn unlock_personal(
        &self,
        name: &str,
        passphrase: &[u8],
        path: &Path,
    ) -> Result<(Keyset, Key32)> {
        let entry = self.user(name).ok_or_else(|| Error::NotFound {
            what: "user",
            id: name.into(),
        })?;
        entry.kdf.check()?;
        let damaged = |detail: String| Error::KeyringDamaged {
            path: path.to_path_buf(),
            detail,
        };
        let salt = unb64(&entry.salt)
            .ok_or_else(|| damaged(format!("the entry of user '{name}' is unreadable")))?;
        let kek = crypto::derive_kek(passphrase, &salt, entry.kdf)?;
        let o = owner(&self.vault_id, name);
        let sealed_secret = unb64(&entry.secret)
            .ok_or_else(|| damaged(format!("the entry of user '{name}' is unreadable")))?;
        let secret = crypto::open(
            &kek,
            &Context {
                domain: "user-secret",
                owner: &o,
                slot: "",
                schema: VERSION,
            },
            &sealed_secret,
        )
        .ok_or(Error::WrongPassphrase)?;
        let secret: [u8; 32] = secret[..]
            .try_into()
            .map_err(|_| damaged(format!("the entry of user '{name}' is unreadable")))?;
        let secret = Key32::from_bytes(secret);
        let keys = self.open_for(name, &secret, path)?;
        Ok((keys, secret))
    }

    /// Opens a user's keyset with their personal secret and checks the
    /// file's MAC.
    pub fn open_for(&self, name: &str, secret: &Key32, path: &Path) -> Result<Keyset> {
        let entry = self.user(name).ok_or_else(|| Error::NotFound {
            what: "user",
            id: name.into(),
        })?;
        let o = owner(&self.vault_id, name);
        let keys = self
            .open_keyset(secret, &o, entry.role.as_str(), &entry.keyset)
            .ok_or_else(|| Error::KeyringDamaged {
                path: path.to_path_buf(),
                detail: format!("the keyset of user '{name}' does not open with this user's key"),
            })?;
        self.verify_mac(&keys, path)?;
        Ok(keys)
    }

    /// Opens the complete keyset with the recovery key.
    pub fn unlock_recovery(&self, key: &RecoveryKey, path: &Path) -> Result<Keyset> {
        let o = owner(&self.vault_id, RECOVERY_OWNER);
        let keys = self
            .open_keyset(&key.0, &o, Role::Admin.as_str(), &self.recovery.keyset)
            .ok_or(Error::WrongPassphrase)?;
        self.verify_mac(&keys, path)?;
        Ok(keys)
    }

    fn open_keyset(
        &self,
        secret: &Key32,
        owner: &str,
        role: &str,
        sealed_b64: &str,
    ) -> Option<Keyset> {
        let sealed = unb64(sealed_b64)?;
        let plain = crypto::open_from(secret, &keyset_ctx(owner, role), &sealed)?;
        Keyset::decode(&plain)
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::clock::Clock as _;
    use crate::crypto::KdfParams;

    #[test]
    fn unlock_refuses_a_wrong_passphrase_and_opens_with_the_right_one() {
        let (ring, keys, _) = Keyring::test_ring();
        let p = Path::new("keyring.json");
        assert!(matches!(
            ring.unlock("ada", b"wrong", p),
            Err(Error::WrongPassphrase)
        ));
        assert_eq!(
            ring.unlock("ada", b"correct horse", p).expect("unlock"),
            keys
        );
    }

    #[test]
    fn a_downgraded_kdf_is_refused_before_deriving() {
        let (mut ring, _, _) = Keyring::test_ring();
        ring.users[0].kdf.m_kib = 1024;
        assert!(matches!(
            ring.unlock("ada", b"correct horse", Path::new("k")),
            Err(Error::KdfBelowFloor)
        ));
    }

    #[test]
    fn an_inflated_kdf_is_refused_before_deriving() {
        for (m_kib, t) in [(u32::MAX, 3), (64 * 1024, 100_000)] {
            let (mut ring, _, _) = Keyring::test_ring();
            ring.users[0].kdf.m_kib = m_kib;
            ring.users[0].kdf.t = t;
            let started = std::time::Instant::now();
            let refused = ring.unlock("ada", b"correct horse", Path::new("k"));
            assert!(
                matches!(refused, Err(Error::KdfAboveCeiling)),
                "{refused:?}"
            );
            assert!(started.elapsed() < std::time::Duration::from_secs(2));
        }
    }

    #[test]
    fn a_swapped_role_or_changed_file_is_detected() {
        let (mut ring, full, _) = Keyring::test_ring();
        ring.add_user(
            "bob",
            Role::Agent,
            b"pw-bob-123",
            KdfParams::FLOOR,
            &full,
            crate::clock::SystemClock.now(),
        )
        .expect("add");
        let mut tampered = ring.clone();
        tampered.users[1].role = Role::Admin;
        assert!(matches!(
            tampered.unlock("bob", b"pw-bob-123", Path::new("k")),
            Err(Error::KeyringDamaged { .. })
        ));
        let mut tampered = ring.clone();
        tampered.generation += 5;
        assert!(matches!(
            tampered.unlock("bob", b"pw-bob-123", Path::new("k")),
            Err(Error::KeyringDamaged { .. })
        ));
    }

    #[test]
    fn recovery_key_round_trips_and_catches_typos() {
        let (ring, keys, rec) = Keyring::test_ring();
        let shown = rec.display();
        assert_eq!(shown.len(), 56 + 13);
        let parsed = RecoveryKey::parse(&shown.to_lowercase()).expect("parse");
        assert_eq!(
            ring.unlock_recovery(&parsed, Path::new("k"))
                .expect("recover"),
            keys
        );
        let mut typo: Vec<char> = shown.chars().collect();
        typo[5] = if typo[5] == 'A' { 'B' } else { 'A' };
        let typo: String = typo.into_iter().collect();
        assert!(matches!(
            RecoveryKey::parse(&typo),
            Err(Error::Invalid { .. })
        ));
    }
}
