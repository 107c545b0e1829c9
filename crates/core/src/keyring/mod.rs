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
//!
//! Its parts: the keyset and its encoding (`keyset`), the file's entries
//! and MAC (`entries`), the admins' grants and key (`grants`), users
//! (`users`), unlocking (`unlock`), rotation (`rotation`), merging
//! another laptop's keyring (`merge`) and the recovery key (`recovery`).

mod entries;
#[cfg(any(test, feature = "test-support"))]
mod forge;
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing;
mod grants;
mod keyset;
mod merge;
mod recovery;
mod rotation;
mod unlock;
mod users;

pub use entries::{Keyring, UserEntry};
pub use keyset::{Earlier, Keyset, Rotation};
pub use recovery::RecoveryKey;
pub use users::validate_user_name;
