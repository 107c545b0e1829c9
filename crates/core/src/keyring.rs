//! The keyring file: users, roles, and their wrapped keysets.
//!
//! Each user has a personal X25519 key pair. The secret half is sealed under
//! a key derived from the user's passphrase (Argon2id); the user's keyset is
//! sealed *to* the public half. So a passphrase change re-wraps only that
//! user's secret, and an admin can rotate shared keys and re-seal every
//! keyset without knowing anyone's passphrase. The recovery kit is one more
//! such public key whose secret exists only on paper.
//!
//! The whole file carries an HMAC under a key every keyset holds, so a
//! removed entry, a swapped role or a doctored KDF parameter is detected.
//! This module never writes files: [`crate::vault`] does.

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::Digest as _;
use zeroize::Zeroizing;

use crate::crypto::{self, Context, KdfParams, Key32};
use crate::error::{Error, Result};
use crate::model::categories::Compartment;
use crate::model::roles::Role;

#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing;

const FORMAT: &str = "tresor-keyring";
const VERSION: u32 = 1;

/// The keys one user holds once unlocked; wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Keyset {
    /// SQLCipher key of the local database.
    pub(crate) db: Key32,
    /// Wraps the per-subject keys (crypto-shredding).
    pub(crate) subject_wrap: Key32,
    /// Authenticates the keyring file.
    pub(crate) keyring_mac: Key32,
    /// Compartment keys of the user's role.
    pub(crate) compartments: BTreeMap<Compartment, Key32>,
    /// The admins' Ed25519 signing key (its seed), in admins' keysets
    /// only: it signs the keyring and retirements, so a keyring of a later
    /// generation is taken over only when an admin made it. `None` in
    /// vaults made before it existed.
    pub(crate) admin: Option<Key32>,
    /// The keys of earlier generations, newest first: what other laptops
    /// wrote to the shared folder before a rotation reached them is sealed
    /// under these (a removed user held them already, so keeping them
    /// gives nobody anything new).
    pub(crate) earlier: Vec<Earlier>,
}

/// The subject-wrapping and compartment keys of one earlier generation.
#[derive(Clone, PartialEq, Eq)]
pub struct Earlier {
    pub(crate) subject_wrap: Key32,
    pub(crate) compartments: BTreeMap<Compartment, Key32>,
}

/// Chunk tags of the keyset encoding: an earlier generation's
/// subject-wrapping key starts it, its compartment keys follow with
/// this bit set.
const EARLIER_WRAP: u8 = 0x40;
const EARLIER: u8 = 0x80;

impl std::fmt::Debug for Keyset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyset")
            .field(
                "compartments",
                &self.compartments.keys().collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

/// Which shared keys to replace in a rotation.
#[derive(Debug, Clone, Default)]
pub struct Rotation {
    /// New database key (needs `PRAGMA rekey`).
    pub db: bool,
    /// New admins' signing key (an admin left).
    pub admin: bool,
    /// New subject-wrapping key (needs every subject key re-wrapped).
    pub subject_wrap: bool,
    /// Compartments whose keys are replaced (needs their values re-sealed).
    pub compartments: Vec<Compartment>,
}

impl Keyset {
    /// A complete new keyset: every key random.
    pub fn generate() -> Keyset {
        Keyset {
            db: Key32::random(),
            subject_wrap: Key32::random(),
            keyring_mac: Key32::random(),
            compartments: Compartment::ALL
                .iter()
                .map(|c| (*c, Key32::random()))
                .collect(),
            admin: Some(Key32::random()),
            earlier: Vec::new(),
        }
    }

    /// The subset a role holds. Only a complete keyset can produce others.
    pub fn for_role(&self, role: Role) -> Keyset {
        let only = |all: &BTreeMap<Compartment, Key32>| {
            role.compartments()
                .iter()
                .filter_map(|c| all.get(c).map(|k| (*c, k.clone())))
                .collect()
        };
        Keyset {
            db: self.db.clone(),
            subject_wrap: self.subject_wrap.clone(),
            keyring_mac: self.keyring_mac.clone(),
            compartments: only(&self.compartments),
            admin: self.admin.clone().filter(|_| role == Role::Admin),
            earlier: self
                .earlier
                .iter()
                .map(|e| Earlier {
                    subject_wrap: e.subject_wrap.clone(),
                    compartments: only(&e.compartments),
                })
                .collect(),
        }
    }

    /// True when every compartment key of record data is present (an
    /// admin's keyset; vaults made before [`Compartment::Mail`] lack that one).
    pub fn is_complete(&self) -> bool {
        Compartment::DATA
            .iter()
            .all(|c| self.compartments.contains_key(c))
    }

    /// The key of a compartment, if this keyset holds it.
    pub fn compartment(&self, c: Compartment) -> Option<&Key32> {
        self.compartments.get(&c)
    }

    /// A copy with the chosen keys replaced by fresh random ones (the MAC key always).
    /// The replaced subject-wrapping and compartment keys are kept as the
    /// newest earlier generation.
    pub fn rotated(&self, r: &Rotation) -> Keyset {
        let mut next = self.clone();
        if r.subject_wrap || !r.compartments.is_empty() {
            next.earlier.insert(
                0,
                Earlier {
                    subject_wrap: self.subject_wrap.clone(),
                    compartments: self.compartments.clone(),
                },
            );
        }
        next.keyring_mac = Key32::random();
        if r.db {
            next.db = Key32::random();
        }
        if r.admin && next.admin.is_some() {
            next.admin = Some(Key32::random());
        }
        if r.subject_wrap {
            next.subject_wrap = Key32::random();
        }
        for c in &r.compartments {
            next.compartments.insert(*c, Key32::random());
        }
        next
    }

    fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(1 + 33 * (3 + self.compartments.len())));
        // Version 2 adds earlier generations; a keyset without them is
        // still written as version 1, which older builds read.
        out.push(if self.earlier.is_empty() { 1 } else { 2 });
        for (tag, key) in [
            (1u8, &self.db),
            (2, &self.subject_wrap),
            (3, &self.keyring_mac),
        ] {
            out.push(tag);
            out.extend_from_slice(key.expose());
        }
        if let Some(key) = &self.admin {
            out.push(4);
            out.extend_from_slice(key.expose());
        }
        for (c, key) in &self.compartments {
            out.push(c.tag());
            out.extend_from_slice(key.expose());
        }
        for e in &self.earlier {
            out.push(EARLIER_WRAP);
            out.extend_from_slice(e.subject_wrap.expose());
            for (c, key) in &e.compartments {
                out.push(EARLIER | c.tag());
                out.extend_from_slice(key.expose());
            }
        }
        out
    }

    fn decode(bytes: &[u8]) -> Option<Keyset> {
        let (&version, rest) = bytes.split_first()?;
        if !(1..=2).contains(&version) || rest.len() % 33 != 0 {
            return None;
        }
        let compartment = |t: u8| Compartment::ALL.into_iter().find(|c| c.tag() == t);
        let mut db = None;
        let mut sw = None;
        let mut mac = None;
        let mut admin = None;
        let mut compartments = BTreeMap::new();
        let mut earlier: Vec<Earlier> = Vec::new();
        for chunk in rest.chunks_exact(33) {
            let key = Key32::from_bytes(chunk[1..].try_into().ok()?);
            match chunk[0] {
                1 => db = Some(key),
                2 => sw = Some(key),
                3 => mac = Some(key),
                4 => admin = Some(key),
                EARLIER_WRAP if version == 2 => earlier.push(Earlier {
                    subject_wrap: key,
                    compartments: BTreeMap::new(),
                }),
                t if version == 2 && t & EARLIER != 0 => {
                    earlier
                        .last_mut()?
                        .compartments
                        .insert(compartment(t & !EARLIER)?, key);
                }
                t => {
                    compartments.insert(compartment(t)?, key);
                }
            }
        }
        Some(Keyset {
            db: db?,
            subject_wrap: sw?,
            keyring_mac: mac?,
            compartments,
            admin,
            earlier,
        })
    }
}

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
    salt: String,
    /// Personal X25519 secret sealed under the passphrase key (base64).
    secret: String,
    /// Personal X25519 public key (base64).
    public: String,
    /// Keyset sealed to the public key (base64).
    keyset: String,
    /// When the user was added.
    pub created: DateTime<Utc>,
    /// The admins' signature of this user's name and role (base64, see
    /// [`grant_input`]): the role counts only where it verifies, so a user
    /// who rewrites their own entry (every user holds the MAC key) gains
    /// nothing. Empty in keyrings made before grants existed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    grant: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RecoveryEntry {
    public: String,
    keyset: String,
}

/// The keyring file's content.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Keyring {
    format: String,
    version: u32,
    /// The vault's id, bound into every seal.
    pub vault_id: String,
    /// Increases with every key rotation.
    pub generation: u64,
    /// Users, in order of creation.
    pub users: Vec<UserEntry>,
    recovery: RecoveryEntry,
    /// The admins' Ed25519 public key (base64). Absent in keyrings made
    /// before it existed, so their MAC input stays the same.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    admin_public: String,
    /// Each change of the admins' key (an admin left), oldest first: the
    /// new key, signed with the one before it. A laptop that knows an
    /// earlier key follows the chain to the current one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    admin_chain: Vec<Handover>,
    /// The admins' first key (base64), where the chain starts.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    admin_root: String,
    /// Users removed since the vault was made: a keyring replacing an
    /// older one keeps that one's other users (added meanwhile elsewhere).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    removed: Vec<String>,
    /// The role each removed user last had: what their laptops wrote
    /// before the removal is still checked against it on laptops that
    /// receive it later (a laptop joining afterwards, say).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    removed_roles: BTreeMap<String, Role>,
    /// An admin's Ed25519 signature over everything but itself and the MAC
    /// (base64), with the admins' key this keyring names.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    signature: String,
    mac: String,
}

/// The admins' key handed over to a new one.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Handover {
    /// The generation from which the new key counts.
    generation: u64,
    /// The new public key (base64).
    public: String,
    /// Signature by the key before it (base64).
    signature: String,
}

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
fn vault_id_for(admin_root: &str) -> String {
    let digest = sha2::Sha256::digest(format!("tresor vault\n{admin_root}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn handover_input(vault: &str, generation: u64, public: &str) -> Vec<u8> {
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

fn admin_public_of(admin: &Key32) -> String {
    b64(SigningKey::from_bytes(admin.expose())
        .verifying_key()
        .as_bytes())
}

fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

fn unb64(s: &str) -> Option<Vec<u8>> {
    B64.decode(s).ok()
}

fn owner(vault: &str, name: &str) -> String {
    format!("{vault}/{name}")
}

const RECOVERY_OWNER: &str = "#recovery";

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

fn keyset_ctx<'a>(owner: &'a str, role: &'a str) -> Context<'a> {
    Context {
        domain: "keyset",
        owner,
        slot: role,
        schema: VERSION,
    }
}

/// A recovery key: 32 random bytes plus a 3-byte checksum, written as
/// 56 Crockford base32 characters in groups of four.
pub struct RecoveryKey(Key32);

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

impl RecoveryKey {
    fn generate() -> RecoveryKey {
        RecoveryKey(Key32::random())
    }

    /// The key as printed in the kit.
    pub fn display(&self) -> Zeroizing<String> {
        let mut bytes = Zeroizing::new(self.0.expose().to_vec());
        let check = sha2::Sha256::digest(self.0.expose());
        bytes.extend_from_slice(&check[..3]);
        let mut chars = Zeroizing::new(String::new());
        let mut acc: u32 = 0;
        let mut bits = 0;
        for &b in bytes.iter() {
            acc = (acc << 8) | u32::from(b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                chars.push(char::from(CROCKFORD[((acc >> bits) & 31) as usize]));
            }
        }
        let mut out = Zeroizing::new(String::new());
        for (i, c) in chars.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    /// Parses a typed-back key: case, spaces and dashes do not matter, and
    /// O/I/L are read as 0/1/1. A typo is reported as such.
    pub fn parse(typed: &str) -> Result<RecoveryKey> {
        let mut acc: u32 = 0;
        let mut bits = 0;
        let mut bytes = Zeroizing::new(Vec::with_capacity(35));
        for c in typed.chars().filter(|c| !c.is_whitespace() && *c != '-') {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            let v = CROCKFORD
                .iter()
                .position(|&x| char::from(x) == c)
                .ok_or_else(|| {
                    Error::invalid(
                        "recovery key",
                        "contains a character that is not in the kit",
                    )
                })?;
            acc = (acc << 5) | v as u32;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                bytes.push(((acc >> bits) & 0xff) as u8);
            }
        }
        if bytes.len() != 35 {
            return Err(Error::invalid(
                "recovery key",
                "must be 56 characters (14 groups of 4)",
            ));
        }
        let key: [u8; 32] = bytes[..32].try_into().map_err(|_| Error::WrongPassphrase)?;
        let check = sha2::Sha256::digest(key);
        if check[..3] != bytes[32..] {
            return Err(Error::invalid(
                "recovery key",
                "has a typo: the checksum does not match",
            ));
        }
        Ok(RecoveryKey(Key32::from_bytes(key)))
    }
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

    fn grant_for(&self, entry: &UserEntry, admin: &Key32) -> String {
        let sig = SigningKey::from_bytes(admin.expose()).sign(&grant_input(
            &self.vault_id,
            &entry.name,
            entry.role,
            entry.created,
        ));
        b64(&sig.to_bytes())
    }

    fn grant_verifies(&self, entry: &UserEntry, public: &str) -> bool {
        verifies(
            public,
            &grant_input(&self.vault_id, &entry.name, entry.role, entry.created),
            &entry.grant,
        )
    }

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

    fn mac_input(&self) -> Vec<u8> {
        let mut copy = self.clone();
        copy.mac.clear();
        serde_json::to_vec(&copy).unwrap_or_default()
    }

    fn signed_input(&self) -> Vec<u8> {
        let mut copy = self.clone();
        copy.mac.clear();
        copy.signature.clear();
        serde_json::to_vec(&copy).unwrap_or_default()
    }

    fn sign(&mut self, admin: &Key32) {
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

    fn verify_mac(&self, keys: &Keyset, path: &Path) -> Result<()> {
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

    /// True when the MAC verifies under this keyset (for `doctor`).
    pub fn mac_ok(&self, keys: &Keyset) -> bool {
        self.verify_mac(keys, Path::new("")).is_ok()
    }

    /// Signs (when `keys` hold the admins' key) and authenticates the
    /// keyring after a change.
    fn update_mac(&mut self, keys: &Keyset) {
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

    fn seal_recovery(&mut self, full: &Keyset) -> Result<()> {
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

    fn seal_keyset_for(&self, entry: &UserEntry, full: &Keyset) -> Result<String> {
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

    /// Whether a user was removed since the vault was made (and not added
    /// again).
    pub fn was_removed(&self, name: &str) -> bool {
        self.removed.iter().any(|r| r == name)
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

#[cfg(any(test, feature = "test-support"))]
impl Keyring {
    /// Test support, an attack: what `name`, holding only their own keys,
    /// can do to their own entry in the keyring file on their laptop: give
    /// it `role`, seal their own keyset to themselves under that role, and
    /// compute the MAC (every user holds its key), and drop the grant, so the
    /// entry looks like one from before grants. With `own_admin_key` they
    /// instead replace the admins' key by one of their own and sign their
    /// grant and the whole file with it.
    #[doc(hidden)]
    pub fn forge_role(
        &mut self,
        name: &str,
        passphrase: &[u8],
        role: Role,
        own_admin_key: bool,
    ) -> Result<()> {
        let (keys, secret) = self.unlock_personal(name, passphrase, Path::new("keyring"))?;
        let idx = self
            .users
            .iter()
            .position(|u| u.name == name)
            .ok_or_else(|| Error::invalid("user", "not in the keyring"))?;
        let o = owner(&self.vault_id, name);
        self.users[idx].role = role;
        self.users[idx].keyset = b64(&crypto::seal_to(
            &crypto::public_of(&secret),
            &keyset_ctx(&o, role.as_str()),
            &keys.encode(),
        ));
        self.users[idx].grant.clear();
        if own_admin_key {
            let fake = Key32::random();
            self.admin_public = admin_public_of(&fake);
            self.admin_root.clone_from(&self.admin_public);
            self.admin_chain.clear();
            for i in 0..self.users.len() {
                self.users[i].grant = self.grant_for(&self.users[i], &fake);
            }
            self.sign(&fake);
        }
        self.mac = b64(&crypto::mac(&keys.keyring_mac, &self.mac_input()));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> (Keyring, Keyset, RecoveryKey) {
        Keyring::create("ada", b"correct horse", KdfParams::FLOOR, Utc::now()).expect("create")
    }

    #[test]
    fn keyset_encoding_round_trips() {
        let k = Keyset::generate();
        assert_eq!(Keyset::decode(&k.encode()), Some(k.clone()));
        let agent = k.for_role(Role::Agent);
        assert!(agent.compartments.is_empty());
        assert_eq!(Keyset::decode(&agent.encode()), Some(agent));
        // Two rotations: both earlier generations are kept, newest first,
        // and a role's subset keeps only its compartments of each.
        let once = k.rotated(&Rotation {
            db: true,
            admin: true,
            subject_wrap: true,
            compartments: vec![Compartment::Notes],
        });
        let twice = once.rotated(&Rotation {
            compartments: vec![Compartment::Deal],
            ..Rotation::default()
        });
        assert_eq!(twice.earlier.len(), 2);
        assert!(twice.earlier[0].subject_wrap == once.subject_wrap);
        assert!(twice.earlier[1].subject_wrap == k.subject_wrap);
        assert!(
            twice.earlier[1].compartments[&Compartment::Notes]
                == k.compartments[&Compartment::Notes]
        );
        assert_eq!(Keyset::decode(&twice.encode()), Some(twice.clone()));
        // The admins' key: replaced when an admin leaves, held by admins only.
        assert!(once.admin.is_some() && once.admin != k.admin);
        assert_eq!(twice.admin, once.admin);
        assert!(twice.for_role(Role::Admin).admin.is_some());
        assert!(twice.for_role(Role::Dpo).admin.is_none());
        let agent = twice.for_role(Role::Agent);
        assert_eq!(agent.earlier.len(), 2);
        assert!(agent.earlier.iter().all(|e| e.compartments.is_empty()));
        assert_eq!(Keyset::decode(&agent.encode()), Some(agent));
        // Only the MAC and database keys: no earlier generation.
        let db_only = k.rotated(&Rotation {
            db: true,
            ..Rotation::default()
        });
        assert!(db_only.earlier.is_empty());
        assert_eq!(k.encode()[0], 1);
        assert_eq!(twice.encode()[0], 2);
    }

    #[test]
    fn unlock_refuses_a_wrong_passphrase_and_opens_with_the_right_one() {
        let (ring, keys, _) = ring();
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
        let (mut ring, _, _) = ring();
        ring.users[0].kdf.m_kib = 1024;
        assert!(matches!(
            ring.unlock("ada", b"correct horse", Path::new("k")),
            Err(Error::KdfBelowFloor)
        ));
    }

    #[test]
    fn an_inflated_kdf_is_refused_before_deriving() {
        for (m_kib, t) in [(u32::MAX, 3), (64 * 1024, 100_000)] {
            let (mut ring, _, _) = ring();
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
        let (mut ring, full, _) = ring();
        ring.add_user(
            "bob",
            Role::Agent,
            b"pw-bob-123",
            KdfParams::FLOOR,
            &full,
            Utc::now(),
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
        let (ring, keys, rec) = ring();
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

    #[test]
    fn passphrase_change_rewraps_only_that_user() {
        let (mut ring, full, _) = ring();
        ring.add_user(
            "bob",
            Role::Sales,
            b"pw-bob-123",
            KdfParams::FLOOR,
            &full,
            Utc::now(),
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

    #[test]
    fn removal_rotates_keys_so_an_old_copy_opens_nothing_new() {
        let (mut ring, full, rec) = ring();
        ring.add_user(
            "eve",
            Role::Sales,
            b"pw-eve-123",
            KdfParams::FLOOR,
            &full,
            Utc::now(),
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
        let (mut ring, full, _) = ring();
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
