//! The one error type of the core, with a stable machine code per variant.
//!
//! Messages say what happened and what the user can do. They never contain
//! key material, SQL, or the plaintext of a record: errors end up in logs,
//! terminals and the webview.

use std::path::{Path, PathBuf};

/// Result with the core's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Passphrase or recovery key did not open the keyset. Deliberately no hint.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The keyring asks for KDF parameters below the floor (downgrade attempt).
    #[error(
        "the keyring asks for weaker key derivation than allowed (at least 64 MiB, 3 passes); refusing to unlock"
    )]
    KdfBelowFloor,
    /// The keyring asks for KDF parameters above the ceiling (a doctored
    /// keyring trying to exhaust memory or time).
    #[error(
        "the keyring asks for more key derivation than allowed (at most 2 GiB, 64 passes, 16 lanes); refusing to unlock — the keyring was changed outside Tresor"
    )]
    KdfAboveCeiling,
    /// The keyring file cannot be read or fails its integrity check.
    #[error("the keyring {} is damaged ({detail}); nothing was changed — restore it from a backup", path.display())]
    KeyringDamaged {
        /// The keyring file.
        path: PathBuf,
        /// What is wrong, without secrets.
        detail: String,
    },
    /// The keyring on this laptop gives a user a role the team's admins did
    /// not sign, or names an admins' key that is not the team's: it was
    /// changed outside Tresor. Nothing is unlocked with it.
    #[error(
        "the keyring {} gives user '{user}' a role the team's admins did not sign: it was changed outside Tresor; nothing was unlocked — an admin can add the user again, or join the team again to get the signed keyring", path.display()
    )]
    RoleNotSigned {
        /// The keyring file.
        path: PathBuf,
        /// The user signing in.
        user: String,
    },
    /// The database cannot be opened with the right key, or fails its checks.
    #[error("the database {} is damaged ({detail}); nothing was changed — restore it from a backup", path.display())]
    DatabaseDamaged {
        /// The database file.
        path: PathBuf,
        /// What is wrong, without secrets or SQL.
        detail: String,
    },
    /// `init` on a directory that already holds a vault.
    #[error("a vault already exists in {}", path.display())]
    VaultExists {
        /// The vault directory.
        path: PathBuf,
    },
    /// No vault where one was expected.
    #[error("no vault found in {} — create one with `tresor init`", path.display())]
    VaultNotFound {
        /// The vault directory.
        path: PathBuf,
    },
    /// The role of the signed-in user does not allow the action.
    #[error("your role '{role}' may not {action}")]
    Forbidden {
        /// What was attempted, in words.
        action: String,
        /// The role that lacks the permission.
        role: String,
    },
    /// The field belongs to a compartment whose key this user does not hold.
    #[error(
        "the field '{field}' is in the '{category}' category, which your role '{role}' may not read or write"
    )]
    CompartmentLocked {
        /// The field.
        field: String,
        /// Its data category.
        category: String,
        /// The user's role.
        role: String,
    },
    /// A record, user or other thing was not found.
    #[error("{what} '{id}' not found")]
    NotFound {
        /// Kind of thing.
        what: &'static str,
        /// The id or name that was looked up.
        id: String,
    },
    /// Input failed validation; `field` names where, `message` says why.
    #[error("{field}: {message}")]
    Invalid {
        /// Which input.
        field: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A user name is taken.
    #[error("a user named '{0}' already exists")]
    UserExists(String),
    /// The action would leave the vault without an administrator.
    #[error("the vault must keep at least one admin")]
    LastAdmin,
    /// Reading or writing a file failed.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An address is on the suppression list.
    #[error(
        "the {what} is suppressed: the person objected or asked not to be contacted again; add it only with a reason (--allow-suppressed REASON), which is recorded"
    )]
    Suppressed {
        /// Which address.
        what: String,
    },
    /// The person's processing is restricted (Art. 18).
    #[error(
        "the person is restricted since {since} ({request}): the record is read-only and excluded from processing"
    )]
    Restricted {
        /// Since when.
        since: String,
        /// The request.
        request: String,
    },
    /// The mail server refused or could not be reached.
    #[error("the mail could not be sent ({0}); nothing was recorded")]
    Mail(String),
    /// This vault does not sync yet.
    #[error(
        "this vault does not sync with a shared folder yet; an admin sets it up with `tresor sync setup --folder DIR`"
    )]
    SyncNotSetUp,
    /// The shared folder is missing, foreign or unusable.
    #[error("the shared folder {} cannot be used: {detail}", path.display())]
    SyncFolder {
        /// The folder.
        path: PathBuf,
        /// What is wrong and what to do.
        detail: String,
    },
    /// The store failed in a way the user cannot fix by changing input.
    #[error(
        "the database reported an error ({0}); try again, and run `tresor doctor` if it persists"
    )]
    Store(String),
    /// The user cancelled a long piece of work before it was written.
    #[error("cancelled; nothing was changed")]
    Cancelled,
}

impl Error {
    /// Stable code for machines (CLI `--json`, IPC); never changes once shipped.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::WrongPassphrase => ErrorCode::WrongPassphrase,
            Error::KdfBelowFloor => ErrorCode::KdfBelowFloor,
            Error::KdfAboveCeiling => ErrorCode::KdfAboveCeiling,
            Error::KeyringDamaged { .. } => ErrorCode::KeyringDamaged,
            Error::RoleNotSigned { .. } => ErrorCode::RoleNotSigned,
            Error::DatabaseDamaged { .. } => ErrorCode::DatabaseDamaged,
            Error::VaultExists { .. } => ErrorCode::VaultExists,
            Error::VaultNotFound { .. } => ErrorCode::VaultNotFound,
            Error::Forbidden { .. } => ErrorCode::Forbidden,
            Error::CompartmentLocked { .. } => ErrorCode::CompartmentLocked,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::Invalid { .. } => ErrorCode::Invalid,
            Error::UserExists(_) => ErrorCode::UserExists,
            Error::LastAdmin => ErrorCode::LastAdmin,
            Error::Io { .. } => ErrorCode::Io,
            Error::Mail(_) => ErrorCode::Mail,
            Error::Suppressed { .. } => ErrorCode::Suppressed,
            Error::Restricted { .. } => ErrorCode::Restricted,
            Error::SyncNotSetUp => ErrorCode::SyncNotSetUp,
            Error::SyncFolder { .. } => ErrorCode::SyncFolder,
            Error::Store(_) => ErrorCode::Store,
            Error::Cancelled => ErrorCode::Cancelled,
        }
    }

    /// The input field an error is about, for showing it next to that field.
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::Invalid { field, .. } | Error::CompartmentLocked { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Maps an OS error on `path` to [`Error::Io`].
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    /// A store error that says the file at `path` itself does not read
    /// back becomes [`Error::DatabaseDamaged`] naming it; any other error
    /// (a busy database, a full disk, a rule) is returned unchanged.
    pub(crate) fn in_database(self, path: &Path) -> Error {
        let detail = match &self {
            Error::Store(class) => damage(class),
            _ => None,
        };
        match detail {
            Some(detail) => Error::DatabaseDamaged {
                path: path.to_path_buf(),
                detail: detail.into(),
            },
            None => self,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The stable machine code of an [`Error`], one per variant: what the CLI's
/// `--json` output and the desktop shell report, and what the UI and
/// scripts match on (never the message). Serialised as the snake_case
/// name, e.g. `wrong_passphrase`; a code never changes once shipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ErrorCode {
    /// [`Error::WrongPassphrase`].
    WrongPassphrase,
    /// [`Error::KdfBelowFloor`].
    KdfBelowFloor,
    /// [`Error::KdfAboveCeiling`].
    KdfAboveCeiling,
    /// [`Error::KeyringDamaged`].
    KeyringDamaged,
    /// [`Error::RoleNotSigned`].
    RoleNotSigned,
    /// [`Error::DatabaseDamaged`].
    DatabaseDamaged,
    /// [`Error::VaultExists`].
    VaultExists,
    /// [`Error::VaultNotFound`].
    VaultNotFound,
    /// [`Error::Forbidden`].
    Forbidden,
    /// [`Error::CompartmentLocked`].
    CompartmentLocked,
    /// [`Error::NotFound`].
    NotFound,
    /// [`Error::Invalid`].
    Invalid,
    /// [`Error::UserExists`].
    UserExists,
    /// [`Error::LastAdmin`].
    LastAdmin,
    /// [`Error::Io`].
    Io,
    /// [`Error::Mail`].
    Mail,
    /// [`Error::Suppressed`].
    Suppressed,
    /// [`Error::Restricted`].
    Restricted,
    /// [`Error::SyncNotSetUp`].
    SyncNotSetUp,
    /// [`Error::SyncFolder`].
    SyncFolder,
    /// [`Error::Store`].
    Store,
    /// [`Error::Cancelled`].
    Cancelled,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 22] = [
        ErrorCode::WrongPassphrase,
        ErrorCode::KdfBelowFloor,
        ErrorCode::KdfAboveCeiling,
        ErrorCode::KeyringDamaged,
        ErrorCode::RoleNotSigned,
        ErrorCode::DatabaseDamaged,
        ErrorCode::VaultExists,
        ErrorCode::VaultNotFound,
        ErrorCode::Forbidden,
        ErrorCode::CompartmentLocked,
        ErrorCode::NotFound,
        ErrorCode::Invalid,
        ErrorCode::UserExists,
        ErrorCode::LastAdmin,
        ErrorCode::Io,
        ErrorCode::Mail,
        ErrorCode::Suppressed,
        ErrorCode::Restricted,
        ErrorCode::SyncNotSetUp,
        ErrorCode::SyncFolder,
        ErrorCode::Store,
        ErrorCode::Cancelled,
    ];

    /// The code as text, the same as its JSON form.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::WrongPassphrase => "wrong_passphrase",
            ErrorCode::KdfBelowFloor => "kdf_below_floor",
            ErrorCode::KdfAboveCeiling => "kdf_above_ceiling",
            ErrorCode::KeyringDamaged => "keyring_damaged",
            ErrorCode::RoleNotSigned => "role_not_signed",
            ErrorCode::DatabaseDamaged => "database_damaged",
            ErrorCode::VaultExists => "vault_exists",
            ErrorCode::VaultNotFound => "vault_not_found",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::CompartmentLocked => "compartment_locked",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Invalid => "invalid",
            ErrorCode::UserExists => "user_exists",
            ErrorCode::LastAdmin => "last_admin",
            ErrorCode::Io => "io",
            ErrorCode::Mail => "mail",
            ErrorCode::Suppressed => "suppressed",
            ErrorCode::Restricted => "restricted",
            ErrorCode::SyncNotSetUp => "sync_not_set_up",
            ErrorCode::SyncFolder => "sync_folder",
            ErrorCode::Store => "store",
            ErrorCode::Cancelled => "cancelled",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// What a class of [`Error::Store`] (as `From<rusqlite::Error>` names it)
/// says about the file, if it says the file is damaged.
fn damage(class: &str) -> Option<&'static str> {
    use rusqlite::ErrorCode as C;
    [
        // SQLCipher fails the read of a page whose authentication code does
        // not verify with SQLite's generic error (SQLITE_ERROR).
        (
            C::Unknown,
            "a page does not read back: it fails SQLCipher's authentication",
        ),
        (C::DatabaseCorrupt, "SQLite finds its structure malformed"),
        (C::NotADatabase, "it is not a database"),
        (C::SystemIoFailure, "reading it failed"),
    ]
    .into_iter()
    .find(|(code, _)| format!("{code:?}") == class)
    .map(|(_, detail)| detail)
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        // Only the error class crosses: SQLite messages can quote SQL and values.
        let class = match &e {
            rusqlite::Error::SqliteFailure(f, _) => format!("{:?}", f.code),
            rusqlite::Error::QueryReturnedNoRows => "no rows".into(),
            _ => "internal".into(),
        };
        Error::Store(class)
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn codes_serialise_as_their_text_and_are_distinct() {
        for (i, c) in ErrorCode::ALL.into_iter().enumerate() {
            assert_eq!(
                serde_json::to_value(c).expect("json"),
                serde_json::json!(c.as_str())
            );
            assert_eq!(c, c.as_str());
            assert!(!ErrorCode::ALL[i + 1..].contains(&c), "{c} twice");
        }
    }
}
