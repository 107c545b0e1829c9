//! A user's keyset: the shared keys a role holds, their rotation, and the
//! byte encoding that is sealed into the keyring.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use crate::crypto::Key32;
use crate::model::categories::Compartment;
use crate::model::roles::Role;

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

    pub(super) fn encode(&self) -> Zeroizing<Vec<u8>> {
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

    pub(super) fn decode(bytes: &[u8]) -> Option<Keyset> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::roles::Role;

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
}
