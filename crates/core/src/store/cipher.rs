//! How a connection is keyed: SQLCipher's raw-key pragma, the page formats
//! a database may be in, and the error that names a damaged file.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::crypto::Key32;
use crate::error::{Error, Result};

/// The value of SQLCipher's `key` and `rekey` pragmas for a raw key. The
/// quotes inside matter: x'…' marks a raw key, so SQLCipher skips its own
/// passphrase KDF.
pub(super) fn key_pragma(key: &Key32) -> zeroize::Zeroizing<String> {
    // Sized once, so that no copy of the key is left behind by growing.
    let hex = key.to_hex();
    let mut pragma = zeroize::Zeroizing::new(String::with_capacity(hex.len() + 3));
    pragma.push_str("x'");
    pragma.push_str(hex.as_str());
    pragma.push('\'');
    pragma
}

/// How SQLCipher lays out and authenticates a database's pages. Chosen
/// when the database is created, found by trying when it is opened (see
/// `docs/security.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageFormat {
    /// 16 KiB pages, HMAC-SHA256 (AES-256-CBC as always): a quarter of the
    /// pages to encrypt and authenticate per byte written, and a MAC that
    /// current x86 and ARM processors compute in hardware.
    Large,
    /// SQLCipher 4's defaults, 4 KiB pages and HMAC-SHA512: the databases
    /// of vaults created before the large format.
    Classic,
}

impl PageFormat {
    /// The format of new databases.
    pub(super) const NEW: PageFormat = PageFormat::Large;

    pub(super) fn page_size(self) -> u32 {
        match self {
            PageFormat::Large => 16_384,
            PageFormat::Classic => 4096,
        }
    }

    /// The order to try the formats in when opening `path`: the large one
    /// first only if the file's size allows it and no rollback journal is
    /// left beside it (by a key rotation that stopped). Replaying such a
    /// journal in a trial with pages larger than the file's could overrun
    /// SQLCipher's page buffer; with smaller pages it cannot.
    pub(super) fn likely(path: &Path) -> [PageFormat; 2] {
        let journal = PathBuf::from(format!("{}-journal", path.display())).exists();
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        if !journal && size.is_multiple_of(u64::from(PageFormat::Large.page_size())) {
            [PageFormat::Large, PageFormat::Classic]
        } else {
            [PageFormat::Classic, PageFormat::Large]
        }
    }

    /// The pragmas that select it, after the key and before the first read.
    fn pragmas(self) -> String {
        match self {
            PageFormat::Large => format!(
                "PRAGMA cipher_page_size = {}; PRAGMA cipher_hmac_algorithm = HMAC_SHA256;",
                self.page_size()
            ),
            PageFormat::Classic => String::new(),
        }
    }
}

/// A connection keyed for `format`, if the database reads with it (a new,
/// empty file always does). SQLCipher's own log of decryption failures is
/// off: we report them ourselves, naming the file.
pub(super) fn connect(
    path: &Path,
    flags: OpenFlags,
    key: &Key32,
    format: PageFormat,
) -> Result<Option<Connection>> {
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|_| damaged(path, "cannot open the file"))?;
    let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE;");
    let pragma = key_pragma(key);
    conn.pragma_update(None, "key", pragma.as_str())
        .map_err(|_| damaged(path, "cannot set the key"))?;
    conn.execute_batch(&format.pragmas())
        .map_err(|_| damaged(path, "cannot set the key"))?;
    let readable = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .is_ok();
    Ok(readable.then_some(conn))
}

pub(super) fn damaged(path: &Path, detail: &str) -> Error {
    Error::DatabaseDamaged {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}
