//! Measurements of the app in its real window, against a bare Tauri window
//! (same Tauri and WebKit, an empty page, no core) in the same run. They
//! print numbers and ratios and assert nothing about time: this machine is
//! shared and noisy. Run by hand:
//!
//! ```sh
//! cargo test -p tresor-app --features custom-protocol --test measure -- --ignored --nocapture
//! ```
//!
//! TRESOR_MEASURE_N sets the vault size (default 100000); the vault is kept
//! in target/measure-vault-N and reused by later runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::webdriver::App;
use tresor_core::clock::SystemClock;
use tresor_core::crypto::KdfParams;
use tresor_core::session::Session;

const PASS: &str = "measure passphrase";

fn vault(n: usize) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("target/measure-vault-{n}"));
    if !dir.join("keyring.json").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let started = Instant::now();
        let (mut s, _) = Session::create(
            &dir,
            "ada",
            PASS.as_bytes(),
            KdfParams::FLOOR,
            Arc::new(SystemClock),
        )
        .expect("vault");
        tresor_core::demo::seed(&mut s, n, 1, &mut |_, _| {}).expect("seed");
        s.checkpoint().expect("checkpoint");
        eprintln!(
            "seeded {n} people in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    dir
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn line(name: &str, tresor: f64, bare: f64, unit: &str) {
    println!(
        "{name} tresor_{unit}={tresor:.1} bare_{unit}={bare:.1} ratio={:.2}",
        tresor / bare.max(1e-9)
    );
}

fn settle() {
    std::thread::sleep(Duration::from_secs(3));
}

fn bare_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tresor-bare-window"))
}

/// Scrolls the contact list in steps, one step per animation frame, and
/// returns the frame intervals in ms.
fn scroll_frames(app: &App) -> Vec<f64> {
    let v = app.js_async(
        "const done = arguments[arguments.length - 1];
         const vp = document.querySelector('.viewport');
         const times = []; let i = 0; let last = performance.now();
         function step(now) {
           times.push(now - last); last = now;
           vp.scrollTop += 37 * 40;
           if (++i < 120) requestAnimationFrame(step); else done(times.slice(1));
         }
         requestAnimationFrame(step);",
    );
    v.as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
        .unwrap_or_default()
}

/// Types a query and returns the ms until the first result row shows it
/// (includes the UI's type-ahead debounce).
fn search_ms(app: &App, query: &str, expect: &str) -> f64 {
    let script = format!(
        "const done = arguments[arguments.length - 1];
         const input = document.querySelector('#search');
         input.value = ''; input.dispatchEvent(new Event('input', {{bubbles: true}}));
         setTimeout(() => {{
           const t0 = performance.now();
           input.value = {query:?}; input.dispatchEvent(new Event('input', {{bubbles: true}}));
           function poll() {{
             const row = document.querySelector('[data-testid=contact-row] .name');
             if (row && row.textContent.toLowerCase().includes({expect:?})) done(performance.now() - t0);
             else if (performance.now() - t0 > 5000) done(-1);
             else requestAnimationFrame(poll);
           }}
           requestAnimationFrame(poll);
         }}, 300);"
    );
    app.js_async(&script).as_f64().unwrap_or(-1.0)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn launch_until(name: &'static str, vault: &Path, binary: &Path, ready: &str) -> (App, Duration) {
    let started = Instant::now();
    let app = App::launch_binary(name, vault, binary);
    app.find(ready);
    let took = started.elapsed();
    (app, took)
}

#[test]
#[ignore = "a measurement: run by hand with --ignored --nocapture"]
fn app_against_a_bare_tauri_window() {
    let n: usize = std::env::var("TRESOR_MEASURE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let k = n / 1000;
    let dir = vault(n);

    // Warm the page cache for WebKit and both binaries, so neither start pays for it.
    drop(launch_until("warm-bare", &dir, &bare_binary(), "#bare"));
    drop(launch_until(
        "warm-app",
        &dir,
        Path::new(env!("CARGO_BIN_EXE_tresor-app")),
        "#unlock-passphrase",
    ));

    let (bare, bare_start) = launch_until("measure-bare", &dir, &bare_binary(), "#bare");
    settle();
    let bare_pss = bare.pss_kib() as f64;
    let bare_procs = bare.app_pids().len();
    drop(bare);

    let (app, app_start) = launch_until(
        "measure-app",
        &dir,
        Path::new(env!("CARGO_BIN_EXE_tresor-app")),
        "#unlock-passphrase",
    );
    line(
        "launch_to_unlock_screen",
        ms(app_start),
        ms(bare_start),
        "ms",
    );
    let unlock_started = Instant::now();
    app.unlock("ada", PASS);
    app.wait_until("the full list", |a| {
        a.attr("[data-testid=contact-count]", "data-count") == Some(n.to_string())
    });
    app.find("[data-testid=contact-row]");
    let unlocked = unlock_started.elapsed();
    settle();
    let app_pss = app.pss_kib() as f64;
    line(
        &format!("pss_{k}k_open"),
        app_pss / 1024.0,
        bare_pss / 1024.0,
        "mib",
    );
    println!(
        "processes measured: app {} bare {bare_procs}",
        app.app_pids().len()
    );
    println!(
        "unlock_to_first_rows_{k}k ms={:.0} (includes the Argon2id KDF)",
        ms(unlocked)
    );

    let mut frames = scroll_frames(&app);
    frames.sort_by(f64::total_cmp);
    println!(
        "scroll_{k}k frame_ms p50={:.1} p95={:.1} max={:.1} frames={}",
        pct(&frames, 0.5),
        pct(&frames, 0.95),
        frames.last().copied().unwrap_or(f64::NAN),
        frames.len()
    );
    app.screenshot("measure-scrolled");

    let queries = [
        ("mül", "müller"),
        ("schmi", "schmidt"),
        ("anna", "anna"),
        ("wagner j", "wagner"),
        ("brown", "brown"),
        ("zimmer", "zimmermann"),
        ("kowal", "kowalski"),
        ("hoffm", "hoffmann"),
    ];
    let mut lat: Vec<f64> = Vec::new();
    for _ in 0..3 {
        for (q, expect) in queries {
            lat.push(search_ms(&app, q, expect));
        }
    }
    let failed = lat.iter().filter(|v| **v < 0.0).count();
    lat.retain(|v| *v >= 0.0);
    lat.sort_by(f64::total_cmp);
    println!(
        "search_in_window_{k}k ms p50={:.1} p95={:.1} (incl. debounce; {} queries, {failed} without a match)",
        pct(&lat, 0.5),
        pct(&lat, 0.95),
        lat.len()
    );
    app.screenshot("measure-search");
}
