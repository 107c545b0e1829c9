//! `doctor`: the integrity report over the keyring, the database file and
//! its pages, the migrations, and the keys values are sealed under.

use serde::Serialize;

use super::{Session, field_ctx, owned_ctx};
use crate::crypto;
use crate::error::{Error, Result};
use crate::model::categories::{Compartment, RecordKind};
use crate::model::roles::Action;
use crate::store::Store;

/// One check of `doctor`.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it passed.
    pub ok: bool,
    /// Details.
    pub detail: String,
}

impl Session {
    /// Integrity report: keyring MAC and KDF floor, database encryption and
    /// page authentication, structure, migrations, key generation.
    pub fn doctor(&self) -> Result<Vec<Check>> {
        self.require(Action::RunDoctor)?;
        let mut checks = Vec::new();
        let mut check = |name: &str, ok: bool, detail: String| {
            checks.push(Check {
                name: name.into(),
                ok,
                detail,
            });
        };
        let ring = self.vault.keyring();
        match &ring {
            Ok(ring) => {
                let ok = ring.mac_ok(&self.keys);
                check(
                    "keyring integrity (HMAC)",
                    ok,
                    if ok {
                        "verified".into()
                    } else {
                        "does not verify: the file was changed outside Tresor".into()
                    },
                );
                let weak: Vec<&str> = ring
                    .users
                    .iter()
                    .filter(|u| !u.kdf.in_bounds())
                    .map(|u| u.name.as_str())
                    .collect();
                check(
                    "key derivation strength",
                    weak.is_empty(),
                    if weak.is_empty() {
                        format!(
                            "{} users, all between 64 MiB / t=3 and 2 GiB / t=64",
                            ring.users.len()
                        )
                    } else {
                        format!("outside the bounds: {}", weak.join(", "))
                    },
                );
            }
            Err(e) => check("keyring integrity (HMAC)", false, e.to_string()),
        }
        // Every check of the database reports its own failure, naming the
        // file, and the others still run: a damaged page must not hide
        // which check found it.
        let db = self.vault.db_path();
        let failed = |e: Error| match e.in_database(&db) {
            Error::Store(class) => format!(
                "{} could not be read to the end (SQLite: {class})",
                db.display()
            ),
            e => e.to_string(),
        };
        match Store::header_is_plain_sqlite(&db) {
            Ok(plain) => check(
                "database encrypted",
                !plain,
                if plain {
                    format!("{} is plain SQLite", db.display())
                } else {
                    "SQLCipher, raw 256-bit key".into()
                },
            ),
            Err(e) => check("database encrypted", false, failed(e)),
        }
        const PAGES: &str = "SQLCipher page authentication (cipher_integrity_check)";
        match self.store.page_authentication() {
            Ok(found) if found.is_empty() => check(PAGES, true, "every page verifies".into()),
            Ok(found) => check(PAGES, false, page_findings(&db, &found)),
            Err(e) => check(PAGES, false, failed(e)),
        }
        const STRUCTURE: &str = "SQLite integrity_check";
        match self.store.structure_problems() {
            Ok(problems) if problems.is_empty() => check(STRUCTURE, true, "ok".into()),
            Ok(problems) => check(
                STRUCTURE,
                false,
                format!("{}: {}", db.display(), first_of(&problems, 10, "; ")),
            ),
            Err(e) => check(STRUCTURE, false, failed(e)),
        }
        match self.store.migration_state() {
            Ok((applied, pending)) => {
                let unknown: Vec<&String> = applied
                    .iter()
                    .filter(|a| !Store::known_migrations().any(|k| k == a.as_str()))
                    .collect();
                check(
                    "migrations",
                    pending.is_empty() && unknown.is_empty(),
                    if !pending.is_empty() {
                        format!("pending: {}", pending.join(", "))
                    } else if !unknown.is_empty() {
                        format!("applied by a newer Tresor: {unknown:?}")
                    } else {
                        format!(
                            "{} applied, latest {}",
                            applied.len(),
                            applied.last().map_or("-", String::as_str)
                        )
                    },
                );
            }
            Err(e) => check("migrations", false, failed(e)),
        }
        if let Ok(ring) = &ring {
            match self.store.meta("key_generation") {
                Ok(db_gen) => {
                    let db_gen: u64 = db_gen.and_then(|g| g.parse().ok()).unwrap_or(0);
                    check(
                        "key generation",
                        db_gen == ring.generation,
                        format!("keyring {}, database {}", ring.generation, db_gen),
                    );
                }
                Err(e) => check("key generation", false, failed(e)),
            }
        }
        const SEALED: &str = "values sealed under the current keys";
        match self.stale_values() {
            Ok(0) => check(SEALED, true, "all".into()),
            Ok(stale) => check(
                SEALED,
                false,
                format!("{stale} values or subject keys do not open with this generation's keys"),
            ),
            Err(e) => check(SEALED, false, failed(e)),
        }
        let counts = self
            .store
            .count(RecordKind::Person)
            .and_then(|people| self.store.subject_key_count().map(|keys| (people, keys)));
        match counts {
            Ok((people, keys)) => check(
                "subject keys",
                keys >= people,
                format!("{keys} subject keys for {people} people"),
            ),
            Err(e) => check("subject keys", false, failed(e)),
        }
        Ok(checks)
    }

    /// Values and subject keys that do not open with this generation's keys.
    fn stale_values(&self) -> Result<u64> {
        // After keys changed (here or on another laptop), every value this
        // laptop can open is sealed under the current keys, none only
        // under an earlier one.
        let mut stale = 0u64;
        for c in Compartment::ALL {
            let Some(key) = self.keys.compartment(c) else {
                continue;
            };
            for cell in self.store.sealed_values(c)? {
                let ctx = field_ctx(&cell.record, &cell.field);
                if crypto::open(key, &ctx, &cell.bytes).is_none() {
                    stale += 1;
                }
            }
        }
        for (subject, bytes) in self.store.subject_keys()? {
            if crypto::open(
                &self.keys.subject_wrap,
                &owned_ctx("subject-key", &subject),
                &bytes,
            )
            .is_none()
            {
                stale += 1;
            }
        }
        Ok(stale)
    }
}

/// What `doctor` says of the pages SQLCipher names.
fn page_findings(db: &std::path::Path, found: &crate::store::PageFindings) -> String {
    let mut parts = Vec::new();
    if !found.pages.is_empty() {
        let pages: Vec<String> = found.pages.iter().map(u64::to_string).collect();
        parts.push(format!(
            "{} {} not verify (changed or damaged outside Tresor): {}",
            if pages.len() == 1 { "page" } else { "pages" },
            if pages.len() == 1 { "does" } else { "do" },
            first_of(&pages, 20, ", ")
        ));
    }
    if !found.other.is_empty() {
        parts.push(first_of(&found.other, 5, "; "));
    }
    format!(
        "{}: {}; restore it from a backup",
        db.display(),
        parts.join("; ")
    )
}

/// The first `n` items, and how many more there are.
fn first_of(items: &[String], n: usize, sep: &str) -> String {
    let shown = items[..items.len().min(n)].join(sep);
    if items.len() > n {
        format!("{shown} and {} more", items.len() - n)
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::Session;
    use crate::clock::SystemClock;
    use crate::crypto::KdfParams;
    use crate::model::categories::RecordKind;
    use crate::model::contacts::{FieldInput, PersonInput};
    use crate::vault::VaultDir;

    const PW: &[u8] = b"admin passphrase 1";
    const PAGE: usize = 16_384;

    /// A vault of a few hundred people, closed: its database's bytes, and
    /// the pages of its directory's leaves (which neither unlocking nor
    /// the checks on the session's own connection read).
    fn filled_vault(dir: &Path) -> (Vec<u8>, Vec<usize>) {
        let (mut s, _) = Session::create(dir, "ada", PW, KdfParams::FLOOR, Arc::new(SystemClock))
            .expect("create");
        for i in 0..300 {
            s.add_person(
                &PersonInput::default()
                    .with_name(&format!("Person {i} Beispiel"))
                    .with(
                        "note",
                        FieldInput::Text(format!("note number {i} ").repeat(8)),
                    ),
            )
            .expect("add");
        }
        let directory_pages = s.store.leaf_pages_of("directory").expect("dbstat");
        drop(s);
        let path = VaultDir::new(dir).db_path();
        assert!(
            !Path::new(&format!("{}-wal", path.display())).exists()
                || std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len()) == 0,
            "closing the session checkpoints the WAL into the file"
        );
        (std::fs::read(&path).expect("db"), directory_pages)
    }

    /// Overwrites 64 bytes inside page `page` (1-based), as a failing disk
    /// or a bad copy leaves it, and removes what an earlier open left.
    fn damage(dir: &Path, good: &[u8], page: usize) {
        let path = VaultDir::new(dir).db_path();
        for side in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{side}", path.display()));
        }
        let mut db = good.to_vec();
        let at = (page - 1) * PAGE + 1000;
        for b in &mut db[at..at + 64] {
            *b ^= 0xa5;
        }
        std::fs::write(&path, &db).expect("write");
    }

    #[test]
    fn doctor_names_the_check_the_pages_and_the_file_of_a_damaged_page() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (good, directory_pages) = filled_vault(tmp.path());
        let pages = good.len() / PAGE;
        assert!(pages > 8, "{pages} pages");
        let path = VaultDir::new(tmp.path()).db_path();
        let file = path.display().to_string();
        let mid = directory_pages[directory_pages.len() / 2];
        damage(tmp.path(), &good, mid);
        let s = Session::unlock(tmp.path(), "ada", PW, Arc::new(SystemClock))
            .expect("a damaged data page does not stop the unlock");
        let checks = s.doctor().expect("doctor reports, it does not stop");
        let named = |name: &str| {
            checks
                .iter()
                .find(|c| c.name == name)
                .unwrap_or_else(|| panic!("no check {name}: {checks:?}"))
        };
        let pages_check = named("SQLCipher page authentication (cipher_integrity_check)");
        assert!(!pages_check.ok, "{pages_check:?}");
        assert!(pages_check.detail.contains(&file), "{pages_check:?}");
        assert!(
            pages_check.detail.contains(&format!(
                "page does not verify (changed or damaged outside Tresor): {mid};"
            )),
            "{pages_check:?}"
        );
        let structure = named("SQLite integrity_check");
        assert!(!structure.ok, "{structure:?}");
        assert!(structure.detail.contains(&file), "{structure:?}");
        assert!(
            checks.iter().all(|c| !c.detail.contains("Unknown")),
            "{checks:?}"
        );
        // The checks ran on a connection of their own: the session's still
        // reads, and what does not need that page passes.
        assert!(named("keyring integrity (HMAC)").ok);
        assert!(named("database encrypted").ok);
        assert!(named("migrations").ok, "{checks:?}");
        assert_eq!(s.store.count(RecordKind::Person).expect("count"), 300);
        drop(s);

        // Wherever the damage is, unlocking either names the file or
        // succeeds and doctor names it.
        for page in [1, 2, 3, 4, pages - 1] {
            damage(tmp.path(), &good, page);
            match Session::unlock(tmp.path(), "ada", PW, Arc::new(SystemClock)) {
                Err(e) => {
                    assert_eq!(e.code(), "database_damaged", "page {page}: {e}");
                    assert!(e.to_string().contains(&file), "page {page}: {e}");
                    assert!(!e.to_string().contains("Unknown"), "page {page}: {e}");
                }
                Ok(s) => {
                    let checks = s.doctor().expect("doctor");
                    assert!(
                        checks.iter().any(|c| !c.ok && c.detail.contains(&file)),
                        "page {page}: {checks:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn sqlciphers_rows_are_sorted_into_pages_and_other_findings() {
        let found = crate::store::PageFindings::from_rows(vec![
            "HMAC verification failed for page 45".into(),
            "HMAC operation failed for page 7".into(),
            "error reading 16384 bytes from file page 3 at offset 32768".into(),
            "page 240 has an invalid size of 1 bytes (expected 16384 bytes)".into(),
            "HMAC is not enabled, unable to integrity check".into(),
        ]);
        assert_eq!(found.pages, [45, 7, 3]);
        assert_eq!(found.other.len(), 2);
        let said = super::page_findings(Path::new("/v/tresor.db"), &found);
        assert!(
            said.starts_with("/v/tresor.db: pages do not verify"),
            "{said}"
        );
        assert!(said.contains("45, 7, 3"), "{said}");
        assert!(said.contains("page 240 has an invalid size"), "{said}");
    }
}
