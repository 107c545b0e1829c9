//! Users' entries: a new keyring with its first admin, adding users, new
//! passphrases, and each user's keyset sealed to their personal key.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::entries::{
    FORMAT, Keyring, RECOVERY_OWNER, RecoveryEntry, UserEntry, VERSION, b64, keyset_ctx, owner,
    unb64,
};
use super::grants::{admin_public_of, vault_id_for};
use super::keyset::Keyset;
use super::recovery::RecoveryKey;
use crate::crypto::{self, Context, KdfParams, Key32};
use crate::error::{Error, Result};
use crate::model::roles::Role;

/// A freshly derived personal key pair and its sealed form.
struct Personal {
    salt: [u8; 16],
    secret: Key32,
}

fn seal_personal(
    vault: &str,
    name: &str,
    kdf: KdfParams,
    passphrase: &[u8],
    p: &Personal,
) -> Result<(String, String)> {
    let kek = crypto::derive_kek(passphrase, &p.salt, kdf)?;
    let o = owner(vault, name);
    let ctx = Context {
        domain: "user-secret",
        owner: &o,
        slot: "",
        schema: VERSION,
    };
    Ok((
        b64(&crypto::seal(&kek, &ctx, p.secret.expose())),
        b64(&crypto::public_of(&p.secret)),
    ))
}

impl Keyring {
    /// A new keyring with one admin; returns it, the admin's keyset and the recovery key.
    pub fn create(
        admin: &str,
        passphrase: &[u8],
        kdf: KdfParams,
        now: DateTime<Utc>,
    ) -> Result<(Keyring, Keyset, RecoveryKey)> {
        Self::create_personal(admin, passphrase, kdf, now).map(|(r, k, rec, _)| (r, k, rec))
    }

    /// As [`Keyring::create`], also returning the admin's personal secret.
    pub(crate) fn create_personal(
        admin: &str,
        passphrase: &[u8],
        kdf: KdfParams,
        now: DateTime<Utc>,
    ) -> Result<(Keyring, Keyset, RecoveryKey, Key32)> {
        let keys = Keyset::generate();
        let recovery = RecoveryKey::generate();
        let root = keys.admin.as_ref().map(admin_public_of).unwrap_or_default();
        let vault_id = vault_id_for(&root);
        let rec_public = crypto::public_of(&recovery.0);
        let mut ring = Keyring {
            format: FORMAT.into(),
            version: VERSION,
            recovery: RecoveryEntry {
                public: b64(&rec_public),
                keyset: String::new(),
            },
            vault_id,
            generation: 1,
            users: Vec::new(),
            admin_public: root.clone(),
            admin_chain: Vec::new(),
            admin_root: root,
            removed: Vec::new(),
            removed_roles: BTreeMap::new(),
            signature: String::new(),
            mac: String::new(),
        };
        ring.seal_recovery(&keys)?;
        let personal = ring.push_user(admin, Role::Admin, passphrase, kdf, &keys, now)?;
        ring.update_mac(&keys);
        Ok((ring, keys, recovery, personal))
    }

    pub(super) fn seal_recovery(&mut self, full: &Keyset) -> Result<()> {
        let public: [u8; 32] = unb64(&self.recovery.public)
            .and_then(|p| p.try_into().ok())
            .ok_or_else(|| Error::invalid("keyring", "recovery entry unreadable"))?;
        let o = owner(&self.vault_id, RECOVERY_OWNER);
        self.recovery.keyset = b64(&crypto::seal_to(
            &public,
            &keyset_ctx(&o, Role::Admin.as_str()),
            &full.encode(),
        ));
        Ok(())
    }

    pub(super) fn seal_keyset_for(&self, entry: &UserEntry, full: &Keyset) -> Result<String> {
        let public: [u8; 32] = unb64(&entry.public)
            .and_then(|p| p.try_into().ok())
            .ok_or_else(|| Error::invalid("keyring", "user entry unreadable"))?;
        let o = owner(&self.vault_id, &entry.name);
        let subset = full.for_role(entry.role);
        Ok(b64(&crypto::seal_to(
            &public,
            &keyset_ctx(&o, entry.role.as_str()),
            &subset.encode(),
        )))
    }

    fn push_user(
        &mut self,
        name: &str,
        role: Role,
        passphrase: &[u8],
        kdf: KdfParams,
        full: &Keyset,
        now: DateTime<Utc>,
    ) -> Result<Key32> {
        let personal = Personal {
            salt: crypto::random_salt(),
            secret: Key32::random(),
        };
        let (secret, public) = seal_personal(&self.vault_id, name, kdf, passphrase, &personal)?;
        let mut entry = UserEntry {
            name: name.into(),
            role,
            kdf,
            salt: b64(&personal.salt),
            secret,
            public,
            keyset: String::new(),
            created: now,
            grant: String::new(),
        };
        entry.keyset = self.seal_keyset_for(&entry, full)?;
        if let Some(admin) = &full.admin {
            entry.grant = self.grant_for(&entry, admin);
        }
        self.users.push(entry);
        Ok(personal.secret)
    }

    /// Adds a user; `full` must be a complete keyset (an admin's).
    pub fn add_user(
        &mut self,
        name: &str,
        role: Role,
        passphrase: &[u8],
        kdf: KdfParams,
        full: &Keyset,
        now: DateTime<Utc>,
    ) -> Result<()> {
        validate_user_name(name)?;
        if self.user(name).is_some() {
            return Err(Error::UserExists(name.into()));
        }
        self.push_user(name, role, passphrase, kdf, full, now)?;
        self.removed.retain(|r| r != name);
        self.update_mac(full);
        Ok(())
    }

    /// Sets a new passphrase for a user: a new personal key pair, sealed
    /// under the new passphrase, and the user's keyset re-sealed to it. Only
    /// this user's entry changes. `keys` is either the user's own keyset or a
    /// complete one (an admin resetting, or the recovery key). Returns the
    /// user's new personal secret.
    pub fn set_passphrase(
        &mut self,
        name: &str,
        passphrase: &[u8],
        kdf: KdfParams,
        keys: &Keyset,
    ) -> Result<Key32> {
        let vault = self.vault_id.clone();
        let idx = self
            .users
            .iter()
            .position(|u| u.name == name)
            .ok_or_else(|| Error::NotFound {
                what: "user",
                id: name.into(),
            })?;
        let personal = Personal {
            salt: crypto::random_salt(),
            secret: Key32::random(),
        };
        let (secret, public) = seal_personal(&vault, name, kdf, passphrase, &personal)?;
        {
            let e = &mut self.users[idx];
            e.kdf = kdf;
            e.salt = b64(&personal.salt);
            e.secret = secret;
            e.public = public;
        }
        let entry = self.users[idx].clone();
        // Without a complete keyset (a user changing their own passphrase)
        // the user's own keys are exactly their role's subset.
        self.users[idx].keyset = if keys.is_complete() {
            self.seal_keyset_for(&entry, keys)?
        } else {
            let o = owner(&vault, name);
            let public: [u8; 32] = crypto::public_of(&personal.secret);
            b64(&crypto::seal_to(
                &public,
                &keyset_ctx(&o, entry.role.as_str()),
                &keys.encode(),
            ))
        };
        self.update_mac(keys);
        Ok(personal.secret)
    }

    /// After keys were taken over with the personal key the user had
    /// before changing their passphrase on this laptop: the user's entry
    /// here stays `own` (the new passphrase), with `keys` sealed to it.
    /// Only this laptop's keyring changes.
    pub fn keep_own_entry(&mut self, own: &UserEntry, keys: &Keyset) -> Result<()> {
        let idx = self
            .users
            .iter()
            .position(|u| u.name == own.name)
            .ok_or_else(|| Error::NotFound {
                what: "user",
                id: own.name.clone(),
            })?;
        let role = self.users[idx].role;
        let grant = self.users[idx].grant.clone();
        let public: [u8; 32] = unb64(&own.public)
            .and_then(|p| p.try_into().ok())
            .ok_or_else(|| Error::invalid("keyring", "user entry unreadable"))?;
        let o = owner(&self.vault_id, &own.name);
        let mut entry = own.clone();
        entry.role = role;
        entry.grant = grant;
        entry.keyset = b64(&crypto::seal_to(
            &public,
            &keyset_ctx(&o, role.as_str()),
            &keys.encode(),
        ));
        self.users[idx] = entry;
        self.update_mac(keys);
        Ok(())
    }
}

/// User names: 1–64 characters of letters, digits, `.`, `-`, `_`.
pub fn validate_user_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "user name",
            "use 1–64 letters, digits, '.', '-' or '_'",
        ))
    }
}

/// A fresh keyring of one admin, `ada`, for the keyring's own tests.
#[cfg(test)]
impl Keyring {
    pub(super) fn test_ring() -> (Keyring, Keyset, RecoveryKey) {
        use crate::clock::Clock as _;
        Keyring::create(
            "ada",
            b"correct horse",
            KdfParams::FLOOR,
            crate::clock::SystemClock.now(),
        )
        .expect("create")
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::clock::Clock as _;

    #[test]
    fn passphrase_change_rewraps_only_that_user() {
        let (mut ring, full, _) = Keyring::test_ring();
        ring.add_user(
            "bob",
            Role::Sales,
            b"pw-bob-123",
            KdfParams::FLOOR,
            &full,
            crate::clock::SystemClock.now(),
        )
        .expect("add");
        let before = ring.users[0].clone();
        let bob_keys = ring
            .unlock("bob", b"pw-bob-123", Path::new("k"))
            .expect("bob");
        ring.set_passphrase("bob", b"new-bob-pass", KdfParams::FLOOR, &bob_keys)
            .expect("passwd");
        assert_eq!(ring.users[0].secret, before.secret);
        assert_eq!(ring.users[0].keyset, before.keyset);
        assert!(ring.unlock("bob", b"pw-bob-123", Path::new("k")).is_err());
        assert_eq!(
            ring.unlock("bob", b"new-bob-pass", Path::new("k"))
                .expect("bob"),
            bob_keys
        );
        assert!(ring.unlock("ada", b"correct horse", Path::new("k")).is_ok());
    }
}
