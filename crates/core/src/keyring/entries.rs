//! The keyring file's content: its user and recovery entries, parsing and
//! serialising, and the MAC that authenticates the whole file.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::keyset::Keyset;
use crate::crypto::{self, Context, KdfParams};
use crate::error::{Error, Result};
use crate::model::roles::Role;

pub(super) const FORMAT: &str = "tresor-keyring";
pub(super) const VERSION: u32 = 1;

/// One user's entry in the keyring.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserEntry {
    /// Sign-in name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Argon2id parameters of this user's passphrase.
    pub kdf: KdfParams,
    /// KDF salt (base64).
    pub(super) salt: String,
    /// Personal X25519 secret sealed under the passphrase key (base64).
    pub(super) secret: String,
    /// Personal X25519 public key (base64).
    pub(super) public: String,
    /// Keyset sealed to the public key (base64).
    pub(super) keyset: String,
    /// When the user was added.
    pub created: DateTime<Utc>,
    /// The admins' signature of this user's name and role (base64, see
    /// [`grant_input`](super::grants::grant_input)): the role counts only
    /// where it verifies, so a user who rewrites their own entry (every user
    /// holds the MAC key) gains nothing. Empty in keyrings made before
    /// grants existed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) grant: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct RecoveryEntry {
    pub(super) public: String,
    pub(super) keyset: String,
}

/// The keyring file's content.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Keyring {
    pub(super) format: String,
    pub(super) version: u32,
    /// The vault's id, bound into every seal.
    pub vault_id: String,
    /// Increases with every key rotation.
    pub generation: u64,
    /// Users, in order of creation.
    pub users: Vec<UserEntry>,
    pub(super) recovery: RecoveryEntry,
    /// The admins' Ed25519 public key (base64). Absent in keyrings made
    /// before it existed, so their MAC input stays the same.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) admin_public: String,
    /// Each change of the admins' key (an admin left), oldest first: the
    /// new key, signed with the one before it. A laptop that knows an
    /// earlier key follows the chain to the current one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) admin_chain: Vec<Handover>,
    /// The admins' first key (base64), where the chain starts.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) admin_root: String,
    /// Users removed since the vault was made: a keyring replacing an
    /// older one keeps that one's other users (added meanwhile elsewhere).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(super) removed: Vec<String>,
    /// The role each removed user last had: what their laptops wrote
    /// before the removal is still checked against it on laptops that
    /// receive it later (a laptop joining afterwards, say).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(super) removed_roles: BTreeMap<String, Role>,
    /// An admin's Ed25519 signature over everything but itself and the MAC
    /// (base64), with the admins' key this keyring names.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(super) signature: String,
    pub(super) mac: String,
}

/// The admins' key handed over to a new one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Handover {
    /// The generation from which the new key counts.
    pub(super) generation: u64,
    /// The new public key (base64).
    pub(super) public: String,
    /// Signature by the key before it (base64).
    pub(super) signature: String,
}

pub(super) fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

pub(super) fn unb64(s: &str) -> Option<Vec<u8>> {
    B64.decode(s).ok()
}

pub(super) fn owner(vault: &str, name: &str) -> String {
    format!("{vault}/{name}")
}

pub(super) const RECOVERY_OWNER: &str = "#recovery";

pub(super) fn keyset_ctx<'a>(owner: &'a str, role: &'a str) -> Context<'a> {
    Context {
        domain: "keyset",
        owner,
        slot: role,
        schema: VERSION,
    }
}

impl Keyring {
    /// Parses a keyring file's bytes, naming the file on failure.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Keyring> {
        let damaged = |detail: &str| Error::KeyringDamaged {
            path: path.to_path_buf(),
            detail: detail.into(),
        };
        let ring: Keyring =
            serde_json::from_slice(bytes).map_err(|_| damaged("not a readable keyring"))?;
        if ring.format != FORMAT {
            return Err(damaged("not a Tresor keyring"));
        }
        if ring.version != VERSION {
            return Err(damaged("written by an unknown version of Tresor"));
        }
        Ok(ring)
    }

    /// Serialises for writing.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// Finds a user.
    pub fn user(&self, name: &str) -> Option<&UserEntry> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Whether a user was removed since the vault was made (and not added
    /// again).
    pub fn was_removed(&self, name: &str) -> bool {
        self.removed.iter().any(|r| r == name)
    }

    pub(super) fn mac_input(&self) -> Vec<u8> {
        let mut copy = self.clone();
        copy.mac.clear();
        serde_json::to_vec(&copy).unwrap_or_default()
    }

    pub(super) fn verify_mac(&self, keys: &Keyset, path: &Path) -> Result<()> {
        let expected = crypto::mac(&keys.keyring_mac, &self.mac_input());
        let stored = unb64(&self.mac).unwrap_or_default();
        if crypto::mac_eq(&expected, &stored) {
            Ok(())
        } else {
            Err(Error::KeyringDamaged {
                path: path.to_path_buf(),
                detail: "its integrity check failed: it was changed outside Tresor".into(),
            })
        }
    }

    /// True when the MAC verifies under this keyset (for `doctor`).
    pub fn mac_ok(&self, keys: &Keyset) -> bool {
        self.verify_mac(keys, Path::new("")).is_ok()
    }
}
