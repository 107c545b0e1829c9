//! Sync between laptops through a folder they already share.
//!
//! Each device appends immutable, signed, sealed segments of its own ops
//! and removals to `log/<device>/<seq>.seg`; every device reads the others'
//! segments and applies them (last writer wins per field, by HLC, device
//! and op id). Values about a person are sealed a second time under a key
//! derived from that person's subject key, so destroying it on erasure
//! leaves nothing decryptable, and compaction replaces what every device
//! has acknowledged by a snapshot without the erased. The format is
//! specified in `docs/sync-format.md`.
//!
//! Its files, from the ground up: `report`, `wire` and `file` (what is
//! reported and what is written), `folder` and `keys`, `team` and `admit`
//! (who writes, and what each may), `apply`, `compact`, `pull`, `push`,
//! `join`, and `run` (one whole sync).

mod admit;
mod apply;
mod backup;
mod compact;
mod file;
mod folder;
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing;
mod join;
mod keys;
mod pull;
mod push;
mod report;
mod run;
mod team;
mod wire;

pub use backup::{
    BackupCheck, BackupInfo, BackupReport, BackupStatus, RestoreReport, RestoreRequest,
    newest_backup, restore, restore_default_user,
};
#[cfg(feature = "bench-baseline")]
pub use join::join_plain_baseline;
pub use join::{default_user, join};
pub use report::{SyncProblem, SyncReport};
pub use run::SyncStatus;
pub use team::DeviceInfo;
