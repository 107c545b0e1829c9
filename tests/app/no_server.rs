//! The development server (`tresor-shell`'s `serve` feature) never reaches
//! the app: the binary that the window runs, and that the package ships,
//! holds none of its code.

use std::path::Path;

/// Whether `needle` occurs in `hay`.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_app_binary_contains_no_listening_code() {
    let app = std::fs::read(Path::new(env!("CARGO_BIN_EXE_tresor-app"))).expect("the app binary");
    // The server's ready line and the HTTP server crate it is built on:
    // present in any binary that links the server (see the control below).
    for marker in [
        &b"TRESOR_DEV_SERVER"[..],
        b"tiny_http",
        b"crates/shell/src/serve.rs",
    ] {
        assert!(
            !contains(&app, marker),
            "the app binary holds {}",
            String::from_utf8_lossy(marker)
        );
    }
    // The command table is there: the test looks at the right binary.
    assert!(contains(&app, b"crates/shell/src/commands.rs"));
}
