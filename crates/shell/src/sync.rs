//! Commands for sync through a shared folder: the state for the status bar,
//! syncing now, the team's devices, setting up a folder, retiring a device
//! and joining a team. Each calls one core operation. While a vault that
//! syncs is unlocked, the app calls [`auto_sync`] every few seconds; a failed
//! sync is kept in [`SyncFailures`] for the status bar, never raised.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tresor_core::ErrorCode;
use tresor_core::session::{Session, SessionInfo};
use tresor_core::sync::{DeviceInfo, SyncReport};

use crate::commands::{AppState, Res, with_session};
use crate::dto::{IpcCode, IpcError, SyncState};

/// How long the shell waits between syncs of its own.
pub const EVERY: Duration = Duration::from_secs(5);

/// Why the last sync failed, per device, until a sync succeeds. Keyed by
/// device so that another vault signed in later does not show it.
#[derive(Default)]
pub struct SyncFailures(Mutex<Option<(String, IpcError)>>);

impl SyncFailures {
    fn slot(&self) -> MutexGuard<'_, Option<(String, IpcError)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[cfg(feature = "serve")]
    pub(crate) fn clear(&self) {
        *self.slot() = None;
    }

    fn of(&self, device: &str) -> Option<IpcError> {
        self.slot()
            .as_ref()
            .filter(|(d, _)| d == device)
            .map(|(_, e)| e.clone())
    }

    fn record(&self, device: String, error: Option<&IpcError>) {
        // A vault without a folder has nothing to report.
        *self.slot() = error
            .filter(|e| e.code != IpcCode::Core(ErrorCode::SyncNotSetUp))
            .map(|e| (device, e.clone()));
    }
}

/// Runs a sync-like operation and keeps its failure (or success) for the
/// status bar.
fn recorded(
    state: &AppState,
    failures: &SyncFailures,
    op: impl FnOnce(&mut Session) -> tresor_core::Result<SyncReport>,
) -> Res<SyncReport> {
    let (device, result) = with_session(state, |s| Ok((s.device().to_owned(), op(s))))?;
    let result = result.map_err(IpcError::from);
    failures.record(device, result.as_ref().err());
    result
}

/// Folder, last sync, changes waiting, problems, and the last failure.
pub fn sync_status(state: &AppState) -> Res<SyncState> {
    let status = with_session(state, |s| s.sync_status())?;
    let error = state.sync_failures().of(&status.device);
    Ok(SyncState { status, error })
}

/// Pushes and pulls once.
pub fn sync_now(state: &AppState) -> Res<SyncReport> {
    recorded(state, state.sync_failures(), Session::sync)
}

/// The team's devices as the folder shows them.
pub fn sync_devices(state: &AppState) -> Res<Vec<DeviceInfo>> {
    with_session(state, |s| s.devices())
}

/// Publishes the vault's team to a shared folder (admin).
pub fn sync_setup(state: &AppState, folder: String) -> Res<SyncReport> {
    with_session(state, |s| s.sync_setup(Path::new(folder.trim())))
}

/// Retires a device that has gone silent (admin).
pub fn retire_device(state: &AppState, id: String) -> Res<()> {
    with_session(state, |s| s.retire_device(&id))
}

/// Joins the team in a shared folder: builds a new local vault in the app's
/// own vault directory (refused if one is there) and signs in.
pub fn join_team(
    state: &AppState,
    folder: String,
    user: String,
    passphrase: String,
) -> Res<SessionInfo> {
    let (info, _report) = state.sign_in_new(|dir, clock| {
        tresor_core::sync::join(
            Path::new(folder.trim()),
            dir,
            user.trim(),
            passphrase.as_bytes(),
            clock,
        )
    })?;
    Ok(info)
}

/// One sync of the shell's own, as the app runs every [`EVERY`] while it
/// is open. The session lock is held for the one sync and never while
/// waiting; a locked vault or one without a folder is skipped silently,
/// and a failure is kept for the status bar.
pub fn auto_sync(state: &AppState) {
    let _ = recorded(state, state.sync_failures(), Session::sync);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tresor_core::clock::{Clock, SystemClock};
    use tresor_core::crypto::KdfParams;
    use tresor_core::vault::VaultDir;

    use super::*;

    const PASS: &[u8] = b"Sommer-Regen-2026!";

    fn err(code: ErrorCode) -> IpcError {
        IpcError {
            code: code.into(),
            message: "what happened".into(),
            field: None,
        }
    }

    #[test]
    fn a_failure_is_kept_for_its_device_until_a_sync_succeeds() {
        let failures = SyncFailures::default();
        failures.record("a".into(), Some(&err(ErrorCode::SyncFolder)));
        assert_eq!(
            failures.of("a").map(|e| e.code.as_str()),
            Some("sync_folder")
        );
        assert!(failures.of("b").is_none(), "another vault does not show it");
        failures.record("a".into(), None);
        assert!(failures.of("a").is_none());
        failures.record("a".into(), Some(&err(ErrorCode::SyncNotSetUp)));
        assert!(failures.of("a").is_none(), "no folder, nothing to report");
    }

    #[test]
    fn joining_builds_the_vault_in_the_apps_own_directory_once_and_syncs_from_there() {
        let tmp = tempfile::tempdir().expect("tmp");
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let (mut first, _) = Session::create(
            &tmp.path().join("first"),
            "anna",
            PASS,
            KdfParams::FLOOR,
            clock,
        )
        .expect("create");
        let team = tmp.path().join("team");
        first.sync_setup(&team).expect("setup");

        let home = tmp.path().join("home");
        let state = AppState::at(home.clone());
        let join = |dir: &Path, clock| tresor_core::sync::join(&team, dir, "anna", PASS, clock);
        let (info, _) = state.sign_in_new(join).expect("join");
        assert_eq!(info.user, "anna");
        assert!(VaultDir::new(&home).exists());
        let dir = with_session(&state, |s| Ok(s.vault().dir().to_path_buf())).expect("open");
        assert_eq!(dir, home, "the joined vault is the one in use");

        // Syncing records its outcome for the status bar, by device.
        let failures = SyncFailures::default();
        recorded(&state, &failures, Session::sync).expect("sync");
        let device = with_session(&state, |s| s.sync_status())
            .expect("status")
            .device;
        assert!(failures.of(&device).is_none());
        let away = tmp.path().join("unplugged");
        std::fs::rename(&team, &away).expect("unplug");
        let failed = recorded(&state, &failures, Session::sync).expect_err("no folder");
        assert_eq!(failed.code, "sync_folder");
        assert_eq!(
            failures.of(&device).map(|e| e.code.as_str()),
            Some("sync_folder")
        );

        // A second join is refused with the core's error: a vault is there.
        std::fs::rename(&away, &team).expect("plug in");
        recorded(&state, &failures, Session::sync).expect("sync again");
        assert!(
            failures.of(&device).is_none(),
            "cleared by a sync that worked"
        );
        let again = state.sign_in_new(join).expect_err("vault exists");
        assert_eq!(again.code, "vault_exists");
    }
}
