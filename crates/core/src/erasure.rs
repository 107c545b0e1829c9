//! Erasure (Art. 17) and the proof of it.
//!
//! Erasing a person destroys their subject key (crypto-shredding), deletes
//! their records — the person, links, interactions, consent entries,
//! restriction entries, records of released access packages — with
//! every op (so the old values in the change history go too), their
//! directory and search entries, then checkpoints the WAL and vacuums the
//! database so no freed page keeps a copy. What stays is the tombstone: the
//! random id, the date and the request reference.
//!
//! Because the database file is encrypted as a whole, a byte search of it
//! proves nothing. [`Session::verify_erasure`] therefore reads every page as
//! SQLCipher decrypts it (free pages too), opens every sealed value the
//! reader's keys can open, and reads the other files of the vault directory
//! as they are; it reports per place how many matches each text has, never
//! the content around them.

use std::path::PathBuf;

use serde::Serialize;

use crate::api::Session;
use crate::categories::RecordKind;
use crate::contacts::RecordId;
use crate::error::{Error, Result};
use crate::ops::OpValue;
use crate::requests::RequestKind;
use crate::roles::Action;

/// What an erasure removed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ErasureReport {
    /// The erased person's id (kept as the tombstone).
    pub person: RecordId,
    /// The request reference.
    pub request: String,
    /// Records removed (person, links, interactions, consent entries).
    pub records: u32,
    /// Changes removed from the history.
    pub changes: u32,
}

/// Matches of the searched texts in one place.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlaceHits {
    /// The file, or the file and what inside it was read.
    pub place: String,
    /// For each searched text, in order: how many matches.
    pub counts: Vec<u32>,
}

/// The result of an erasure check.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VerifyReport {
    /// Every place that was read, with its counts (zeros included).
    pub places: Vec<PlaceHits>,
}

impl VerifyReport {
    /// True when no text was found anywhere.
    pub fn clean(&self) -> bool {
        self.places.iter().all(|p| p.counts.iter().all(|c| *c == 0))
    }
}

/// Case-insensitive count of each needle in a text.
fn count_all(haystack: &str, needles: &[String]) -> Vec<u32> {
    let hay = haystack.to_lowercase();
    needles
        .iter()
        .map(|n| u32::try_from(hay.matches(n.as_str()).count()).unwrap_or(u32::MAX))
        .collect()
}

fn add(into: &mut [u32], more: &[u32]) {
    for (a, b) in into.iter_mut().zip(more) {
        *a = a.saturating_add(*b);
    }
}

impl Session {
    /// Erases a person for an erasure request. Everything of theirs goes;
    /// the request keeps naming the random id.
    /// With `suppress`, the person's addresses are kept as keyed hashes
    /// first, so a re-import is flagged ("do not contact me again").
    pub fn erase_person(
        &mut self,
        person: RecordId,
        request: &str,
        suppress: bool,
    ) -> Result<ErasureReport> {
        self.require(Action::Erase)?;
        self.person_exists(person)?;
        let req = self.request_for(request, person, &[RequestKind::Erasure])?;
        let mut records = vec![person];
        for kind in [
            RecordKind::Affiliation,
            RecordKind::Interaction,
            RecordKind::Consent,
            RecordKind::Restriction,
            RecordKind::PackageRelease,
        ] {
            records.extend(self.store.records_of_subject(person, kind)?);
        }
        if suppress {
            self.suppress_person(person, &req.reference)?;
        }
        let at = self.now().timestamp_millis();
        let changes = self.store.erase(&records, person, at, &req.reference)?;
        self.store.compact()?;
        Ok(ErasureReport {
            person,
            request: req.reference,
            records: u32::try_from(records.len()).unwrap_or(u32::MAX),
            changes: u32::try_from(changes).unwrap_or(u32::MAX),
        })
    }

    /// Searches the vault for the texts (case-insensitive) and reports per
    /// place how many matches each has. The texts are neither logged nor
    /// stored. Empties the WAL into the database first, so every committed
    /// page is read decrypted.
    pub fn verify_erasure(&self, texts: &[String]) -> Result<VerifyReport> {
        self.require(Action::Erase)?;
        let needles: Vec<String> = texts.iter().map(|t| t.trim().to_lowercase()).collect();
        if needles.is_empty() || needles.iter().any(|n| n.chars().count() < 3) {
            return Err(Error::invalid(
                "text",
                "give at least one text of three or more characters",
            ));
        }
        self.store.full_checkpoint()?;
        let db = self.store.path().to_path_buf();
        let mut places = Vec::new();

        let mut pages = vec![0; needles.len()];
        self.store.each_page(&mut |_, bytes| {
            add(
                &mut pages,
                &count_all(&String::from_utf8_lossy(bytes), &needles),
            );
        })?;
        places.push(PlaceHits {
            place: format!("{} (every page, decrypted)", db.display()),
            counts: pages,
        });

        let mut sealed = vec![0; needles.len()];
        let mut unopened = 0u32;
        self.store.all_values(&mut |record, field, value| {
            if let OpValue::Sealed { .. } = value {
                match self.open_sealed(record, field, value) {
                    Some(plain) => add(&mut sealed, &count_all(&plain, &needles)),
                    None => unopened += 1,
                }
            }
        })?;
        places.push(PlaceHits {
            place: if unopened == 0 {
                format!("{} (sealed values, opened)", db.display())
            } else {
                format!(
                    "{} (sealed values, opened; {unopened} need a key this role does not hold)",
                    db.display()
                )
            },
            counts: sealed,
        });

        // Every other file of the vault directory, read as it is: the WAL
        // (empty after the checkpoint), journals, the keyring, staged files.
        let dir = self.vault.dir().to_path_buf();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(Error::io(&dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && *p != db)
            .collect();
        files.sort();
        for f in files {
            let bytes = std::fs::read(&f).map_err(Error::io(&f))?;
            places.push(PlaceHits {
                place: f.display().to_string(),
                counts: count_all(&String::from_utf8_lossy(&bytes), &needles),
            });
        }
        Ok(VerifyReport { places })
    }
}
