//! One sync from start to end (keys, cards, pull, push, ack, compaction),
//! setting a folder up, and the state shown in the status bar.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::keyring::Keyring;
use crate::model::roles::Action;
use crate::session::Session;

use super::file::Layout;
use super::folder::{folder_err, rel};
use super::report::{SyncProblem, SyncReport, problem};
use super::wire::ms_to_time;

/// The sync state, for the status bar.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    /// The shared folder, when set up.
    pub folder: Option<String>,
    /// This device.
    pub device: String,
    /// When the last sync finished.
    pub last_sync: Option<DateTime<Utc>>,
    /// When a sync last brought changes from another laptop (views that
    /// show data refresh when it moves).
    pub last_received: Option<DateTime<Utc>>,
    /// Local changes not yet in the folder.
    pub pending_changes: u64,
    /// Problems of the last sync.
    pub problems: Vec<SyncProblem>,
    /// The signed-in user's role now: keys taken over from another laptop
    /// may have changed it (the app then fetches its session again).
    pub role: crate::model::roles::Role,
}

impl Session {
    /// Publishes this vault's team to a shared folder (empty, or holding
    /// the same vault's team) and sends every change. Admins only.
    pub fn sync_setup(&mut self, folder: &Path) -> Result<SyncReport> {
        self.require(Action::ManageUsers)?;
        self.device_uuid()?;
        std::fs::create_dir_all(folder).map_err(Error::io(folder))?;
        let abs = std::fs::canonicalize(folder).map_err(Error::io(folder))?;
        let vault_abs = std::fs::canonicalize(self.vault().dir())
            .unwrap_or_else(|_| self.vault().dir().to_path_buf());
        if vault_abs.starts_with(&abs) {
            return Err(Error::invalid(
                "folder",
                "the shared folder must not contain the vault itself; the database stays on this laptop",
            ));
        }
        let layout = Layout::new(&abs);
        if layout.keyring().exists() {
            let bytes = std::fs::read(layout.keyring()).map_err(Error::io(layout.keyring()))?;
            let theirs = Keyring::parse(&bytes, &layout.keyring())?;
            if theirs.vault_id != self.vault().keyring()?.vault_id {
                return Err(folder_err(
                    &abs,
                    "it already holds another vault's team; choose an empty folder",
                ));
            }
        } else if std::fs::read_dir(&abs).map_err(Error::io(&abs))?.any(|e| {
            e.ok()
                .and_then(|e| e.file_name().to_str().map(|n| !n.starts_with('.')))
                .unwrap_or(false)
        }) {
            return Err(folder_err(
                &abs,
                "it is not empty; choose an empty folder for the team",
            ));
        }
        self.store
            .set_meta("sync_folder", &abs.display().to_string())?;
        self.sync()
    }

    /// Pushes and pulls once: reads what the other devices wrote, applies
    /// it, writes this device's new changes, acknowledges, and compacts
    /// when every device has read everything. Any role.
    pub fn sync(&mut self) -> Result<SyncReport> {
        self.sync_with(false)
    }

    /// As [`Session::sync`]; with `compact`, compacts whenever every
    /// active device has acknowledged everything.
    pub fn sync_with(&mut self, compact: bool) -> Result<SyncReport> {
        let layout = self.layout()?;
        // One sync at a time per vault (the app and the command line may
        // both run): two would write the same segment number.
        let lock_path = self.vault().dir().join("sync.lock");
        let lock = std::fs::File::create(&lock_path).map_err(Error::io(&lock_path))?;
        lock.lock().map_err(Error::io(&lock_path))?;
        let me = self.device_uuid()?;
        let signer = self.signing_key()?;
        let mut report = SyncReport::default();
        // First: keys changed on another laptop are taken over before
        // anything is read or written.
        let stale = self.sync_keyring(&layout, &mut report)?;
        let tk = self.team_keys();
        self.publish_card(&layout, me, &tk, &signer)?;
        let team = self.read_team(&layout, &tk, &mut report)?;
        let erased = self.pull(&layout, &team, &tk, &mut report)?;
        if erased {
            // At once: should pushing fail below, the erased person's
            // freed pages are still cleared (the next sync would not know).
            self.after_removal()?;
        }
        if stale {
            // Nothing is sent under keys that were replaced.
        } else if team.retired.contains_key(&me) {
            report.problems.push(problem(
                "retired",
                rel(&layout, &layout.retirement(me)),
                "an admin retired this laptop: it still receives, but what is changed here is not sent; join the team again with `tresor join` to take part",
            ));
        } else {
            self.push(&layout, me, &tk, &signer, &mut report)?;
        }
        if !stale {
            self.write_ack(&layout, me, &tk, &signer)?;
        }
        if !stale && !team.retired.contains_key(&me) {
            report.compacted = self.maybe_compact(&layout, &team, me, &tk, &signer, compact)?;
        }
        let now = self.now().timestamp_millis();
        self.store.set_meta("sync_last", &now.to_string())?;
        if report.received_changes + report.received_removals > 0 {
            self.store
                .set_meta("sync_last_received", &now.to_string())?;
        }
        self.store.set_meta(
            "sync_problems",
            &serde_json::to_string(&report.problems).unwrap_or_default(),
        )?;
        Ok(report)
    }

    /// The sync state: folder, last sync, changes waiting, problems.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let folder = self.store.meta("sync_folder")?;
        let pending_changes = if folder.is_some() {
            self.store.outbox_len()?
        } else {
            0
        };
        Ok(SyncStatus {
            folder,
            device: self.device().to_owned(),
            last_sync: self
                .store
                .meta("sync_last")?
                .and_then(|s| s.parse().ok())
                .map(ms_to_time),
            last_received: self
                .store
                .meta("sync_last_received")?
                .and_then(|s| s.parse().ok())
                .map(ms_to_time),
            pending_changes,
            problems: self
                .store
                .meta("sync_problems")?
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default(),
            role: self.role(),
        })
    }
}
