//! The real `tresor` binary on a real vault in a temporary directory.

pub mod syncthing;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Vault {
    tmp: tempfile::TempDir,
}

impl Vault {
    pub fn new() -> Vault {
        let tmp = tempfile::tempdir().expect("tmp");
        for (name, pw) in [
            ("admin.pw", "admin passphrase one"),
            ("agent.pw", "agent passphrase two"),
            ("sales.pw", "sales passphrase three"),
            ("bad.pw", "definitely not it"),
            ("new.pw", "a brand new passphrase"),
        ] {
            std::fs::write(tmp.path().join(name), format!("{pw}\n")).expect("pw");
        }
        Vault { tmp }
    }

    pub fn dir(&self) -> PathBuf {
        self.tmp.path().join("vault")
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// The command, signed in with the passphrase in file `pw`.
    pub fn command(&self, pw: &str, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tresor"));
        c.arg("--vault")
            .arg(self.dir())
            .arg("--passphrase-file")
            .arg(self.file(pw))
            .args(args)
            .env_remove("TRESOR_PASSPHRASE")
            .env_remove("TRESOR_VAULT");
        c
    }

    pub fn run_as(&self, pw: &str, args: &[&str]) -> Output {
        self.command(pw, args).output().expect("run tresor")
    }

    /// Runs with `input` on stdin.
    pub fn run_with_stdin(&self, pw: &str, args: &[&str], input: &str) -> Output {
        use std::io::Write as _;
        let mut child = self
            .command(pw, args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run tresor");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("wait")
    }

    pub fn ok(&self, pw: &str, args: &[&str]) -> String {
        let out = self.run_as(pw, args);
        assert!(
            out.status.success(),
            "tresor {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf8")
    }

    /// Adds a user as the admin, with the passphrase in file `pw`.
    pub fn add_user(&self, name: &str, role: &str, pw: &str) {
        let file = self.file(pw);
        // Part of setting a scene up: no sweep at this unlock.
        self.admin(&[
            "--no-sweep",
            "user",
            "add",
            name,
            "--role",
            role,
            "--new-passphrase-file",
            file.to_str().expect("path"),
        ]);
    }

    pub fn admin(&self, args: &[&str]) -> String {
        self.ok("admin.pw", args)
    }

    pub fn init(&self) -> String {
        let kit = self.file("kit.txt");
        self.admin(&[
            "init",
            "--admin",
            "ada",
            "--recovery-kit",
            kit.to_str().expect("path"),
        ])
    }
}

pub fn all_bytes_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(all_bytes_under(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).expect("read")));
        }
    }
    out
}

/// The day `n` days before today, as the command takes it.
pub fn days_ago(n: i64) -> String {
    use tresor_core::clock::Clock as _;
    (tresor_core::clock::SystemClock.now() - chrono::Duration::days(n))
        .format("%Y-%m-%d")
        .to_string()
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Every file of a ZIP as (name, text), decrypting with the passphrase.
pub fn unzip(path: &std::path::Path, passphrase: Option<&str>) -> Vec<(String, String)> {
    use std::io::Read as _;
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).expect("zip")).expect("a zip");
    (0..z.len())
        .map(|i| {
            let mut f = match passphrase {
                Some(p) => z.by_index_decrypt(i, p.as_bytes()).expect("decrypt"),
                None => z.by_index(i).expect("file"),
            };
            let mut s = String::new();
            f.read_to_string(&mut s).expect("utf8");
            (f.name().expect("name").into_owned(), s)
        })
        .collect()
}

/// Per searched text, the matches an `erasure verify --json` report counts
/// over every place.
pub fn verify_totals(report: &[u8], texts: usize) -> Vec<u64> {
    let report: serde_json::Value = serde_json::from_slice(report).expect("json");
    let mut totals = vec![0u64; texts];
    for place in report["places"].as_array().expect("places") {
        for (i, c) in place["counts"]
            .as_array()
            .expect("counts")
            .iter()
            .enumerate()
        {
            totals[i] += c.as_u64().unwrap_or(0);
        }
    }
    totals
}
