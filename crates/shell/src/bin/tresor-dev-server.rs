//! `tresor-dev-server`: the app's commands over HTTP on 127.0.0.1 for
//! development and the UI's tests (see `tresor_shell::serve`). Prints one
//! line, `TRESOR_DEV_SERVER <url> <token>`, once it listens, and ends when
//! its standard input closes (the process that started it went away).

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use tresor_core::clock::{Clock, FixedClock, SystemClock};
use tresor_core::crypto::KdfParams;
use tresor_shell::AppState;
use tresor_shell::serve::{DevServer, READY, folders};

/// Serves the Tresor app's commands over HTTP on 127.0.0.1, for
/// development and tests only.
#[derive(Parser)]
#[command(name = "tresor-dev-server", version)]
struct Args {
    /// Folder for the vault (`vault/`), the demo vault (`demo/`) and
    /// exports (`exports/`).
    #[arg(long)]
    data: PathBuf,
    /// Open the demo vault on the first status request when there is no
    /// vault yet, as the app does with TRESOR_START_DEMO=1.
    #[arg(long)]
    start_demo: bool,
    /// A fixed clock standing at this time (RFC 3339), moved only by
    /// `POST /dev/advance`.
    #[arg(long)]
    clock: Option<chrono::DateTime<chrono::Utc>>,
    /// The cheapest key derivation for new vaults (tests).
    #[arg(long)]
    fast_kdf: bool,
    /// The port (0: a random one).
    #[arg(long, default_value_t = 0)]
    port: u16,
}

fn main() {
    let args = Args::parse();
    let fixed = args.clock.map(|at| Arc::new(FixedClock::new(at)));
    let clock: Arc<dyn Clock> = match &fixed {
        Some(c) => c.clone(),
        None => Arc::new(SystemClock),
    };
    let mut config = folders(
        &args.data,
        0,
        clock,
        args.fast_kdf.then_some(KdfParams::FLOOR),
    );
    config.start_demo = args.start_demo;
    let server = match DevServer::bind(&args.data, AppState::new(config), fixed, args.port) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tresor-dev-server: cannot listen on 127.0.0.1 ({e})");
            std::process::exit(1);
        }
    };
    println!("{READY} {} {}", server.url(), server.token());
    let _ = std::io::stdout().flush();
    std::thread::spawn(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        std::process::exit(0);
    });
    server.run();
}
