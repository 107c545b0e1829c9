//! Tresor desktop app: the Tauri shell. It registers state once, exposes
//! the commands in [`commands`], and holds no rule of its own: every
//! command calls `tresor_core::api` and maps the result.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod dto;

fn main() {
    let state = commands::AppState::from_env();
    tauri::Builder::default()
        .manage(state)
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
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("tresor: the app window could not start: {e}");
            std::process::exit(1);
        });
}
