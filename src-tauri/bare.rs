//! A bare Tauri window: the same Tauri and WebKit, an empty page, no core
//! and no commands. `tests/measure.rs` compares the app's start time and
//! memory against it. Development only: the bundle does not include it.

fn main() {
    let mut context = tauri::generate_context!();
    context.config_mut().app.windows.clear();
    tauri::Builder::default()
        .setup(|app| {
            tauri::WebviewWindowBuilder::new(
                app,
                "main",
                tauri::WebviewUrl::App("bare.html".into()),
            )
            .title("bare")
            .inner_size(1200.0, 800.0)
            .build()?;
            Ok(())
        })
        .run(context)
        .unwrap_or_else(|e| {
            eprintln!("bare window: {e}");
            std::process::exit(1);
        });
}
