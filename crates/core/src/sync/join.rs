//! Joining the team of a shared folder: a new local vault built from the
//! folder's keyring and everything the devices have written.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use uuid::Uuid;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::session::Session;
use crate::store::Store;
use crate::vault::VaultDir;

use super::file::Layout;
use super::folder::folder_err;
use super::report::SyncReport;

fn team_keyring(folder: &Path) -> Result<(Keyring, PathBuf)> {
    let path = Layout::new(folder).keyring();
    let bytes = std::fs::read(&path).map_err(|_| {
        folder_err(
            folder,
            "it holds no Tresor team (team/keyring.json is missing); check that the folder is shared and complete, or set it up on the first laptop with `tresor sync setup`",
        )
    })?;
    Ok((Keyring::parse(&bytes, &path)?, path))
}

/// The user to join as when none is named: the team's only user, else its
/// first admin.
pub fn default_user(folder: &Path) -> Result<String> {
    let (ring, _) = team_keyring(folder)?;
    if let [only] = ring.users.as_slice() {
        return Ok(only.name.clone());
    }
    ring.users
        .iter()
        .find(|u| u.role == crate::model::roles::Role::Admin)
        .map(|u| u.name.clone())
        .ok_or_else(|| Error::NotFound {
            what: "user",
            id: "admin".into(),
        })
}

/// Joins the team in the shared folder as an existing user: builds a new
/// local vault in `dir` (never inside the folder) from the folder's keyring
/// and everything the devices have written, and signs in.
pub fn join(
    folder: &Path,
    dir: &Path,
    user: &str,
    passphrase: &[u8],
    clock: Arc<dyn Clock>,
) -> Result<(Session, SyncReport)> {
    join_with(folder, dir, user, passphrase, clock, |path, keys| {
        Store::create(path, &keys.db)
    })
}

/// Benchmarks only: joins into an unencrypted SQLite store, so applying
/// received changes can be measured against plain SQLite in the same run.
#[cfg(feature = "bench-baseline")]
#[doc(hidden)]
pub fn join_plain_baseline(
    folder: &Path,
    dir: &Path,
    user: &str,
    passphrase: &[u8],
    clock: Arc<dyn Clock>,
) -> Result<(Session, SyncReport)> {
    join_with(folder, dir, user, passphrase, clock, |path, _| {
        Store::open_plain_baseline(path)
    })
}

fn join_with(
    folder: &Path,
    dir: &Path,
    user: &str,
    passphrase: &[u8],
    clock: Arc<dyn Clock>,
    create: impl FnOnce(&Path, &crate::keyring::Keyset) -> Result<Store>,
) -> Result<(Session, SyncReport)> {
    // A name no user can have is refused before the folder is read.
    crate::keyring::validate_user_name(user)?;
    let (ring, ring_path) = team_keyring(folder)?;
    let (keys, personal) = ring.unlock_personal(user, passphrase, &ring_path)?;
    // A joining laptop learns the team from the folder's keyring; its
    // admins' key must at least be the one the vault's id derives from,
    // and the user's role one those admins signed.
    let role = match ring.signed_role(user) {
        Some(role) if ring.anchored(None) => role,
        _ => {
            return Err(Error::RoleNotSigned {
                path: ring_path,
                user: user.to_owned(),
            });
        }
    };
    let vault = VaultDir::new(dir);
    let folder_abs = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    if let Ok(d) = std::fs::canonicalize(dir.parent().unwrap_or(dir))
        && d.starts_with(&folder_abs)
    {
        return Err(Error::invalid(
            "vault",
            "the local vault must not be inside the shared folder; choose a directory outside it",
        ));
    }
    if vault.exists() || vault.db_path().exists() {
        return Err(Error::VaultExists {
            path: dir.to_path_buf(),
        });
    }
    let existed = dir.exists();
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let built = (|| {
        let store = create(&vault.db_path(), &keys)?;
        store.set_meta("vault_id", &ring.vault_id)?;
        store.set_meta("key_generation", &ring.generation.to_string())?;
        store.set_meta("device_id", &Uuid::now_v7().simple().to_string())?;
        store.set_meta("sync_folder", &folder_abs.display().to_string())?;
        if ring.has_admin_key() {
            store.set_meta(crate::session::open::ADMIN_ROOT_META, ring.admin_root())?;
        }
        vault.write_keyring(&ring)?;
        let mut session = Session::unseeded(vault.clone(), store, keys, user.into(), role, clock)?;
        session.personal = Some(personal);
        let report = session.sync()?;
        session.seed_consent_defaults()?;
        Ok((session, report))
    })();
    if built.is_err() {
        // A join that failed half-way leaves nothing: the next try starts clean.
        remove_half_built(dir, existed);
    }
    built
}

/// Removes a vault that was being built in `dir` and failed: its files, or
/// the whole directory if it did not exist before.
pub(super) fn remove_half_built(dir: &Path, existed: bool) {
    if existed {
        for name in [
            "tresor.db",
            "tresor.db-wal",
            "tresor.db-shm",
            "keyring.json",
            "sync.lock",
        ] {
            let _ = std::fs::remove_file(dir.join(name));
        }
    } else {
        let _ = std::fs::remove_dir_all(dir);
    }
}
