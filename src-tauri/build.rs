//! Tauri build script: every app command gets an explicit permission
//! (`allow-<command>`), and capabilities live in src-tauri/capabilities.

/// The commands the UI may call; `main.rs`'s invoke handler and
/// `capabilities/main.json` must list the same.
const COMMANDS: &[&str] = &[
    "app_status",
    "create_vault",
    "pick_folder",
    "open_vault",
    "run_doctor",
    "recover_passphrase",
    "open_demo",
    "unlock",
    "lock",
    "list_contacts",
    "search_contacts",
    "get_contact",
    "contact_history",
    "add_contact",
    "edit_contact",
    "add_interaction",
    "list_users",
    "add_user",
    "set_user_role",
    "remove_user",
    "change_passphrase",
    "list_purposes",
    "save_purpose",
    "consent_sources",
    "legal_basis",
    "give_consent",
    "withdraw_consent",
    "request_consent",
    "confirm_consent",
    "reconsent_list",
    "register_versions",
    "get_register",
    "export_legal_basis",
    "export_register",
    "export_mailing",
    "smtp_settings",
    "save_smtp",
    "set_consent_sources",
    "save_evidence",
    "list_requests",
    "open_request",
    "extend_request",
    "close_request",
    "preview_package",
    "generate_package_passphrase",
    "release_package",
    "contact_restriction",
    "restrict_contact",
    "unrestrict_contact",
    "object_contact",
    "erase_contact",
    "delete_export_files",
    "verify_erasure",
    "retention_rules",
    "set_retention_rule",
    "retention_preview",
    "run_retention",
    "deletion_log",
    "legal_holds",
    "contact_hold",
    "add_hold",
    "remove_hold",
    "erase_fields",
    "rectify_contact",
    "contact_rectifications",
    "sync_status",
    "sync_now",
    "sync_devices",
    "sync_setup",
    "retire_device",
    "join_team",
];

fn main() {
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=ui/dist");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("./src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build");
}
