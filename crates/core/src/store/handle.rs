//! The [`Store`] itself: its connection, what it keeps in memory of the
//! database, and the checkpoint that may be running beside it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use rusqlite::Connection;
use uuid::Uuid;

use super::cipher::PageFormat;
use crate::crypto::Key32;

/// The store. Its page cache is 64 MiB: every page SQLCipher has to read
/// back from disk is decrypted and authenticated again, so a cache that
/// holds the working set of a 100k-contact vault keeps encryption cheap.
pub struct Store {
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
    /// The retention rules in force (reloaded when one changes).
    pub(super) rules: Vec<crate::model::retention::RetentionRule>,
    /// The database key and page format (none for the plain baseline),
    /// for the connection that checkpoints beside this one after a batch.
    pub(super) key: Option<(Key32, PageFormat)>,
    /// That checkpoint, while it may still run: whatever needs the WAL
    /// empty or the database to itself waits for it first ([`Store::settle`]).
    pub(super) checkpointer: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    /// The connection's change count when the current batch began.
    pub(super) batch_start: u64,
    /// Between [`Store::begin_batch`] and its end.
    pub(super) in_batch: bool,
    /// Records the batch changed, whose derived rows are refreshed before
    /// it commits.
    pub(super) touched: BTreeSet<Uuid>,
}

impl Drop for Store {
    fn drop(&mut self) {
        self.settle();
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    pub(super) fn checkpointer_slot(
        &self,
    ) -> std::sync::MutexGuard<'_, Option<std::thread::JoinHandle<()>>> {
        self.checkpointer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits for the checkpoint beside to finish, if one runs.
    pub(super) fn settle(&self) {
        let running = self.checkpointer_slot().take();
        if let Some(handle) = running {
            let _ = handle.join();
        }
    }
}
