//! Merging keyrings: users added on another laptop are taken over, from a
//! keyring of the same generation or from one this keyring replaced.

use std::path::Path;

use super::entries::Keyring;
use super::keyset::Keyset;
use crate::error::{Error, Result};

impl Keyring {
    /// Adds the users of `other` (the same vault's keyring as another
    /// laptop last wrote it) that this one lacks, and re-computes the MAC.
    /// Both must be of the same key generation and verify under `keys`.
    /// Returns whether a user was added.
    pub fn merge_users(&mut self, other: &Keyring, keys: &Keyset, path: &Path) -> Result<bool> {
        if other.vault_id != self.vault_id {
            return Err(Error::KeyringDamaged {
                path: path.to_path_buf(),
                detail: "it belongs to another vault".into(),
            });
        }
        other.verify_mac(keys, path)?;
        if other.generation != self.generation {
            return Err(Error::KeyringDamaged {
                path: path.to_path_buf(),
                detail: format!(
                    "its keys are of generation {}, this laptop's of {}: keys were changed on another laptop, and sync takes them over",
                    other.generation, self.generation
                ),
            });
        }
        let mut added = false;
        for u in &other.users {
            // A user counts only with a role an admin signed.
            let granted = !self.has_admin_key() || self.grant_verifies(u, &self.admin_public);
            if !granted {
                continue;
            }
            match self.users.iter().position(|e| e.name == u.name) {
                None => {
                    self.users.push(u.clone());
                    added = true;
                }
                // An entry from before grants gets the one an admin made.
                Some(i) => {
                    let e = &self.users[i];
                    if e.role == u.role
                        && e.created == u.created
                        && !self.grant_verifies(e, &self.admin_public)
                    {
                        self.users[i].grant.clone_from(&u.grant);
                        added = true;
                    }
                }
            }
        }
        if added {
            self.update_mac(keys);
        }
        Ok(added)
    }

    /// After this keyring replaced `older` (keys changed here): takes over
    /// the users `older` has that were added elsewhere meanwhile (not
    /// removed here), their keysets sealed anew from `full`. Returns
    /// whether any was added.
    pub fn keep_users_of(&mut self, older: &Keyring, full: &Keyset) -> Result<bool> {
        let mut added = false;
        for u in &older.users {
            let granted = !self.has_admin_key()
                || [&older.admin_public, &self.admin_public]
                    .into_iter()
                    .any(|p| self.grant_verifies(u, p));
            if self.user(&u.name).is_none() && !self.was_removed(&u.name) && granted {
                let mut entry = u.clone();
                entry.keyset = self.seal_keyset_for(&entry, full)?;
                // Signed again under this keyring's admins' key (by
                // `update_mac` below, which grants what has none).
                entry.grant.clear();
                self.users.push(entry);
                added = true;
            }
        }
        if added {
            self.update_mac(full);
        }
        Ok(added)
    }
}
