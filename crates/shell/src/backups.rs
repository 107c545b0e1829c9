//! Commands for backups: the state for the status bar and the Backups
//! view, setting a folder up, backing up now, the list and its check, and
//! restore from the start screen. Each calls one core operation. The app
//! runs [`daily_backup`] with the daily sweep; a failure is kept by the
//! core for the status bar, never raised.

use std::path::Path;

use tresor_core::model::backups::Rotation;
use tresor_core::sync::{BackupCheck, BackupInfo, BackupReport, BackupStatus, RestoreRequest};

use crate::commands::{AppState, Res, with_session};
use crate::dto::{IpcCode, IpcError, Restored};

/// Folder, whether it is there, rotation, the last backup and its result.
pub fn backup_status(state: &AppState) -> Res<BackupStatus> {
    with_session(state, |s| s.backup_status())
}

/// Chooses the backup folder and the rotation, and takes the first backup.
pub fn backup_setup(state: &AppState, folder: String, rotation: Rotation) -> Res<BackupReport> {
    with_session(state, |s| {
        s.backup_setup(Path::new(folder.trim()), rotation)
    })
}

/// A backup now.
pub fn backup_now(state: &AppState) -> Res<BackupReport> {
    with_session(state, |s| s.backup())
}

/// The backups in the folder, newest first.
pub fn list_backups(state: &AppState) -> Res<Vec<BackupInfo>> {
    with_session(state, |s| s.backup_list())
}

/// Every backup in the folder opened and checked.
pub fn verify_backups(state: &AppState) -> Res<Vec<BackupCheck>> {
    with_session(state, |s| s.backup_verify(None))
}

/// One file, from the system's file dialog (`None` when cancelled).
pub fn pick_backup_file(state: &AppState, title: String) -> Res<Option<String>> {
    let title = title.lines().next().unwrap_or_default().trim();
    Ok(state
        .files_picker
        .get()
        .and_then(|pick| pick(title).into_iter().next())
        .map(|p| p.display().to_string()))
}

/// Restores a backup into the app's own vault directory and signs in; a
/// vault there is replaced only with `replace` (and kept aside). With the
/// recovery kit's key, `passphrase` becomes the admin's new one.
pub fn restore_backup(
    state: &AppState,
    file: String,
    user: String,
    passphrase: String,
    replace: bool,
    recovery: Option<String>,
) -> Res<Restored> {
    let file = std::path::PathBuf::from(file.trim());
    let recovery = recovery
        .as_deref()
        .map(tresor_core::keyring::RecoveryKey::parse)
        .transpose()?;
    let user = match user.trim() {
        "" => tresor_core::sync::restore_default_user(&file)?,
        u => u.to_owned(),
    };
    let (session, report) = state.sign_in_new(|dir, clock| {
        tresor_core::sync::restore(
            RestoreRequest {
                file: &file,
                dir,
                user: &user,
                passphrase: passphrase.as_bytes(),
                replace,
                recovery: recovery.as_ref(),
            },
            clock,
        )
    })?;
    Ok(Restored { session, report })
}

/// The day's backup of a vault left open, as the app runs it beside the
/// daily sweep. A locked vault is skipped; a failure is kept by the core
/// for the status bar and reported on stderr.
pub fn daily_backup(state: &AppState) {
    let result = with_session(state, |s| s.backup_if_due());
    if let Err(IpcError { code, .. }) = result
        && code != IpcCode::Locked
    {
        eprintln!("tresor: the daily backup failed ({code})");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tresor_core::clock::{Clock, SystemClock};
    use tresor_core::crypto::KdfParams;
    use tresor_core::model::contacts::FieldChange;
    use tresor_core::session::Session;

    use super::*;

    const PASS: &str = "Sommer-Regen-2026!";

    #[test]
    fn a_backup_made_in_the_app_restores_over_its_vault_only_when_asked() {
        let tmp = tempfile::tempdir().expect("tmp");
        let home = tmp.path().join("vault");
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let (s, _) = Session::create(&home, "ada", PASS.as_bytes(), KdfParams::FLOOR, clock)
            .expect("create");
        drop(s);
        let state = AppState::at(home);
        crate::commands::unlock(&state, "ada".into(), PASS.into()).expect("unlock");
        crate::commands::add_contact(
            &state,
            vec![FieldChange {
                field: "given_name".into(),
                values: vec!["Max".into()],
            }],
        )
        .expect("add");
        let stick = tmp.path().join("stick");
        let first =
            backup_setup(&state, stick.display().to_string(), Rotation::default()).expect("setup");
        assert_eq!(first.people, 1);
        let status = backup_status(&state).expect("status");
        assert!(status.present && status.may_manage);
        assert_eq!(list_backups(&state).expect("list").len(), 1);
        assert!(verify_backups(&state).expect("verify").iter().all(|c| c.ok));
        crate::commands::lock(&state).expect("lock");

        let refused = restore_backup(
            &state,
            first.backup.file.clone(),
            String::new(),
            PASS.into(),
            false,
            None,
        )
        .map(|_| ())
        .expect_err("a vault is there");
        assert_eq!(refused.code.as_str(), "vault_exists");
        let done = restore_backup(
            &state,
            first.backup.file,
            String::new(),
            PASS.into(),
            true,
            None,
        )
        .expect("restore");
        assert_eq!(done.session.user, "ada");
        assert!(done.report.replaced_kept.is_some());
        let page = crate::commands::list_contacts(&state, 0, 10, None).expect("list");
        assert_eq!(page.total, 1);
    }
}
