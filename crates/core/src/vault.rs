//! The vault directory on disk: its files, read and replaced atomically.
//!
//! A vault is a directory with `keyring.json` and the SQLCipher database
//! `tresor.db` (plus its WAL). Files are replaced atomically (temp file,
//! fsync, rename, fsync of the directory), and nothing is written before the
//! passphrase has been proven right, so a failed unlock leaves every byte as
//! it was. A rotation is staged in `keyring.next.json` and finished (or
//! rolled back) by the next unlock if the program stops half-way.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::keyring::{Keyring, RecoveryKey};
use crate::model::roles::Role;

const KEYRING: &str = "keyring.json";
const KEYRING_NEXT: &str = "keyring.next.json";
const DATABASE: &str = "tresor.db";

/// A vault directory, not yet unlocked.
#[derive(Debug, Clone)]
pub struct VaultDir {
    dir: PathBuf,
}

impl VaultDir {
    /// The vault in `dir` (which may not exist yet).
    pub fn new(dir: impl Into<PathBuf>) -> VaultDir {
        VaultDir { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The keyring file.
    pub fn keyring_path(&self) -> PathBuf {
        self.dir.join(KEYRING)
    }

    pub(crate) fn next_path(&self) -> PathBuf {
        self.dir.join(KEYRING_NEXT)
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        self.dir.join(DATABASE)
    }

    /// True when a keyring exists.
    pub fn exists(&self) -> bool {
        self.keyring_path().exists()
    }

    /// Reads and parses the keyring.
    pub fn keyring(&self) -> Result<Keyring> {
        read_keyring(&self.keyring_path()).map_err(|e| match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                Error::VaultNotFound {
                    path: self.dir.clone(),
                }
            }
            e => e,
        })
    }

    /// User names and roles, readable without unlocking (to pick a default).
    pub fn users(&self) -> Result<Vec<(String, Role)>> {
        Ok(self
            .keyring()?
            .users
            .iter()
            .map(|u| (u.name.clone(), u.role))
            .collect())
    }

    /// The user to sign in as when none is named: the only user, else the first admin.
    pub fn default_user(&self) -> Result<String> {
        let users = self.users()?;
        if let [(only, _)] = users.as_slice() {
            return Ok(only.clone());
        }
        users
            .into_iter()
            .find(|(_, r)| *r == Role::Admin)
            .map(|(n, _)| n)
            .ok_or_else(|| Error::NotFound {
                what: "user",
                id: "admin".into(),
            })
    }

    pub(crate) fn write_keyring(&self, ring: &Keyring) -> Result<()> {
        write_atomic(&self.keyring_path(), &ring.to_bytes())
    }

    pub(crate) fn stage_keyring(&self, ring: &Keyring) -> Result<()> {
        write_atomic(&self.next_path(), &ring.to_bytes())
    }

    pub(crate) fn promote_staged(&self) -> Result<()> {
        std::fs::rename(self.next_path(), self.keyring_path())
            .map_err(Error::io(self.keyring_path()))?;
        sync_dir(&self.dir)
    }

    pub(crate) fn staged(&self) -> Option<Keyring> {
        read_keyring(&self.next_path()).ok()
    }

    pub(crate) fn drop_staged(&self) -> Result<()> {
        std::fs::remove_file(self.next_path()).map_err(Error::io(self.next_path()))
    }
}

fn read_keyring(path: &Path) -> Result<Keyring> {
    let bytes = std::fs::read(path).map_err(Error::io(path))?;
    Keyring::parse(&bytes, path)
}

/// The recovery kit as printed, saved or shown once after `create`.
pub fn recovery_kit_text(dir: &Path, admin: &str, key: &RecoveryKey) -> String {
    format!(
        "TRESOR RECOVERY KIT / WIEDERHERSTELLUNGSSCHLÜSSEL\n\
         Vault / Tresor:  {}\n\
         Admin:           {admin}\n\n\
         {}\n\n\
         Keep this sheet safe and offline. With it, an admin's passphrase\n\
         can be reset (`tresor recover`). Whoever holds it can open the\n\
         whole vault.\n\n\
         Bewahren Sie dieses Blatt sicher und offline auf. Damit lässt sich\n\
         die Passphrase eines Admins zurücksetzen (`tresor recover`). Wer es\n\
         besitzt, kann den ganzen Tresor öffnen.\n",
        dir.display(),
        key.display().as_str()
    )
}

/// Writes a file so that readers see the old or the new content, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Io {
            path: path.to_path_buf(),
            source: e,
        });
    }
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io(dir))
}

#[cfg(unix)]
pub(crate) fn restrict_permissions(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
}

#[cfg(not(unix))]
pub(crate) fn restrict_permissions(_dir: &Path) {}

/// A path in `dir` for `stem.ext` that does not overwrite an existing file:
/// `stem.ext`, else `stem-2.ext`, `stem-3.ext`, ….
pub fn free_path(dir: &Path, stem: &str, ext: &str) -> PathBuf {
    let first = dir.join(format!("{stem}.{ext}"));
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|n| dir.join(format!("{stem}-{n}.{ext}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}
