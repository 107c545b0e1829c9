//! The shell's state and its commands for the vault, contacts and users:
//! each a few lines that call `tresor_core::session` and map the result.
//! State is one mutex around the open session; locking drops the session,
//! which closes the database and wipes the keys.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use tresor_core::ErrorCode;
use tresor_core::clock::{Clock, SystemClock};
use tresor_core::crypto::KdfParams;
use tresor_core::demo;
use tresor_core::model::bulk::{BulkAction, BulkReport};
use tresor_core::model::contacts::{
    ContactView, FieldChange, HistoryEntry, InteractionInput, RecordId,
};
use tresor_core::model::directory::ListOrder;
use tresor_core::model::roles::Role;
use tresor_core::session::doctor::Check;
use tresor_core::session::{Session, SessionInfo, UserInfo};
use tresor_core::store::DirectoryRow;
use tresor_core::vault::{self, VaultDir};

use crate::dto::{AppStatus, ContactPage, Created, IpcError, NewInteraction};

/// A command's result: its value, or the error the window shows.
pub type Res<T> = Result<T, IpcError>;

/// People in a new demo vault.
const DEMO_PEOPLE: usize = 2_000;

struct Inner {
    vault_dir: PathBuf,
    /// The app's own vault directory (TRESOR_VAULT or the OS data
    /// directory), whichever vault is open now.
    home_dir: PathBuf,
    demo_dir: PathBuf,
    is_demo: bool,
    /// Open the demo vault at the first status request if no vault exists.
    start_demo: bool,
    session: Option<Session>,
    /// Where exports are written.
    export_dir: PathBuf,
    /// Files in the export folder the last erasure named: the only ones
    /// the window may have deleted.
    erased_files: Vec<String>,
}

/// What a command that saves a file asks the person where to put: the
/// dialog's title, the folder it opens in, the suggested file name and the
/// filter's label and extension.
#[derive(Debug, Clone)]
pub struct SaveAsk {
    /// The dialog's title, in the language of the window.
    pub title: String,
    /// The folder the dialog starts in.
    pub dir: PathBuf,
    /// The suggested file name.
    pub file_name: String,
    /// The filter's label, in the language of the window.
    pub filter: String,
    /// The filter's extension, without the dot.
    pub extension: &'static str,
}

/// Asks where to save a file; `None` when the person cancelled.
pub type SavePicker = Box<dyn Fn(&SaveAsk) -> Option<PathBuf> + Send + Sync>;

/// Asks for a folder, under a title in the language of the window; `None`
/// when the person cancelled.
pub type FolderPicker = Box<dyn Fn(&str) -> Option<PathBuf> + Send + Sync>;

/// Asks for files to open (an import), under a title in the language of
/// the window; none when the person cancelled.
pub type FilesPicker = Box<dyn Fn(&str) -> Vec<PathBuf> + Send + Sync>;

/// Where a state keeps its vaults and exports, and how it keeps time.
pub struct StateConfig {
    /// The app's own vault directory.
    pub vault_dir: PathBuf,
    /// The demo vault's directory.
    pub demo_dir: PathBuf,
    /// Where exports are written.
    pub export_dir: PathBuf,
    /// Open the demo vault at the first status request if no vault exists.
    pub start_demo: bool,
    /// The clock of every session.
    pub clock: Arc<dyn Clock>,
    /// Key derivation for a new vault: `None` calibrates to half a second.
    pub kdf: Option<KdfParams>,
}

/// The shell's state: the open session and where it lives. The app
/// registers it once with `manage`; the development server holds one.
pub struct AppState {
    inner: Mutex<Inner>,
    clock: Arc<dyn Clock>,
    kdf: Option<KdfParams>,
    sync_failures: crate::sync::SyncFailures,
    save_picker: std::sync::OnceLock<SavePicker>,
    folder_picker: std::sync::OnceLock<FolderPicker>,
    pub(crate) files_picker: std::sync::OnceLock<FilesPicker>,
    /// How far the running import is (read without the session's lock).
    pub(crate) import_progress: Mutex<Option<tresor_core::session::import::ImportProgress>>,
    /// Set to stop the running import.
    pub(crate) import_cancel: std::sync::atomic::AtomicBool,
}

impl AppState {
    /// A state over `config`, nothing open.
    pub fn new(config: StateConfig) -> AppState {
        AppState {
            inner: Mutex::new(Inner {
                home_dir: config.vault_dir.clone(),
                vault_dir: config.vault_dir,
                demo_dir: config.demo_dir,
                is_demo: false,
                start_demo: config.start_demo,
                session: None,
                export_dir: config.export_dir,
                erased_files: Vec::new(),
            }),
            clock: config.clock,
            kdf: config.kdf,
            sync_failures: crate::sync::SyncFailures::default(),
            save_picker: std::sync::OnceLock::new(),
            folder_picker: std::sync::OnceLock::new(),
            files_picker: std::sync::OnceLock::new(),
            import_progress: Mutex::new(None),
            import_cancel: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Vault from TRESOR_VAULT, else the OS data directory; the demo vault
    /// from TRESOR_DEMO_VAULT, else beside it. TRESOR_START_DEMO=1 opens the
    /// demo vault on first start when there is no vault yet.
    pub fn from_env() -> AppState {
        let data = dirs::data_dir().unwrap_or_else(std::env::temp_dir);
        let export_dir = std::env::var_os("TRESOR_EXPORT_DIR").map_or_else(
            || {
                dirs::document_dir()
                    .unwrap_or_else(|| data.clone())
                    .join("Tresor")
            },
            PathBuf::from,
        );
        AppState::new(StateConfig {
            vault_dir: std::env::var_os("TRESOR_VAULT")
                .map_or_else(|| data.join("tresor"), PathBuf::from),
            demo_dir: std::env::var_os("TRESOR_DEMO_VAULT")
                .map_or_else(|| data.join("tresor-demo"), PathBuf::from),
            export_dir,
            start_demo: std::env::var("TRESOR_START_DEMO").as_deref() == Ok("1"),
            clock: Arc::new(SystemClock),
            kdf: None,
        })
    }

    /// A state whose own vault directory is `dir`, nothing open (tests).
    #[cfg(test)]
    pub(crate) fn at(dir: PathBuf) -> AppState {
        AppState::new(StateConfig {
            demo_dir: dir.join("demo"),
            export_dir: dir.join("exports"),
            vault_dir: dir,
            start_demo: false,
            clock: Arc::new(SystemClock),
            kdf: Some(KdfParams::FLOOR),
        })
    }

    /// Sets how a command asks where to save a file (the app's native
    /// dialog); once. Without one, files go into the export folder under
    /// the suggested name.
    pub fn set_save_picker(&self, picker: SavePicker) {
        let _ = self.save_picker.set(picker);
    }

    /// Sets how the window asks for a folder (the app's native dialog);
    /// once. Without one, [`pick_folder`] answers "cancelled".
    pub fn set_folder_picker(&self, picker: FolderPicker) {
        let _ = self.folder_picker.set(picker);
    }

    /// Sets how the window asks for files to import (the app's native
    /// dialog); once. Without one, the window takes typed paths only.
    pub fn set_files_picker(&self, picker: FilesPicker) {
        let _ = self.files_picker.set(picker);
    }

    /// Asks where to save a file: the picker set, else the export folder.
    pub(crate) fn pick_save_path(&self, ask: &SaveAsk) -> Option<PathBuf> {
        match self.save_picker.get() {
            Some(pick) => pick(ask),
            None => Some(ask.dir.join(&ask.file_name)),
        }
    }

    /// Starts over in other folders, nothing open: the development
    /// server's fresh vault for each test.
    #[cfg(feature = "serve")]
    pub(crate) fn move_home(&self, config: &StateConfig) {
        let mut inner = self.lock();
        inner.session = None;
        inner.vault_dir = config.vault_dir.clone();
        inner.home_dir = config.vault_dir.clone();
        inner.demo_dir = config.demo_dir.clone();
        inner.export_dir = config.export_dir.clone();
        inner.is_demo = false;
        inner.start_demo = config.start_demo;
        inner.erased_files.clear();
        self.sync_failures.clear();
    }

    /// The clock of every session.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Why the last sync failed, for the status bar.
    pub(crate) fn sync_failures(&self) -> &crate::sync::SyncFailures {
        &self.sync_failures
    }

    /// The folder exports are written to: TRESOR_EXPORT_DIR, else
    /// Documents/Tresor.
    pub fn export_dir(&self) -> PathBuf {
        self.lock().export_dir.clone()
    }

    /// Remembers the files an erasure named.
    pub(crate) fn set_erased_files(&self, files: Vec<String>) {
        self.lock().erased_files = files;
    }

    /// Checks that every file was named by the last erasure (the window
    /// may not delete anything else) and forgets them.
    pub(crate) fn take_erased_files(&self, files: &[String]) -> Res<()> {
        let mut inner = self.lock();
        if let Some(f) = files.iter().find(|f| !inner.erased_files.contains(f)) {
            return Err(tresor_core::Error::Invalid {
                field: "files".into(),
                message: format!("{f} was not named by the last erasure; nothing was deleted"),
            }
            .into());
        }
        inner.erased_files.retain(|f| !files.contains(f));
        Ok(())
    }

    /// Signs in to a vault that `make` builds in the app's own vault
    /// directory, which becomes the vault in use.
    pub(crate) fn sign_in_new<R>(
        &self,
        make: impl FnOnce(&Path, Arc<dyn Clock>) -> tresor_core::Result<(Session, R)>,
    ) -> Res<(SessionInfo, R)> {
        let mut inner = self.lock();
        inner.session = None;
        let home = inner.home_dir.clone();
        let (session, made) = make(&home, self.clock.clone())?;
        let info = session.info();
        inner.session = Some(session);
        inner.vault_dir = home;
        inner.is_demo = false;
        Ok((info, made))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic in another command must not brick the app: the data is in the store.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub(crate) fn with_session<T>(
    state: &AppState,
    f: impl FnOnce(&mut Session) -> tresor_core::Result<T>,
) -> Res<T> {
    let mut inner = state.lock();
    let session = inner.session.as_mut().ok_or_else(IpcError::locked)?;
    Ok(f(session)?)
}

fn status(inner: &Inner) -> AppStatus {
    let vault = VaultDir::new(&inner.vault_dir);
    AppStatus {
        vault_dir: inner.vault_dir.display().to_string(),
        default_vault_dir: inner.home_dir.display().to_string(),
        vault_exists: vault.exists(),
        is_demo: inner.is_demo,
        users: vault
            .users()
            .map(|u| u.into_iter().map(|(n, _)| n).collect())
            .unwrap_or_default(),
        demo_passphrase: inner.is_demo.then(|| demo::DEMO_PASSPHRASE.to_owned()),
        session: inner.session.as_ref().map(Session::info),
    }
}

fn enter_demo(inner: &mut Inner, clock: &Arc<dyn Clock>) -> tresor_core::Result<()> {
    let session = demo::open_demo(&inner.demo_dir, DEMO_PEOPLE, clock.clone())?;
    inner.vault_dir = inner.demo_dir.clone();
    inner.is_demo = true;
    inner.session = Some(session);
    Ok(())
}

/// Where the app stands: which vault, which users, who is signed in.
pub fn app_status(state: &AppState) -> Res<AppStatus> {
    let mut inner = state.lock();
    if std::mem::take(&mut inner.start_demo) && !VaultDir::new(&inner.vault_dir).exists() {
        enter_demo(&mut inner, &state.clock)?;
    }
    Ok(status(&inner))
}

/// Creates a vault with its first admin; the recovery kit is returned once.
pub fn create_vault(state: &AppState, admin: String, passphrase: String) -> Res<Created> {
    let mut inner = state.lock();
    let kdf = match state.kdf {
        Some(kdf) => kdf,
        None => KdfParams::calibrate(std::time::Duration::from_millis(500))?,
    };
    let (session, recovery) = Session::create(
        &inner.vault_dir,
        &admin,
        passphrase.as_bytes(),
        kdf,
        state.clock.clone(),
    )?;
    let recovery_kit = vault::recovery_kit_text(&inner.vault_dir, &admin, &recovery);
    let info = session.info();
    inner.session = Some(session);
    inner.is_demo = false;
    Ok(Created {
        recovery_kit,
        session: info,
    })
}

/// Asks for a folder in the native dialog (a team folder, a vault's
/// folder) and returns its path; `None` when the person cancelled. The
/// window fills the path into its input: choosing is never the only way.
pub fn pick_folder(state: &AppState, title: String) -> Res<Option<String>> {
    // The title is the window's own text; only its first line is shown.
    let title = title.lines().next().unwrap_or_default().trim();
    Ok(state
        .folder_picker
        .get()
        .and_then(|pick| pick(title))
        .map(|p| p.display().to_string()))
}

/// The vault's integrity checks, as `tresor doctor` runs them.
pub fn run_doctor(state: &AppState) -> Res<Vec<Check>> {
    with_session(state, |s| s.doctor())
}

/// Switches to the vault in another directory (locked).
pub fn open_vault(state: &AppState, dir: String) -> Res<AppStatus> {
    let dir = PathBuf::from(dir.trim());
    VaultDir::new(&dir).keyring()?;
    let mut inner = state.lock();
    inner.session = None;
    inner.vault_dir = dir;
    inner.is_demo = false;
    Ok(status(&inner))
}

/// Opens the demo vault (created and filled on first use), signed in.
pub fn open_demo(state: &AppState) -> Res<AppStatus> {
    let mut inner = state.lock();
    inner.session = None;
    enter_demo(&mut inner, &state.clock)?;
    Ok(status(&inner))
}

/// Signs in.
pub fn unlock(state: &AppState, user: String, passphrase: String) -> Res<SessionInfo> {
    let mut inner = state.lock();
    inner.session = None;
    let mut session = Session::unlock(
        &inner.vault_dir,
        &user,
        passphrase.as_bytes(),
        state.clock.clone(),
    )?;
    // A failed sweep must not keep anyone out; the daily sweep tries again.
    if let Err(e) = session.sweep_at_unlock() {
        eprintln!("tresor: the retention sweep at unlock failed: {e}");
    }
    // The day's backup, after the sweep; a failure shows in the status bar.
    if let Err(e) = session.backup_if_due() {
        eprintln!("tresor: the daily backup failed: {e}");
    }
    let info = session.info();
    inner.session = Some(session);
    Ok(info)
}

/// Sets a new passphrase for an admin with the recovery key of the kit
/// printed at creation, and signs the admin in, as `tresor recover` does.
pub fn recover_passphrase(
    state: &AppState,
    admin: String,
    recovery_key: String,
    new_passphrase: String,
) -> Res<SessionInfo> {
    let key = tresor_core::keyring::RecoveryKey::parse(&recovery_key)?;
    let mut inner = state.lock();
    inner.session = None;
    let mut session = Session::recover(
        &inner.vault_dir,
        &key,
        admin.trim(),
        new_passphrase.as_bytes(),
        state.clock.clone(),
    )?;
    if let Err(e) = session.sweep_at_unlock() {
        eprintln!("tresor: the retention sweep at unlock failed: {e}");
    }
    let info = session.info();
    inner.session = Some(session);
    Ok(info)
}

/// Locks: closes the database and wipes the keys.
pub fn lock(state: &AppState) -> Res<AppStatus> {
    let mut inner = state.lock();
    inner.session = None;
    Ok(status(&inner))
}

/// A page of people, by name unless the table view sorts by a column.
pub fn list_contacts(
    state: &AppState,
    offset: u32,
    limit: u32,
    order: Option<ListOrder>,
) -> Res<ContactPage> {
    with_session(state, |s| {
        Ok(ContactPage {
            total: u32::try_from(s.count()?).unwrap_or(u32::MAX),
            rows: s.list_sorted(order.unwrap_or_default(), offset as usize, limit as usize)?,
        })
    })
}

/// Type-ahead search, its matches in the table view's order.
pub fn search_contacts(
    state: &AppState,
    query: String,
    limit: u32,
    order: Option<ListOrder>,
) -> Res<Vec<DirectoryRow>> {
    with_session(state, |s| {
        s.search_sorted(&query, order.unwrap_or_default(), limit as usize)
    })
}

/// One action on the selected people (tag, follow-up, request), each
/// checked as if done alone; the report says who was left out and why.
pub fn bulk_contacts(state: &AppState, ids: Vec<RecordId>, action: BulkAction) -> Res<BulkReport> {
    with_session(state, |s| s.bulk(&ids, &action))
}

/// A contact with every field, locked where the role holds no key.
pub fn get_contact(state: &AppState, id: RecordId) -> Res<ContactView> {
    with_session(state, |s| s.contact(id))
}

/// Who changed what, when.
pub fn contact_history(state: &AppState, id: RecordId) -> Res<Vec<HistoryEntry>> {
    with_session(state, |s| s.history(id))
}

/// Adds a person; returns the id.
pub fn add_contact(state: &AppState, changes: Vec<FieldChange>) -> Res<RecordId> {
    with_session(state, |s| s.add_person_from(&changes))
}

/// Edits a person or company.
pub fn edit_contact(state: &AppState, id: RecordId, changes: Vec<FieldChange>) -> Res<()> {
    with_session(state, |s| s.edit_from(id, &changes))
}

/// Records an interaction.
pub fn add_interaction(
    state: &AppState,
    contact: RecordId,
    interaction: NewInteraction,
) -> Res<RecordId> {
    let at = interaction
        .at
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(|t| {
            tresor_core::model::contacts::parse_time(t).ok_or_else(|| IpcError {
                code: ErrorCode::Invalid.into(),
                message: format!("at: '{t}' is not a date and time"),
                field: Some("at".into()),
            })
        })
        .transpose()?;
    let input = InteractionInput {
        kind: interaction.kind,
        summary: interaction.summary,
        text: interaction.text.filter(|t| !t.trim().is_empty()),
        at,
        keep: interaction.keep,
    };
    with_session(state, |s| s.add_interaction(contact, &input))
}

/// Users and roles.
pub fn list_users(state: &AppState) -> Res<Vec<UserInfo>> {
    with_session(state, |s| s.users())
}

/// Adds a user (admin).
pub fn add_user(state: &AppState, name: String, role_name: Role, passphrase: String) -> Res<()> {
    with_session(state, |s| {
        s.add_user(&name, role_name, passphrase.as_bytes())
    })
}

/// Changes a user's role (admin).
pub fn set_user_role(state: &AppState, name: String, role_name: Role) -> Res<()> {
    with_session(state, |s| s.set_role(&name, role_name))
}

/// Removes a user (admin); rotates the vault's keys.
pub fn remove_user(state: &AppState, name: String) -> Res<()> {
    with_session(state, |s| s.remove_user(&name))
}

/// Changes a passphrase (one's own, or any as admin).
pub fn change_passphrase(state: &AppState, name: String, passphrase: String) -> Res<()> {
    with_session(state, |s| s.change_passphrase(&name, passphrase.as_bytes()))
}
