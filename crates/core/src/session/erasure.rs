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

use std::path::{Path, PathBuf};

use serde::Serialize;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::categories::{self, RecordKind};
use crate::model::contacts::RecordId;
use crate::model::requests::RequestKind;
use crate::model::retention::{KeptRecord, PendingErasure, RuleKey};
use crate::model::rights::Restriction;
use crate::model::roles::Action;
use crate::ops::{Forget, OpValue};
use crate::session::Session;

/// What an erasure removed, and what the law made it keep.
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
    /// Records a law requires to keep: they stay, restricted, with the
    /// name and address they need, and go when their period ends.
    pub kept: Vec<KeptRecord>,
    /// When the rest of the person is erased (the last kept record's end).
    pub erase_after: Option<NaiveDate>,
    /// Files outside the vault that held the person's id, name, an e-mail
    /// address or a phone number of theirs before the erasure (exports
    /// Tresor wrote there earlier): the erasure does not reach into them,
    /// so they are named for someone to delete. Only filled by
    /// [`Session::erase_person_checking`].
    pub files: Vec<String>,
}

/// What erasing single fields removed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldErasureReport {
    /// The person.
    pub person: RecordId,
    /// The request reference.
    pub request: String,
    /// The fields erased.
    pub fields: Vec<String>,
    /// Changes removed from the history.
    pub changes: u32,
    /// Addresses of the erased emails and phones put on the suppression
    /// list first (with `suppress`).
    pub suppressed: u32,
}

/// Person fields the records kept by law need (who the letter or invoice
/// was for); everything else goes at once.
const NEEDED_FOR_KEPT: &[&str] = &[
    "salutation",
    "title",
    "given_name",
    "family_name",
    "addresses",
];

/// Record kinds that belong to a person and go with them.
pub(super) const SUBJECT_KINDS: &[RecordKind] = &[
    // A sole trader's company: the person's data (`model/companies.rs`).
    RecordKind::Company,
    RecordKind::Affiliation,
    RecordKind::Interaction,
    RecordKind::FollowUp,
    RecordKind::Consent,
    RecordKind::Restriction,
    RecordKind::PackageRelease,
    RecordKind::Hold,
    RecordKind::PendingErasure,
    RecordKind::Rectification,
];

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

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Files larger than this are not searched (a USB stick may hold videos).
const SCAN_MAX_FILE: u64 = 512 << 20;
/// Nor ZIP entries that unpack to more than this (a ZIP bomb).
const SCAN_MAX_ENTRY: u64 = 256 << 20;

/// What a search found in one file outside the vault.
struct FileScan {
    path: PathBuf,
    /// Per needle.
    counts: Vec<u32>,
    /// Parts not searched, and why (encrypted, too large, unreadable).
    skipped: Option<String>,
    /// SHA-256 of the file, hex (to recognise a released package).
    sha256: String,
}

impl FileScan {
    fn found(&self) -> bool {
        self.counts.iter().any(|c| *c > 0)
    }

    fn place(self) -> PlaceHits {
        PlaceHits {
            place: match self.skipped {
                Some(why) => format!("{} ({why})", self.path.display()),
                None => self.path.display().to_string(),
            },
            counts: self.counts,
        }
    }
}

/// Searches the files directly in `dir` for the (lower-case) `needles`:
/// a ZIP (an access package, a spreadsheet) entry by entry, anything else
/// as text. What cannot be searched is said, not skipped silently. A
/// missing folder has nothing in it.
fn scan_dir(dir: &Path, needles: &[String]) -> Result<Vec<FileScan>> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(dir)(e)),
    };
    files.sort();
    Ok(files.into_iter().map(|f| scan_file(f, needles)).collect())
}

fn scan_file(path: PathBuf, needles: &[String]) -> FileScan {
    use sha2::Digest as _;
    let mut scan = FileScan {
        path,
        counts: vec![0; needles.len()],
        skipped: None,
        sha256: String::new(),
    };
    let size = std::fs::metadata(&scan.path).map_or(0, |m| m.len());
    if size > SCAN_MAX_FILE {
        scan.skipped = Some(format!("{} MB, too large to search", size >> 20));
        return scan;
    }
    let bytes = match std::fs::read(&scan.path) {
        Ok(b) => b,
        Err(e) => {
            scan.skipped = Some(format!("could not be read: {e}"));
            return scan;
        }
    };
    scan.sha256 = crate::model::consent::hex(&sha2::Sha256::digest(&bytes));
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(&bytes)) else {
        scan.counts = count_all(&String::from_utf8_lossy(&bytes), needles);
        return scan;
    };
    // A ZIP: its entries unpacked (its raw bytes are compressed noise).
    let (mut sealed, mut large) = (0u32, 0u32);
    for i in 0..archive.len() {
        let Ok(entry) = archive.by_index(i) else {
            sealed += 1; // encrypted with a passphrase (or damaged)
            continue;
        };
        if entry.size() > SCAN_MAX_ENTRY {
            large += 1;
            continue;
        }
        let mut text = Vec::new();
        let mut limited = std::io::Read::take(entry, SCAN_MAX_ENTRY);
        if std::io::Read::read_to_end(&mut limited, &mut text).is_err() {
            sealed += 1;
            continue;
        }
        add(
            &mut scan.counts,
            &count_all(&String::from_utf8_lossy(&text), needles),
        );
    }
    let mut why = Vec::new();
    if sealed > 0 {
        why.push(format!(
            "{sealed} parts encrypted with a passphrase, not searched"
        ));
    }
    if large > 0 {
        why.push(format!("{large} parts too large to search"));
    }
    if !why.is_empty() {
        scan.skipped = Some(why.join("; "));
    }
    scan
}

impl Session {
    /// Erases a person for an erasure request. Everything of theirs goes
    /// but what a law requires to keep (invoices, business letters: see `erase_subject`);
    /// the request keeps naming the random id. With `suppress`, the
    /// person's addresses are kept as keyed hashes first, so a re-import
    /// is flagged ("do not contact me again").
    pub fn erase_person(
        &mut self,
        person: RecordId,
        request: &str,
        suppress: bool,
    ) -> Result<ErasureReport> {
        self.require(Action::Erase)?;
        self.person_exists(person)?;
        self.refuse_if_held(person)?;
        let req = self.request_for(request, person, &[RequestKind::Erasure])?;
        if suppress {
            self.suppress_person(person, &req.reference)?;
        }
        let (report, _) = self.erase_subject(person, &req.reference)?;
        self.after_removal()?;
        Ok(report)
    }

    /// As [`Session::erase_person`], and first searches the files directly
    /// in `dirs` (the app's export folder, say) for the person's id, name,
    /// e-mail addresses and phone numbers: the report names the files that
    /// held any of them.
    pub fn erase_person_checking(
        &mut self,
        person: RecordId,
        request: &str,
        suppress: bool,
        dirs: &[&Path],
    ) -> Result<ErasureReport> {
        self.require(Action::Erase)?;
        let needles = self.identifying_texts(person)?;
        // Packages released for the person are known by their SHA-256,
        // encrypted or not.
        let released = self.released_hashes(person)?;
        let mut files = Vec::new();
        for dir in dirs {
            files.extend(
                scan_dir(dir, &needles)?
                    .into_iter()
                    .filter(|f| f.found() || released.contains(&f.sha256))
                    .map(|f| f.path.display().to_string()),
            );
        }
        let mut report = self.erase_person(person, request, suppress)?;
        report.files = files;
        Ok(report)
    }

    /// Deletes files that [`Session::erase_person_checking`] named, each of
    /// which must lie directly in `dir` (nothing elsewhere is touched).
    /// Returns how many were deleted; one already gone counts as done.
    pub fn delete_files_in(&self, dir: &Path, files: &[String]) -> Result<u32> {
        self.require(Action::Erase)?;
        let mut deleted = 0;
        for f in files {
            let path = Path::new(f);
            if path.parent() != Some(dir) || path.file_name().is_none() {
                return Err(Error::invalid(
                    "files",
                    format!("{f} is not a file in {}", dir.display()),
                ));
            }
            match std::fs::remove_file(path) {
                Ok(()) => deleted += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(path)(e)),
            }
        }
        Ok(deleted)
    }

    /// SHA-256 of every package released for the person.
    fn released_hashes(&self, person: RecordId) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for id in self
            .store
            .records_of_subject(person, RecordKind::PackageRelease)?
        {
            for (field, value) in self.store.fields(id)? {
                if let (true, OpValue::Open(json)) = (field == "release", &value)
                    && let Ok(r) =
                        serde_json::from_str::<crate::model::package::PackageRelease>(json)
                {
                    out.push(r.sha256);
                }
            }
        }
        Ok(out)
    }

    /// What identifies the person in a file written earlier (lower case):
    /// their id, full name, e-mail addresses and phone numbers.
    fn identifying_texts(&self, person: RecordId) -> Result<Vec<String>> {
        let view = self.contact(person)?;
        let strings = |name: &str| {
            view.field(name)
                .map_or_else(Vec::new, |f| crate::session::rights::strings(&f.value))
        };
        let mut texts = vec![person.to_string()];
        // The full name only: a family name alone ("Ott", "Neu") is found
        // in too many other files.
        if let (Some(given), Some(family)) = (
            strings("given_name").first().cloned(),
            strings("family_name").first().cloned(),
        ) {
            texts.push(format!("{given} {family}"));
        }
        texts.extend(strings("emails"));
        texts.extend(strings("phones"));
        let mut needles: Vec<String> = texts
            .into_iter()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| t.chars().count() >= 3)
            .collect();
        needles.sort();
        needles.dedup();
        Ok(needles)
    }

    /// Erases a person, or — when invoices or business letters of theirs
    /// are still within their legal period (HGB §257, AO §147) — everything
    /// but those records and the name and address they need, which stay
    /// restricted and are erased by the retention sweep when the last
    /// period ends. Returns the report and the records removed per kind.
    /// Does not compact: the caller does, once.
    pub(crate) fn erase_subject(
        &mut self,
        person: RecordId,
        reference: &str,
    ) -> Result<(ErasureReport, Vec<(RecordKind, u32)>)> {
        let now = self.now();
        let kept = self.kept_by_law(person)?;
        let kept_ids: Vec<Uuid> = kept.iter().map(|k| k.record).collect();
        let mut by_kind = Vec::new();
        let mut records = Vec::new();
        for kind in SUBJECT_KINDS {
            let ids: Vec<Uuid> = self
                .store
                .records_of_subject(person, *kind)?
                .into_iter()
                .filter(|id| !kept_ids.contains(id))
                .collect();
            if !ids.is_empty() {
                by_kind.push((*kind, count(ids.len())));
            }
            records.extend(ids);
        }
        let on_their_companies = self.sole_trader_followups(person)?;
        if !on_their_companies.is_empty() {
            match by_kind.iter_mut().find(|(k, _)| *k == RecordKind::FollowUp) {
                Some((_, n)) => *n += count(on_their_companies.len()),
                None => by_kind.push((RecordKind::FollowUp, count(on_their_companies.len()))),
            }
            records.extend(on_their_companies);
        }
        if kept.is_empty() {
            by_kind.insert(0, (RecordKind::Person, 1));
            records.insert(0, person);
            self.scrub_requests(person)?;
            let changes = self.forget(Forget::Subject {
                subject: person,
                records: records.clone(),
                at_ms: now.timestamp_millis(),
                request: reference.to_owned(),
            })?;
            let report = ErasureReport {
                person,
                request: reference.to_owned(),
                records: count(records.len()),
                changes: count(changes),
                kept,
                erase_after: None,
                files: Vec::new(),
            };
            return Ok((report, by_kind));
        }
        let mut changes = self.forget(Forget::Records {
            records: records.clone(),
        })?;
        let drop: Vec<&str> = categories::fields_of(RecordKind::Person)
            .map(|f| f.name)
            .filter(|f| !NEEDED_FOR_KEPT.contains(f))
            .collect();
        changes += self.forget(Forget::fields(person, &drop))?;
        changes += self.forget(Forget::History { record: person })?;
        for id in &kept_ids {
            changes += self.forget(Forget::History { record: *id })?;
        }
        let restriction = Restriction {
            active: true,
            request: Some(reference.to_owned()),
            at: now,
            by: self.user().to_owned(),
        };
        self.write_restriction(person, &restriction)?;
        let pending = PendingErasure {
            reference: reference.to_owned(),
            at: now,
            kept: kept.clone(),
        };
        let id = Uuid::now_v7();
        let ops = vec![
            self.create_op(id, RecordKind::PendingErasure, Some(person)),
            self.op(
                id,
                RecordKind::PendingErasure,
                "pending",
                OpValue::Open(serde_json::to_string(&pending).unwrap_or_default()),
            ),
        ];
        self.store.apply(&ops, &[])?;
        self.persist_clock()?;
        let report = ErasureReport {
            person,
            request: reference.to_owned(),
            records: count(records.len()),
            changes: count(changes),
            erase_after: kept.iter().map(|k| k.until).max(),
            files: Vec::new(),
            kept,
        };
        Ok((report, by_kind))
    }

    /// The person's invoices and business letters whose legal period has
    /// not ended.
    fn kept_by_law(&self, person: RecordId) -> Result<Vec<KeptRecord>> {
        let now = self.now();
        let mut kept = Vec::new();
        for row in self.store.due_of(person)? {
            let Some(key) = RuleKey::parse(&row.rule) else {
                continue;
            };
            let (Some(class), true) = (key.keep_class(), row.due > now) else {
                continue;
            };
            let rule = self.store.retention_rules().iter().find(|r| r.key == key);
            let at = self
                .store
                .fields(row.record)?
                .into_iter()
                .find(|(f, _)| f == "at")
                .and_then(|(_, v)| match v {
                    OpValue::Open(json) => serde_json::from_str::<String>(&json).ok(),
                    _ => None,
                })
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
                .map_or(now, |t| t.with_timezone(&chrono::Utc));
            kept.push(KeptRecord {
                record: row.record,
                class: class.to_owned(),
                at,
                law: rule
                    .and_then(|r| r.law.clone())
                    .unwrap_or_else(|| key.as_str().to_owned()),
                until: row.due.date_naive(),
            });
        }
        Ok(kept)
    }

    /// Rewrites the requests about an erased person without the free text
    /// that may name them (identity check, outcome, extension reason), and
    /// drops the old versions from the history.
    fn scrub_requests(&mut self, person: RecordId) -> Result<()> {
        for mut r in self.requests_unchecked()? {
            if r.person != Some(person) {
                continue;
            }
            let had_text =
                r.identity_check.is_some() || r.outcome.is_some() || r.extension_reason.is_some();
            r.identity_check = None;
            r.outcome = None;
            r.extension_reason = r.extension_reason.map(|_| "—".to_owned());
            if had_text {
                self.forget(Forget::fields(r.id, &["request"]))?;
                self.write_request(&r, false)?;
            } else {
                self.forget(Forget::History { record: r.id })?;
            }
        }
        Ok(())
    }

    /// Erases single fields of a person for an erasure request, with every
    /// old value of them. The person keeps at least one name. With
    /// `suppress`, the addresses of erased emails and phones go on the
    /// suppression list first: once erased they are gone, and a later
    /// erasure of the whole person cannot suppress what it no longer sees.
    pub fn erase_fields(
        &mut self,
        person: RecordId,
        fields: &[String],
        request: &str,
        suppress: bool,
    ) -> Result<FieldErasureReport> {
        self.require(Action::Erase)?;
        self.person_exists(person)?;
        self.refuse_if_held(person)?;
        let req = self.request_for(request, person, &[RequestKind::Erasure])?;
        if fields.is_empty() {
            return Err(Error::invalid("fields", "name at least one field"));
        }
        let mut names: Vec<&'static str> = Vec::new();
        for f in fields {
            let def = categories::field(RecordKind::Person, f.trim()).ok_or_else(|| {
                let all: Vec<_> = categories::fields_of(RecordKind::Person)
                    .map(|d| d.name)
                    .collect();
                Error::invalid(
                    "fields",
                    format!("'{f}' is not a field of a person; use {}", all.join(", ")),
                )
            })?;
            if !names.contains(&def.name) {
                names.push(def.name);
            }
        }
        let current = self.store.fields(person)?;
        let has = |n: &str| {
            current
                .iter()
                .any(|(f, v)| f == n && !matches!(v, OpValue::Cleared))
        };
        let name_left = ["given_name", "family_name"]
            .iter()
            .any(|n| has(n) && !names.contains(n));
        if !name_left {
            return Err(Error::invalid(
                "fields",
                "a person keeps a given or a family name; erase the whole person instead",
            ));
        }
        let suppressed = if suppress {
            self.suppress_fields(person, &names, &req.reference)?
        } else {
            0
        };
        let changes = self.forget(Forget::fields(person, &names))?;
        self.after_removal()?;
        Ok(FieldErasureReport {
            person,
            request: req.reference,
            fields: names.iter().map(|n| (*n).to_owned()).collect(),
            changes: count(changes),
            suppressed,
        })
    }

    /// Searches the vault for the texts (case-insensitive) and reports per
    /// place how many matches each has. The texts are neither logged nor
    /// stored. Empties the WAL into the database first, so every committed
    /// page is read decrypted.
    pub fn verify_erasure(&self, texts: &[String]) -> Result<VerifyReport> {
        self.verify_erasure_in(texts, &[])
    }

    /// As [`Session::verify_erasure`], and also every file directly in
    /// `dirs` (an export folder, a USB stick): ZIP files and spreadsheets
    /// entry by entry.
    pub fn verify_erasure_in(&self, texts: &[String], dirs: &[&Path]) -> Result<VerifyReport> {
        self.verify_erasure_everywhere(texts, dirs, &[])
    }

    /// As [`Session::verify_erasure_in`], and every backup in `backups`,
    /// opened with this vault's keys and the key file beside it.
    pub fn verify_erasure_everywhere(
        &self,
        texts: &[String],
        dirs: &[&Path],
        backups: &[&Path],
    ) -> Result<VerifyReport> {
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
        // Every segment and snapshot in the shared folder, opened as far
        // as this vault's keys reach (a destroyed subject key reaches nothing).
        if self.store.meta("sync_folder")?.is_some() {
            for (place, texts) in self.open_folder_files()? {
                let mut counts = vec![0; needles.len()];
                for t in &texts {
                    add(&mut counts, &count_all(t, &needles));
                }
                places.push(PlaceHits { place, counts });
            }
        }
        for dir in dirs {
            places.extend(scan_dir(dir, &needles)?.into_iter().map(FileScan::place));
        }
        for dir in backups {
            for (place, texts) in self.open_backup_files(dir)? {
                let mut counts = vec![0; needles.len()];
                for t in &texts {
                    add(&mut counts, &count_all(t, &needles));
                }
                places.push(PlaceHits {
                    place: format!("{place} (backup, opened with the key file beside it)"),
                    counts,
                });
            }
        }
        Ok(VerifyReport { places })
    }
}
