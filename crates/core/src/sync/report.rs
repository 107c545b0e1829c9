//! What a sync reports: its summary, and the files it skipped with why.

use serde::{Deserialize, Serialize};

/// What one sync did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncReport {
    /// Changes written to the folder.
    pub sent_changes: u64,
    /// Removals (erasures, deletions) written.
    pub sent_removals: u64,
    /// Segments written.
    pub sent_segments: u64,
    /// Changes received and applied (not counting those already here).
    pub received_changes: u64,
    /// Removals received.
    pub received_removals: u64,
    /// Segments read and applied.
    pub received_segments: u64,
    /// Whether this sync compacted the folder.
    pub compacted: bool,
    /// Files skipped and why.
    pub problems: Vec<SyncProblem>,
}

/// A file of the folder that was skipped, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncProblem {
    /// Stable code: damaged, forged, unknown_device, cloned_device,
    /// clock_ahead, keyring, retired, other_keys, old_keys, refused (changes
    /// made beyond the author's role or in another user's name).
    pub code: String,
    /// The file, relative to the folder.
    pub file: String,
    /// What happened and what it means.
    pub message: String,
}

pub(super) fn problem(code: &str, file: String, message: impl Into<String>) -> SyncProblem {
    SyncProblem {
        code: code.into(),
        file,
        message: message.into(),
    }
}
