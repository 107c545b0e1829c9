//! The encrypted SQLite store: opening, migrations, and every SQL statement.
//!
//! The database is SQLCipher keyed with a random 256-bit raw key (never a
//! passphrase), in WAL mode with `secure_delete` and in-memory temp storage
//! so no page of plaintext reaches a temp file. No SQL exists outside this
//! module. It trusts its caller for permissions: [`crate::session`] checks them.
//!
//! One file per topic, each importing only files named after it here:
//! `journal` (applying changes, batches, the rows derived from them),
//! `open` (creating, opening, rekeying and checking the file), `forget`
//! (removals and their tombstones), `directory` (the search index), `due`
//! (retention dates), `followups` (the follow-ups' lists), `peers` (what other devices are sent and have sent),
//! `records` (reading records), `handle` (the [`Store`] itself), `cipher`
//! (how a connection is keyed) and `rows` (ops as rows). This file only
//! hands their names on.

mod cipher;
mod directory;
pub mod due;
mod followups;
mod forget;
mod handle;
mod journal;
mod open;
mod peers;
mod records;
mod rows;

pub use directory::DirectoryRow;
pub use followups::{FollowUpQuery, FollowUpRow};
pub use handle::Store;
pub use open::PageFindings;
pub use peers::{ForgetRow, SnapshotParts};
pub use records::{OpRow, SealedCell, SealedTable};
