//! Grants and the admins' key: roles the admins signed, the chain that ties
//! each later admins' key to the first, and the keyring's signature.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::Digest as _;

use super::entries::{Keyring, UserEntry, b64, unb64};
use super::keyset::Keyset;
use crate::crypto::{self, Key32};
use crate::model::roles::Role;

/// What the admins' key signs to give a user a role. The time the user was
/// added is part of it, so a grant of an earlier entry of the same name (a
/// user removed and added again) does not carry over.
fn grant_input(vault: &str, name: &str, role: Role, created: DateTime<Utc>) -> Vec<u8> {
    format!(
        "tresor role\n{vault}\n{name}\n{}\n{}",
        role.as_str(),
        created.timestamp_micros()
    )
    .into_bytes()
}

/// The vault id of a new vault: derived from the admins' first public key,
/// so the key that signs roles cannot be swapped for another in a copy of
/// the keyring without changing the vault's identity (which every seal
/// and every laptop of the team holds on to).
pub(super) fn vault_id_for(admin_root: &str) -> String {
    let digest = sha2::Sha256::digest(format!("tresor vault\n{admin_root}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

pub(super) fn handover_input(vault: &str, generation: u64, public: &str) -> Vec<u8> {
    format!("tresor admin key\n{vault}\n{generation}\n{public}").into_bytes()
}

fn verifying_key(b64_public: &str) -> Option<VerifyingKey> {
    let bytes = unb64(b64_public)?;
    VerifyingKey::from_bytes(&<[u8; 32]>::try_from(bytes.as_slice()).ok()?).ok()
}

fn verifies(public: &str, bytes: &[u8], sig_b64: &str) -> bool {
    let (Some(key), Some(sig)) = (verifying_key(public), unb64(sig_b64)) else {
        return false;
    };
    <[u8; 64]>::try_from(sig.as_slice())
        .is_ok_and(|s| key.verify(bytes, &Signature::from_bytes(&s)).is_ok())
}

pub(super) fn admin_public_of(admin: &Key32) -> String {
    b64(SigningKey::from_bytes(admin.expose())
        .verifying_key()
        .as_bytes())
}

impl Keyring {
    /// A user's role as the admins signed it: `None` when the entry's grant
    /// does not verify under the admins' current key (the entry was
    /// rewritten outside Tresor, or no admin ever signed it). In vaults made
    /// before the admins' key existed, the role as written.
    pub fn signed_role(&self, name: &str) -> Option<Role> {
        let e = self.user(name)?;
        if !self.has_admin_key() {
            return Some(e.role);
        }
        verifies(
            &self.admin_public,
            &grant_input(&self.vault_id, &e.name, e.role, e.created),
            &e.grant,
        )
        .then_some(e.role)
    }

    /// Whether the admins' key this keyring names is the team's: new vaults
    /// derive their id from the admins' first key, older ones compare it
    /// with `pinned_root` (what this laptop's database recorded), and every
    /// later key must be handed over by the one before it. A keyring whose
    /// admins' key was swapped (to sign roles of one's own) fails.
    pub fn anchored(&self, pinned_root: Option<&str>) -> bool {
        if !self.has_admin_key() {
            // A vault that once had the admins' key cannot lose it.
            return pinned_root.is_none();
        }
        let derived = match uuid::Uuid::parse_str(&self.vault_id) {
            Ok(u) if u.get_version_num() == 8 => self.vault_id == vault_id_for(&self.admin_root),
            _ => true,
        };
        let mut key = self.admin_root.clone();
        for h in &self.admin_chain {
            if !verifies(
                &key,
                &handover_input(&self.vault_id, h.generation, &h.public),
                &h.signature,
            ) {
                return false;
            }
            key.clone_from(&h.public);
        }
        derived && pinned_root.is_none_or(|p| p == self.admin_root) && key == self.admin_public
    }

    /// Every role that counts for what arrives from other laptops: each
    /// user's signed role, and the last role of each user removed since.
    pub fn signed_roles(&self) -> BTreeMap<String, Role> {
        let mut roles = self.removed_roles.clone();
        for u in &self.users {
            if let Some(role) = self.signed_role(&u.name) {
                roles.insert(u.name.clone(), role);
            }
        }
        roles
    }

    /// Whether the vault's id derives from the admins' first key (vaults
    /// made since grants exist).
    pub fn id_derived(&self) -> bool {
        uuid::Uuid::parse_str(&self.vault_id).is_ok_and(|u| u.get_version_num() == 8)
    }

    /// Whether a user's entry carries a grant at all (entries of keyrings
    /// made before grants existed carry none).
    pub fn has_grant(&self, name: &str) -> bool {
        self.user(name).is_some_and(|u| !u.grant.is_empty())
    }

    /// An admin's keys give every entry without a grant one (vaults made
    /// before grants existed); returns whether any was given.
    pub fn grant_ungranted(&mut self, keys: &Keyset) -> bool {
        let ungranted = self.users.iter().any(|u| u.grant.is_empty());
        if ungranted && keys.admin.is_some() && self.has_admin_key() {
            self.update_mac(keys);
            return true;
        }
        false
    }

    /// The admins' first public key (base64), empty in vaults made before it.
    pub fn admin_root(&self) -> &str {
        &self.admin_root
    }

    pub(super) fn grant_for(&self, entry: &UserEntry, admin: &Key32) -> String {
        let sig = SigningKey::from_bytes(admin.expose()).sign(&grant_input(
            &self.vault_id,
            &entry.name,
            entry.role,
            entry.created,
        ));
        b64(&sig.to_bytes())
    }

    pub(super) fn grant_verifies(&self, entry: &UserEntry, public: &str) -> bool {
        verifies(
            public,
            &grant_input(&self.vault_id, &entry.name, entry.role, entry.created),
            &entry.grant,
        )
    }

    fn signed_input(&self) -> Vec<u8> {
        let mut copy = self.clone();
        copy.mac.clear();
        copy.signature.clear();
        serde_json::to_vec(&copy).unwrap_or_default()
    }

    pub(super) fn sign(&mut self, admin: &Key32) {
        let sig = SigningKey::from_bytes(admin.expose()).sign(&self.signed_input());
        self.signature = b64(&sig.to_bytes());
    }

    /// True when an admin signed this keyring with the admins' key that
    /// `trusted` (this laptop's keyring) names, or one that key handed
    /// over to (following this keyring's chain). Never for keyrings made
    /// before the admins' key existed.
    pub fn signed_by_admin_of(&self, trusted: &Keyring) -> bool {
        if trusted.admin_public.is_empty() || self.vault_id != trusted.vault_id {
            return false;
        }
        let mut key = trusted.admin_public.clone();
        for h in &self.admin_chain {
            if h.public != key
                && verifies(
                    &key,
                    &handover_input(&self.vault_id, h.generation, &h.public),
                    &h.signature,
                )
            {
                key.clone_from(&h.public);
            }
        }
        key == self.admin_public && verifies(&key, &self.signed_input(), &self.signature)
    }

    /// True when this keyring names an admins' key (vaults made since it
    /// exists).
    pub fn has_admin_key(&self) -> bool {
        !self.admin_public.is_empty()
    }

    /// Signs retirement bytes with the admins' key of `keys`, if it holds it.
    pub(crate) fn admin_sign(keys: &Keyset, bytes: &[u8]) -> Option<[u8; 64]> {
        keys.admin
            .as_ref()
            .map(|a| SigningKey::from_bytes(a.expose()).sign(bytes).to_bytes())
    }

    /// Checks bytes signed by [`Keyring::admin_sign`] against this
    /// keyring's current admins' key (an admin who left holds the earlier
    /// ones; the laptop that replaced the key signs again what still
    /// counts).
    pub(crate) fn admin_current_verifies(&self, bytes: &[u8], sig: &[u8]) -> bool {
        verifies(&self.admin_public, bytes, &b64(sig))
    }

    /// As [`Keyring::admin_current_verifies`], also accepting an admins'
    /// key this one replaced: for the laptop that replaced it, signing
    /// again what was signed before.
    pub(crate) fn admin_ever_verifies(&self, bytes: &[u8], sig: &[u8]) -> bool {
        let sig = b64(sig);
        [&self.admin_public, &self.admin_root]
            .into_iter()
            .chain(self.admin_chain.iter().map(|h| &h.public))
            .any(|p| verifies(p, bytes, &sig))
    }

    /// Signs (when `keys` hold the admins' key) and authenticates the
    /// keyring after a change.
    pub(super) fn update_mac(&mut self, keys: &Keyset) {
        if let Some(admin) = &keys.admin
            && self.has_admin_key()
        {
            // Entries from before grants existed get one from the first
            // admin who changes the keyring; an entry whose grant does not
            // verify stays without a role.
            for i in 0..self.users.len() {
                if self.users[i].grant.is_empty() {
                    self.users[i].grant = self.grant_for(&self.users[i], admin);
                }
            }
            self.sign(admin);
        }
        self.mac = b64(&crypto::mac(&keys.keyring_mac, &self.mac_input()));
    }
}
