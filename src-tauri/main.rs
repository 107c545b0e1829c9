//! Tresor desktop app: the Tauri shell. It registers state once, exposes
//! the commands in [`commands`], and holds no rule of its own: every
//! command calls `tresor_core::session` and maps the result.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod consent;
mod dto;
mod retention;
mod rights;
mod sync;

fn main() {
    let state = commands::AppState::from_env();
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(state)
        .manage(sync::SyncFailures::default())
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::create_vault,
            commands::open_vault,
            commands::open_demo,
            commands::unlock,
            commands::lock,
            commands::list_contacts,
            commands::search_contacts,
            commands::get_contact,
            commands::contact_history,
            commands::add_contact,
            commands::edit_contact,
            commands::add_interaction,
            commands::list_users,
            commands::add_user,
            commands::set_user_role,
            commands::remove_user,
            commands::change_passphrase,
            consent::list_purposes,
            consent::save_purpose,
            consent::consent_sources,
            consent::legal_basis,
            consent::give_consent,
            consent::withdraw_consent,
            consent::request_consent,
            consent::confirm_consent,
            consent::reconsent_list,
            consent::register_versions,
            consent::get_register,
            consent::export_legal_basis,
            consent::export_register,
            consent::export_mailing,
            consent::smtp_settings,
            consent::save_smtp,
            consent::set_consent_sources,
            consent::save_evidence,
            rights::list_requests,
            rights::open_request,
            rights::extend_request,
            rights::close_request,
            rights::preview_package,
            rights::generate_package_passphrase,
            rights::release_package,
            rights::contact_restriction,
            rights::restrict_contact,
            rights::unrestrict_contact,
            rights::object_contact,
            rights::erase_contact,
            rights::delete_export_files,
            rights::verify_erasure,
            retention::retention_rules,
            retention::set_retention_rule,
            retention::retention_preview,
            retention::run_retention,
            retention::deletion_log,
            retention::legal_holds,
            retention::contact_hold,
            retention::add_hold,
            retention::remove_hold,
            retention::erase_fields,
            retention::rectify_contact,
            retention::contact_rectifications,
            sync::sync_status,
            sync::sync_now,
            sync::sync_devices,
            sync::sync_setup,
            sync::retire_device,
            sync::join_team,
        ])
        .setup(|app| {
            retention::spawn_daily_sweep(app.handle());
            sync::spawn_auto_sync(app.handle());
            Ok(())
        })
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("tresor: the app window could not start: {e}");
            std::process::exit(1);
        });
}
