//! Rotation: removing a user or lowering a role replaces the keys they
//! lose, re-seals every keyset and hands the admins' key over.

use ed25519_dalek::{Signer as _, SigningKey};

use super::entries::{Handover, Keyring, b64};
use super::grants::{admin_public_of, handover_input};
use super::keyset::{Keyset, Rotation};
use crate::crypto;
use crate::error::{Error, Result};
use crate::model::categories::Compartment;
use crate::model::roles::Role;

impl Keyring {
    /// Removes a user and rotates every shared key they held; returns the
    /// new complete keyset. Callers must apply the rotation to the store.
    pub fn remove_user(&mut self, name: &str, full: &Keyset) -> Result<(Keyset, Rotation)> {
        let entry = self.user(name).cloned().ok_or_else(|| Error::NotFound {
            what: "user",
            id: name.into(),
        })?;
        if entry.role == Role::Admin
            && self.users.iter().filter(|u| u.role == Role::Admin).count() == 1
        {
            return Err(Error::LastAdmin);
        }
        if self.signed_role(name) == Some(entry.role) {
            self.removed_roles.insert(name.to_owned(), entry.role);
        }
        self.users.retain(|u| u.name != name);
        if !self.removed.iter().any(|r| r == name) {
            self.removed.push(name.to_owned());
        }
        let rotation = Rotation {
            db: true,
            subject_wrap: true,
            admin: entry.role == Role::Admin,
            compartments: entry.role.compartments().to_vec(),
        };
        let next = self.reseal_all(full, &rotation, None)?;
        Ok((next, rotation))
    }

    /// Changes a user's role; compartments the user loses are rotated.
    pub fn set_role(
        &mut self,
        name: &str,
        role: Role,
        full: &Keyset,
    ) -> Result<(Keyset, Rotation)> {
        let idx = self
            .users
            .iter()
            .position(|u| u.name == name)
            .ok_or_else(|| Error::NotFound {
                what: "user",
                id: name.into(),
            })?;
        let old = self.users[idx].role;
        if old == Role::Admin
            && role != Role::Admin
            && self.users.iter().filter(|u| u.role == Role::Admin).count() == 1
        {
            return Err(Error::LastAdmin);
        }
        self.users[idx].role = role;
        let lost: Vec<Compartment> = old
            .compartments()
            .iter()
            .filter(|c| !role.compartments().contains(c))
            .copied()
            .collect();
        let rotation = Rotation {
            db: false,
            subject_wrap: false,
            admin: old == Role::Admin && role != Role::Admin,
            compartments: lost,
        };
        let next = self.reseal_all(full, &rotation, Some(name))?;
        Ok((next, rotation))
    }

    /// Rotates and re-seals every keyset; grants that verified under the
    /// admins' key before (and `regrant`'s, whose role just changed) are
    /// signed again with the admins' key after.
    fn reseal_all(
        &mut self,
        full: &Keyset,
        rotation: &Rotation,
        regrant: Option<&str>,
    ) -> Result<Keyset> {
        let next = full.rotated(rotation);
        let granted: Vec<bool> = self
            .users
            .iter()
            .map(|u| {
                Some(u.name.as_str()) == regrant
                    || u.grant.is_empty()
                    || self.grant_verifies(u, &self.admin_public)
            })
            .collect();
        self.generation += 1;
        for i in 0..self.users.len() {
            let entry = self.users[i].clone();
            self.users[i].keyset = self.seal_keyset_for(&entry, &next)?;
        }
        self.seal_recovery(&next)?;
        // A new admins' key is handed over by the old one; the keyring is
        // signed with the new.
        if self.has_admin_key()
            && let (Some(old), Some(new)) = (&full.admin, &next.admin)
        {
            let public = admin_public_of(new);
            if public != self.admin_public {
                let input = handover_input(&self.vault_id, self.generation, &public);
                let sig = SigningKey::from_bytes(old.expose()).sign(&input);
                self.admin_chain.push(Handover {
                    generation: self.generation,
                    public: public.clone(),
                    signature: b64(&sig.to_bytes()),
                });
                self.admin_public = public;
            }
            for (i, granted) in granted.into_iter().enumerate() {
                self.users[i].grant = if granted {
                    self.grant_for(&self.users[i], new)
                } else {
                    String::new()
                };
            }
            self.sign(new);
        }
        self.mac = b64(&crypto::mac(&next.keyring_mac, &self.mac_input()));
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::clock::Clock as _;
    use crate::crypto::KdfParams;

    #[test]
    fn removal_rotates_keys_so_an_old_copy_opens_nothing_new() {
        let (mut ring, full, rec) = Keyring::test_ring();
        ring.add_user(
            "eve",
            Role::Sales,
            b"pw-eve-123",
            KdfParams::FLOOR,
            &full,
            crate::clock::SystemClock.now(),
        )
        .expect("add");
        let old_copy = ring.clone();
        let (next, rotation) = ring.remove_user("eve", &full).expect("remove");
        assert!(ring.user("eve").is_none());
        assert!(rotation.db && rotation.subject_wrap);
        let eve_old = old_copy
            .unlock("eve", b"pw-eve-123", Path::new("k"))
            .expect("old copy");
        assert_ne!(eve_old.db, next.db);
        assert_ne!(
            eve_old.compartment(Compartment::Notes),
            next.compartment(Compartment::Notes)
        );
        assert_eq!(eve_old.compartment(Compartment::Special), None);
        assert_eq!(
            ring.unlock("ada", b"correct horse", Path::new("k"))
                .expect("ada"),
            next
        );
        assert_eq!(
            ring.unlock_recovery(&rec, Path::new("k"))
                .expect("recovery"),
            next
        );
    }

    #[test]
    fn the_last_admin_cannot_leave() {
        let (mut ring, full, _) = Keyring::test_ring();
        assert!(matches!(
            ring.remove_user("ada", &full),
            Err(Error::LastAdmin)
        ));
        assert!(matches!(
            ring.set_role("ada", Role::Sales, &full),
            Err(Error::LastAdmin)
        ));
    }
}
