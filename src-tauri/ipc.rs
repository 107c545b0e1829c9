//! The command table of `tresor_shell`, as Tauri commands: one wrapper per
//! command that hands the managed state to the shell's function. The
//! wrappers are generated from the table, so the window and the
//! development server offer the same commands under the same names.

use tauri::{AppHandle, Manager};
use tauri_plugin_dialog::DialogExt;
use tresor_shell::{AppState, SaveAsk};

macro_rules! tauri_commands {
    ($($module:ident :: $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty;)*) => {
        mod generated {
            #![allow(clippy::unit_arg, clippy::needless_pass_by_value)]
            use tresor_shell::types::*;
            $(
                #[tauri::command(async)]
                pub fn $name(state: tauri::State<'_, AppState> $(, $arg: $ty)*) -> Res<$ret> {
                    tresor_shell::$module::$name(&state $(, $arg)*)
                }
            )*

            /// The invoke handler with every command.
            pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
                tauri::generate_handler![$($name),*]
            }
        }
        pub use generated::handler;
    };
}

tresor_shell::for_each_command!(tauri_commands);

/// Lets the window ask for a folder in the native folder dialog, over the
/// main window.
pub fn install_folder_dialog(app: &AppHandle) {
    let handle = app.clone();
    app.state::<AppState>()
        .set_folder_picker(Box::new(move |title: &str| {
            let mut dialog = handle.dialog().file().set_title(title);
            if let Some(window) = handle.get_webview_window("main") {
                dialog = dialog.set_parent(&window);
            }
            dialog.blocking_pick_folder()?.into_path().ok()
        }));
}

/// Lets commands that save a file ask where in the native save dialog,
/// over the main window.
pub fn install_save_dialog(app: &AppHandle) {
    let handle = app.clone();
    app.state::<AppState>()
        .set_save_picker(Box::new(move |ask: &SaveAsk| {
            let mut dialog = handle
                .dialog()
                .file()
                .set_title(&ask.title)
                .set_directory(&ask.dir)
                .set_file_name(&ask.file_name)
                .add_filter(&ask.filter, &[ask.extension]);
            if let Some(window) = handle.get_webview_window("main") {
                dialog = dialog.set_parent(&window);
            }
            dialog.blocking_save_file()?.into_path().ok()
        }));
}

/// Lets the window ask for files to import in the native open dialog
/// (several at once), over the main window.
pub fn install_files_dialog(app: &AppHandle) {
    let handle = app.clone();
    app.state::<AppState>()
        .set_files_picker(Box::new(move |title: &str| {
            let mut dialog = handle.dialog().file().set_title(title).add_filter(
                "CSV, XLSX, vCard",
                &["csv", "txt", "xlsx", "vcf", "CSV", "XLSX", "VCF"],
            );
            if let Some(window) = handle.get_webview_window("main") {
                dialog = dialog.set_parent(&window);
            }
            dialog
                .blocking_pick_files()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|f| f.into_path().ok())
                .collect()
        }));
}
