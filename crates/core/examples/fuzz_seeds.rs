//! Writes the fuzz targets' seed corpus: `fuzz_seeds DIR` makes
//! `DIR/<target>/seed-<n>` from the core's own writers (see
//! `tresor_core::fuzzing::seeds`). Run by `scripts/fuzz.sh`.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let Some(dir) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: fuzz_seeds DIR");
        std::process::exit(2);
    };
    for (target, inputs) in tresor_core::fuzzing::seeds() {
        let d = dir.join(target);
        std::fs::create_dir_all(&d)?;
        for (i, bytes) in inputs.iter().enumerate() {
            std::fs::write(d.join(format!("seed-{i}")), bytes)?;
        }
    }
    Ok(())
}
