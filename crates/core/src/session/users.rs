//! Users and their keys: listing and adding users, passphrases, removals
//! and roles, and the rotations they cause, made here or on another laptop.

use super::{Session, UserInfo, field_ctx, owned_ctx, validate_new_passphrase};
use crate::crypto::{self, KdfParams, Key32};
use crate::error::{Error, Result};
use crate::keyring::{Keyring, Keyset, Rotation};
use crate::model::roles::{Action, Role};
use crate::store::SealedCell;

/// Meta key of the personal secrets this laptop's user had before changing
/// their passphrase here (hex, newest first).
const EARLIER_PERSONAL: &str = "personal_earlier";

impl Session {
    /// Every user of the vault.
    pub fn users(&self) -> Result<Vec<UserInfo>> {
        let ring = self.vault.keyring()?;
        Ok(ring
            .users
            .iter()
            .map(|u| UserInfo {
                name: u.name.clone(),
                role: u.role,
                created: u.created,
            })
            .collect())
    }

    fn keyring_for_change(&self) -> Result<Keyring> {
        self.require(Action::ManageUsers)?;
        let ring = self.vault.keyring()?;
        if !ring.mac_ok(&self.keys) {
            return Err(Error::KeyringDamaged {
                path: self.vault.keyring_path(),
                detail: "its integrity check failed: it was changed outside Tresor".into(),
            });
        }
        Ok(ring)
    }

    fn vault_kdf(ring: &Keyring) -> KdfParams {
        ring.users
            .iter()
            .map(|u| u.kdf)
            .filter(KdfParams::in_bounds)
            .max_by_key(|k| (k.m_kib, k.t))
            .unwrap_or(KdfParams::FLOOR)
    }

    /// Adds a user with a role (admin only).
    pub fn add_user(&mut self, name: &str, role: Role, passphrase: &[u8]) -> Result<()> {
        let mut ring = self.keyring_for_change()?;
        validate_new_passphrase(passphrase)?;
        let kdf = Self::vault_kdf(&ring);
        ring.add_user(name, role, passphrase, kdf, &self.keys, self.clock.now())?;
        self.vault.write_keyring(&ring)
    }

    /// Changes a passphrase: one's own (anyone) or another user's (admin).
    pub fn change_passphrase(&mut self, name: &str, passphrase: &[u8]) -> Result<()> {
        if name != self.user {
            self.require(Action::ManageUsers)?;
        }
        validate_new_passphrase(passphrase)?;
        let mut ring = self.vault.keyring()?;
        let kdf = ring
            .user(name)
            .map(|u| u.kdf)
            .filter(KdfParams::in_bounds)
            .unwrap_or_else(|| Self::vault_kdf(&ring));
        let secret = ring.set_passphrase(name, passphrase, kdf, &self.keys)?;
        self.vault.write_keyring(&ring)?;
        // The key file beside the backups carries the keyring: the old
        // passphrase must not open it (nor so the backups) any longer. A
        // folder away keeps it pending, shown in the status bar.
        let _ = self.refresh_backup_keys();
        if name == self.user {
            // Kept (inside the encrypted database): the team's keyring in a
            // shared folder still seals this user's keys to the old one.
            if let Some(old) = self.personal.replace(secret) {
                let mut kept: Vec<String> = self
                    .store
                    .meta(EARLIER_PERSONAL)?
                    .unwrap_or_default()
                    .split(',')
                    .filter(|h| !h.is_empty())
                    .map(str::to_owned)
                    .collect();
                kept.insert(0, old.to_hex().to_string());
                kept.truncate(8);
                self.store.set_meta(EARLIER_PERSONAL, &kept.join(","))?;
            }
        }
        Ok(())
    }

    /// Removes a user; rotates the database key, the subject-wrapping key and
    /// every compartment key the user held, so their old keyset opens nothing.
    pub fn remove_user(&mut self, name: &str) -> Result<()> {
        if name == self.user {
            return Err(Error::invalid(
                "user",
                "you cannot remove yourself; ask another admin",
            ));
        }
        let mut ring = self.keyring_for_change()?;
        let (next, rotation) = ring.remove_user(name, &self.keys)?;
        self.rotate(&ring, next, &rotation)?;
        self.after_key_change(Some(name))
    }

    /// Changes a user's role; compartment keys the user loses are rotated.
    pub fn set_role(&mut self, name: &str, role: Role) -> Result<()> {
        let mut ring = self.keyring_for_change()?;
        let (next, rotation) = ring.set_role(name, role, &self.keys)?;
        self.rotate(&ring, next, &rotation)?;
        self.after_key_change(None)?;
        if name == self.user {
            self.role = role;
            self.keys = self.keys.for_role(role);
        }
        Ok(())
    }

    /// Test support, an attack: a patched program on this laptop, which
    /// ignores the role it was given (`role`) or writes changes in another
    /// user's name (`user`), with this laptop's own keys and database.
    #[cfg(feature = "test-support")]
    #[doc(hidden)]
    pub fn patch_identity(&mut self, user: Option<&str>, role: Option<Role>) {
        if let Some(u) = user {
            self.user = u.to_owned();
        }
        if let Some(r) = role {
            self.role = r;
        }
    }

    /// Test support, an attack: a patched program that labels every change
    /// waiting to be sent as a change of a record of `kind` (one its user's
    /// role may change), whatever record it changes.
    #[cfg(feature = "test-support")]
    #[doc(hidden)]
    pub fn patch_outbox_kind(&mut self, kind: crate::model::categories::RecordKind) -> Result<()> {
        self.store.relabel_outbox(kind)
    }

    /// Test support, an attack: a patched program that writes `value` (as
    /// JSON) into every waiting change of `field`, signed as its own.
    #[cfg(feature = "test-support")]
    #[doc(hidden)]
    pub fn patch_outbox_value(&mut self, field: &str, value: &str) -> Result<()> {
        self.store.rewrite_outbox_value(field, value)
    }

    /// Test support, an attack: a patched program that moves every waiting
    /// change of `from` to the field `to`, value and signature its own.
    #[cfg(feature = "test-support")]
    #[doc(hidden)]
    pub fn patch_outbox_field(&mut self, from: &str, to: &str) -> Result<()> {
        self.store.rename_outbox_field(from, to)
    }

    /// Takes over keys changed on another laptop: `ring` is the team's
    /// keyring of a later generation. The signed-in user's keys are opened
    /// with their personal secret, and the local database is brought to
    /// them as a rotation made here would (re-sealed values and subject
    /// keys, rekey), also when the user's role changed there.
    pub(crate) fn take_over_keys(&mut self, ring: &Keyring, path: &std::path::Path) -> Result<()> {
        let Some(entry) = ring.user(&self.user) else {
            return Err(Error::invalid(
                "keyring",
                format!(
                    "the user '{}' was removed from the team; this laptop no longer takes part",
                    self.user
                ),
            ));
        };
        let Some(role) = ring.signed_role(&entry.name) else {
            return Err(Error::invalid(
                "keyring",
                format!(
                    "the team's keyring gives '{}' no role an admin signed",
                    self.user
                ),
            ));
        };
        let Some(secret) = self.personal.clone() else {
            return Err(Error::invalid(
                "keyring",
                "sign in again with your passphrase to take them over",
            ));
        };
        // A passphrase changed here is not in the team's keyring: there the
        // user's keys are sealed to the personal key before the change.
        let earlier: Vec<Key32> = self
            .store
            .meta(EARLIER_PERSONAL)?
            .unwrap_or_default()
            .split(',')
            .filter_map(Key32::from_hex)
            .collect();
        let Some((next, current)) = std::iter::once(&secret)
            .chain(&earlier)
            .enumerate()
            .find_map(|(i, s)| ring.open_for(&self.user, s, path).ok().map(|k| (k, i == 0)))
        else {
            return Err(Error::invalid(
                "keyring",
                "your keys there do not open with your sign-in on this laptop (was your passphrase reset on another laptop?); join the team again with `tresor join`",
            ));
        };
        let mut ring = ring.clone();
        if !current {
            // This laptop keeps the user's entry with the new passphrase.
            let own = self.vault.keyring()?.user(&self.user).cloned();
            if let Some(own) = own {
                ring.keep_own_entry(&own, &next)?;
            }
        }
        let ring = &ring;
        // The new keys must descend from these: they keep this
        // generation's subject-wrapping key among the earlier ones.
        if next.subject_wrap != self.keys.subject_wrap
            && !next
                .earlier
                .iter()
                .any(|e| e.subject_wrap == self.keys.subject_wrap)
        {
            return Err(Error::KeyringDamaged {
                path: path.to_path_buf(),
                detail: "its keys do not follow from this laptop's".into(),
            });
        }
        let rotation = Rotation {
            admin: false,
            db: next.db != self.keys.db,
            subject_wrap: next.subject_wrap != self.keys.subject_wrap,
            compartments: self
                .keys
                .compartments
                .iter()
                .filter(|(c, k)| next.compartment(**c).is_some_and(|n| n != *k))
                .map(|(c, _)| *c)
                .collect(),
        };
        self.rotate(ring, next.clone(), &rotation)?;
        self.role = role;
        self.keys = next.for_role(role);
        Ok(())
    }

    /// Applies a rotation: stage the keyring, re-seal values and subject keys
    /// in one transaction, rekey, then promote the keyring. A stop at any
    /// point is finished or rolled back by the next unlock.
    fn rotate(&mut self, ring: &Keyring, next: Keyset, rotation: &Rotation) -> Result<()> {
        // The state before the change, restorable; a backup that fails
        // (the folder away) is shown in the status bar, and the keys of a
        // removed user are changed all the same.
        let _ = self.backup_before_key_change();
        self.vault.stage_keyring(ring)?;
        let mut cells: Vec<SealedCell> = Vec::new();
        for c in &rotation.compartments {
            let (Some(_), Some(new)) = (self.keys.compartment(*c), next.compartment(*c)) else {
                continue;
            };
            for mut cell in self.store.sealed_values(*c)? {
                let ctx = field_ctx(&cell.record, &cell.field);
                let plain = self
                    .open_compartment(*c, &ctx, &cell.bytes)
                    .ok_or_else(|| Error::DatabaseDamaged {
                        path: self.store.path().to_path_buf(),
                        detail: format!("a sealed value of '{}' does not open", cell.field),
                    })?;
                cell.bytes = crypto::seal(new, &ctx, &plain);
                cells.push(cell);
            }
        }
        let mut wrapped = Vec::new();
        if rotation.subject_wrap {
            for (subject, bytes) in self.store.subject_keys()? {
                let ctx = owned_ctx("subject-key", &subject);
                if let Some(dsk) = crypto::open(&self.keys.subject_wrap, &ctx, &bytes) {
                    wrapped.push((
                        subject.clone(),
                        crypto::seal(&next.subject_wrap, &ctx, &dsk),
                    ));
                }
            }
        }
        self.store
            .replace_sealed(&cells, &wrapped, ring.generation)?;
        if rotation.db {
            self.store.rekey(&next.db)?;
        }
        self.vault.promote_staged()?;
        self.keys = next.for_role(self.role);
        if self.store.meta("sync_folder")?.is_some() {
            // The folder keeps what was sealed under the replaced keys
            // until a compaction writes it again under the new ones.
            self.store.set_meta("sync_compact_wanted", "1")?;
        }
        Ok(())
    }
}
