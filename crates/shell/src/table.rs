//! The command table, and the call by name that the development server
//! serves. The Tauri shell expands the same table into its commands, so a
//! command cannot exist in one and not in the other.

use crate::commands::AppState;
use crate::dto::IpcError;

/// Calls `$callback!` with every command of the app: `module::name(arg:
/// Type, …) -> Returned;`, the types as named in [`crate::types`]. Every
/// function is `fn(&AppState, args…) -> Res<Returned>`; the window sends
/// the arguments by their names in camelCase, as Tauri expects them.
#[macro_export]
macro_rules! for_each_command {
    ($callback:ident) => {
        $callback! {
            commands::app_status() -> AppStatus;
            commands::create_vault(admin: String, passphrase: String) -> Created;
            commands::pick_folder(title: String) -> Option<String>;
            commands::open_vault(dir: String) -> AppStatus;
            commands::run_doctor() -> Vec<Check>;
            commands::recover_passphrase(admin: String, recovery_key: String, new_passphrase: String) -> SessionInfo;
            commands::open_demo() -> AppStatus;
            commands::unlock(user: String, passphrase: String) -> SessionInfo;
            commands::lock() -> AppStatus;
            commands::list_contacts(offset: u32, limit: u32, order: Option<ListOrder>) -> ContactPage;
            commands::search_contacts(query: String, limit: u32, order: Option<ListOrder>) -> Vec<DirectoryRow>;
            commands::bulk_contacts(ids: Vec<RecordId>, action: BulkAction) -> BulkReport;
            imports::pick_import_files(title: String) -> Vec<String>;
            imports::import_contacts(files: Vec<String>, settings: ImportSettings) -> ImportReport;
            imports::import_status() -> Option<ImportProgress>;
            imports::cancel_import() -> ();
            imports::import_batches() -> Vec<ImportBatch>;
            imports::undo_import(batch: RecordId) -> UndoReport;
            imports::find_duplicates() -> Vec<DuplicateGroup>;
            imports::merge_people(keep: RecordId, other: RecordId) -> MergeReport;
            imports::export_contacts(selection: ContactSelection, format: ContactFormat, lang: Lang, purpose: Option<String>) -> ExportedContacts;
            commands::get_contact(id: RecordId) -> ContactView;
            commands::contact_history(id: RecordId) -> Vec<HistoryEntry>;
            commands::add_contact(changes: Vec<FieldChange>) -> RecordId;
            commands::edit_contact(id: RecordId, changes: Vec<FieldChange>) -> ();
            commands::add_interaction(contact: RecordId, interaction: NewInteraction) -> RecordId;
            commands::list_users() -> Vec<UserInfo>;
            commands::add_user(name: String, role_name: Role, passphrase: String) -> ();
            commands::set_user_role(name: String, role_name: Role) -> ();
            commands::remove_user(name: String) -> ();
            commands::change_passphrase(name: String, passphrase: String) -> ();
            consent::list_purposes() -> Vec<Purpose>;
            consent::save_purpose(purpose: Purpose, is_new: bool) -> ();
            consent::consent_sources() -> Vec<String>;
            consent::legal_basis(id: RecordId) -> LegalBasisView;
            consent::give_consent(id: RecordId, consent: ConsentInput, evidence_file: Option<EvidenceUpload>) -> ConsentEntry;
            consent::withdraw_consent(id: RecordId, purpose: String, channel: Channel, reason: Option<String>) -> ConsentEntry;
            consent::request_consent(id: RecordId, purpose: String) -> ConsentEntry;
            consent::confirm_consent(text: String) -> ConsentEntry;
            consent::reconsent_list(within_days: u32) -> Vec<ReconsentItem>;
            consent::register_versions() -> Vec<RegisterVersionInfo>;
            consent::get_register(version: Option<u32>) -> Register;
            consent::export_legal_basis(id: RecordId, format: ExportFormat, lang: Lang) -> ExportedFile;
            consent::export_register(version: Option<u32>, format: ExportFormat, lang: Lang) -> ExportedFile;
            consent::export_mailing(purpose: String, channel: Channel) -> ExportedFile;
            consent::smtp_settings() -> Option<SmtpSettings>;
            consent::save_smtp(settings: SmtpSettings, password: Option<String>) -> ();
            consent::set_consent_sources(sources: Vec<String>) -> Vec<String>;
            consent::save_evidence(entry: RecordId) -> ExportedFile;
            rights::list_requests() -> Vec<RequestRow>;
            rights::open_request(request: NewRequest) -> DsRequest;
            rights::extend_request(reference: String, reason: String) -> DsRequest;
            rights::close_request(reference: String, outcome: Option<String>) -> DsRequest;
            rights::preview_package(id: RecordId, lang: Lang) -> PackagePreview;
            rights::generate_package_passphrase() -> String;
            rights::release_package(id: RecordId, lang: Lang, ui_lang: Lang, request: Option<String>, passphrase: Option<String>) -> Option<ReleasedPackage>;
            rights::contact_restriction(id: RecordId) -> Option<Restriction>;
            rights::restrict_contact(id: RecordId, request: String) -> Restriction;
            rights::unrestrict_contact(id: RecordId) -> ();
            rights::object_contact(id: RecordId, purpose: String, request: String) -> u32;
            rights::erase_contact(id: RecordId, request: String, suppress: bool) -> ErasureReport;
            rights::delete_export_files(files: Vec<String>) -> u32;
            rights::verify_erasure(texts: Vec<String>) -> VerifyReport;
            retention::retention_rules() -> Vec<RetentionRule>;
            retention::set_retention_rule(key: RuleKey, change: RuleChange) -> RetentionRule;
            retention::retention_preview(days: u32, lang: Lang) -> Vec<DueItem>;
            retention::run_retention() -> SweepReport;
            retention::deletion_log() -> Vec<DeletionLogEntry>;
            retention::legal_holds() -> Vec<HeldPerson>;
            retention::contact_hold(id: RecordId) -> Option<Hold>;
            retention::add_hold(id: RecordId, reason: String) -> Hold;
            retention::remove_hold(id: RecordId) -> ();
            retention::erase_fields(id: RecordId, fields: Vec<String>, request: String, suppress: bool) -> FieldErasureReport;
            retention::rectify_contact(id: RecordId, changes: Vec<FieldChange>, reason: String, request: Option<String>) -> Rectification;
            retention::contact_rectifications(id: RecordId) -> Vec<Rectification>;
            companies::list_companies(offset: u32, limit: u32) -> ContactPage;
            companies::get_company(id: RecordId) -> CompanyView;
            companies::add_company(changes: Vec<FieldChange>, sole_trader: Option<RecordId>) -> RecordId;
            companies::company_deletion(id: RecordId) -> CompanyDeletion;
            companies::delete_company(id: RecordId) -> CompanyDeletion;
            companies::merge_companies(keep: RecordId, other: RecordId) -> CompanyMerge;
            companies::make_sole_trader(id: RecordId, person: RecordId) -> RecordId;
            followups::list_followups(filter: FollowUpFilter) -> Vec<FollowUp>;
            followups::followups_due_count(mine: bool) -> u32;
            followups::add_followup(contact: RecordId, followup: FollowUpInput) -> RecordId;
            followups::complete_followup(id: RecordId) -> FollowUp;
            followups::reopen_followup(id: RecordId) -> FollowUp;
            followups::snooze_followup(id: RecordId, until: String, time: Option<String>) -> FollowUp;
            backups::backup_status() -> BackupStatus;
            backups::backup_setup(folder: String, rotation: Rotation) -> BackupReport;
            backups::backup_now() -> BackupReport;
            backups::list_backups() -> Vec<BackupInfo>;
            backups::verify_backups() -> Vec<BackupCheck>;
            backups::pick_backup_file(title: String) -> Option<String>;
            backups::restore_backup(file: String, user: String, passphrase: String, replace: bool, recovery: Option<String>) -> Restored;
            sync::sync_status() -> SyncState;
            sync::sync_now() -> SyncReport;
            sync::sync_devices() -> Vec<DeviceInfo>;
            sync::sync_setup(folder: String) -> SyncReport;
            sync::retire_device(id: String) -> ();
            sync::join_team(folder: String, user: String, passphrase: String) -> SessionInfo;
        }
    };
}

macro_rules! dispatch_table {
    ($($module:ident :: $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty;)*) => {
        /// Every command's name, in the table's order.
        pub const COMMANDS: &[&str] = &[$(stringify!($name)),*];

        /// Calls the command `name` with its arguments as the window sends
        /// them (a JSON object, keys in camelCase) and returns its result as
        /// JSON. An unknown command or arguments of the wrong shape are an
        /// `invalid` error naming what was wrong.
        pub fn dispatch(
            state: &AppState,
            name: &str,
            args: serde_json::Value,
        ) -> Result<serde_json::Value, IpcError> {
            #[allow(unused_imports)]
            use $crate::types::*;
            let args = if args.is_null() { serde_json::json!({}) } else { args };
            match name {
                $(stringify!($name) => {
                    #[derive(serde::Deserialize)]
                    #[serde(rename_all = "camelCase")]
                    struct Args { $($arg: $ty),* }
                    let Args { $($arg),* } = serde_json::from_value(args)
                        .map_err(|e| bad_arguments(name, &e))?;
                    let out: $ret = $crate::$module::$name(state $(, $arg)*)?;
                    serde_json::to_value(out).map_err(|e| bad_arguments(name, &e))
                })*
                _ => Err(IpcError {
                    code: tresor_core::ErrorCode::Invalid.into(),
                    message: format!("there is no command {name}"),
                    field: None,
                }),
            }
        }
    };
}

crate::for_each_command!(dispatch_table);

fn bad_arguments(name: &str, e: &serde_json::Error) -> IpcError {
    IpcError {
        code: tresor_core::ErrorCode::Invalid.into(),
        message: format!("{name}: the arguments do not fit ({e})"),
        field: None,
    }
}

#[cfg(test)]
mod tests {
    use super::COMMANDS;

    /// The UI's backend calls exactly the commands of the table, each by
    /// its name: a command added to one and not the other fails here, so
    /// every action of the core is also in the app.
    #[test]
    fn the_ui_calls_every_command_of_the_table_and_no_other() {
        let backend = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/backend.ts"),
        )
        .expect("ui/src/lib/backend.ts");
        let called: std::collections::BTreeSet<&str> = backend
            .split("this.call<")
            .skip(1)
            .filter_map(|rest| rest.split('\'').nth(1))
            .collect();
        let table: std::collections::BTreeSet<&str> = COMMANDS.iter().copied().collect();
        assert_eq!(called, table);
    }
}
