//! Reading passphrases and recovery keys: from a file, the environment, or
//! a prompt on the terminal; never from an argument, never echoed.

use std::io::IsTerminal as _;
use std::path::Path;

use anyhow::{Context as _, anyhow};

/// Secret bytes, wiped when dropped.
pub type Secret = zeroize::Zeroizing<Vec<u8>>;

fn trim_newline(mut v: Vec<u8>) -> Vec<u8> {
    while v.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        v.pop();
    }
    v
}

/// Reads a passphrase file (one trailing newline ignored).
pub fn read_file(path: &Path) -> anyhow::Result<Secret> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the passphrase file {}", path.display()))?;
    let bytes = trim_newline(bytes);
    if bytes.is_empty() {
        return Err(anyhow!("the passphrase file {} is empty", path.display()));
    }
    Ok(Secret::new(bytes))
}

/// TRESOR_PASSPHRASE, if set and not empty.
pub fn from_env() -> Option<Secret> {
    std::env::var_os("TRESOR_PASSPHRASE")
        .map(|v| v.into_encoded_bytes())
        .filter(|v| !v.is_empty())
        .map(Secret::new)
}

fn prompt(text: &str) -> anyhow::Result<Secret> {
    if !std::io::stdin().is_terminal() {
        return Err(anyhow!(
            "no passphrase given: use --passphrase-file FILE or TRESOR_PASSPHRASE when not at a terminal"
        ));
    }
    let s = rpassword::prompt_password(text).context("cannot read the passphrase")?;
    Ok(Secret::new(s.into_bytes()))
}

/// The passphrase to unlock with: file, environment, or prompt.
pub fn passphrase(file: Option<&Path>, text: &str) -> anyhow::Result<Secret> {
    if let Some(f) = file {
        return read_file(f);
    }
    if let Some(p) = from_env() {
        return Ok(p);
    }
    prompt(text)
}

/// A new passphrase: file, or prompt twice.
pub fn new_passphrase(file: Option<&Path>, user: &str) -> anyhow::Result<Secret> {
    if let Some(f) = file {
        return read_file(f);
    }
    let a = prompt(&format!("New passphrase for {user}: "))?;
    let b = prompt("Repeat it: ")?;
    if *a != *b {
        return Err(anyhow!("the two passphrases differ; nothing was changed"));
    }
    Ok(a)
}

/// The recovery key: a file (the key, or the whole kit), TRESOR_RECOVERY_KEY, or a prompt.
pub fn recovery_key(file: Option<&Path>) -> anyhow::Result<String> {
    if let Some(f) = file {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        // A kit file: take the line that looks like the key.
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| l.len() >= 60 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(text.trim());
        return Ok(line.to_owned());
    }
    if let Ok(k) = std::env::var("TRESOR_RECOVERY_KEY") {
        return Ok(k);
    }
    let s = prompt("Recovery key: ")?;
    Ok(String::from_utf8_lossy(&s).into_owned())
}

/// Writes a file readable only by its owner.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}
