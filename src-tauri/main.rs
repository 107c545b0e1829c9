//! Tresor desktop app: the Tauri shell. It registers the state once and
//! exposes the command table of `tresor_shell` as Tauri commands; it holds
//! no rule of its own. What only a desktop window has lives here: the
//! native save dialog and the background sync and sweep.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod ipc;

use tauri::Manager;
use tresor_shell::AppState;

fn main() {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(AppState::from_env())
        .invoke_handler(ipc::handler())
        .setup(|app| {
            ipc::install_save_dialog(app.handle());
            ipc::install_folder_dialog(app.handle());
            ipc::install_files_dialog(app.handle());
            spawn_every(app.handle(), tresor_shell::retention::DAILY_CHECK, |s| {
                tresor_shell::retention::daily_sweep(s);
                tresor_shell::backups::daily_backup(s);
            });
            spawn_every(app.handle(), tresor_shell::sync::EVERY, |s| {
                tresor_shell::sync::auto_sync(s);
            });
            Ok(())
        })
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("tresor: the app window could not start: {e}");
            std::process::exit(1);
        });
}

/// Runs `work` on the app's state every `period` while the app is open,
/// on a thread of its own (the state's lock is taken only by the work).
fn spawn_every(
    app: &tauri::AppHandle,
    period: std::time::Duration,
    work: impl Fn(&AppState) + Send + 'static,
) {
    let app = app.clone();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(period);
            work(&app.state::<AppState>());
        }
    });
}
