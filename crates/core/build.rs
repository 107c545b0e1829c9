//! Embeds every file under `migrations/` so a binary cannot ship without its
//! latest migration, and rebuilds when one is added.
use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("migrations directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    let mut out = String::from(
        "/// Every migration, oldest first: (version, SQL).\npub(crate) const MIGRATIONS: &[(&str, &str)] = &[\n",
    );
    for n in &names {
        let version = n.trim_end_matches(".sql");
        writeln!(
            out,
            "    ({version:?}, include_str!({:?})),",
            dir.join(n).display().to_string()
        )
        .expect("write");
    }
    out.push_str("];\n");
    let dest =
        std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("migrations.rs");
    std::fs::write(dest, out).expect("write migrations.rs");
}
