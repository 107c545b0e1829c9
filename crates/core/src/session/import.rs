//! Imports on the session: every file read first (`model::import`), then
//! each row matched against the people already there and the rows before
//! it, a row with a suppressed address refused, the rest created or merged
//! in one transaction, and the batch recorded so it can be undone.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Serialize;
use uuid::Uuid;

use super::Session;
use super::consent::{doc, open_json};
use super::contacts::values_of;
use crate::error::{Error, Result};
use crate::model::categories::{self, RecordKind};
use crate::model::contacts::{FieldInput, FieldValue, RecordId, normalise};
use crate::model::import::columns::{self, Mapping};
use crate::model::import::matching::{self, Key};
use crate::model::import::{
    DuplicateGroup, DuplicatePerson, FileReading, FileReport, ImportBatch, ImportOptions,
    ImportReport, MAX_FILE_BYTES, Mappings, OnDuplicate, Row, RowProblem, csv, decode, file_text,
    source_text, vcard, xlsx,
};
use crate::model::roles::Action;
use crate::ops::{CREATE_FIELD, Hlc, Op, OpValue};

/// Where a long import is, for a progress bar.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportProgress {
    /// The file being written (0 is the first).
    pub file: usize,
    /// How many files.
    pub files: usize,
    /// Rows of that file done.
    pub done: u64,
    /// Rows of that file.
    pub total: u64,
}

/// What an undo did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UndoReport {
    /// The batch.
    pub batch: Uuid,
    /// People the import created, now erased.
    pub erased: u32,
    /// People it merged into, their fields set back.
    pub reverted: u32,
}

/// People written to the store at once (one apply: one directory and
/// due-date refresh per chunk, not per person).
const APPLY_EVERY: usize = 500;

/// Writes the people made but not yet written.
fn flush(s: &mut Session, ops: &mut Vec<Op>, keys: &mut Vec<(Uuid, Vec<u8>)>) -> Result<()> {
    if !keys.is_empty() || !ops.is_empty() {
        s.store.apply(ops, keys)?;
        ops.clear();
        keys.clear();
    }
    Ok(())
}

/// The meta key before a header key: a saved column mapping.
const MAPPING_META: &str = "import-mapping:";

/// Rows between two progress reports (and chances to cancel).
const PROGRESS_EVERY: u64 = 250;

/// A file read and decoded, or why it could not be.
struct ReadFile {
    name: String,
    text: std::result::Result<Source, Error>,
}

/// What a file holds: text (CSV) or an XLSX sheet.
enum Source {
    Text(decode::Decoded),
    Sheet(Vec<u8>),
}

/// What the rows of one import share.
struct RowCtx<'a> {
    options: &'a ImportOptions,
    /// Match keys → person, of the vault and of the rows so far.
    index: HashMap<Key, RecordId>,
    suppressed: Option<super::rights::SuppressedSet>,
    /// The source recorded on the people of the current file.
    source: String,
    created_set: HashSet<RecordId>,
    /// People made and not yet written (see [`APPLY_EVERY`]).
    pending: Vec<Op>,
    pending_keys: Vec<(Uuid, Vec<u8>)>,
    companies: HashMap<String, Uuid>,
    /// People merged into, with the fields changed.
    merged: Vec<(RecordId, Vec<String>)>,
}

fn read_file(path: &Path, options: &ImportOptions) -> ReadFile {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let read = (|| {
        let size = std::fs::metadata(path).map_err(Error::io(path))?.len();
        if size > MAX_FILE_BYTES {
            return Err(Error::invalid(
                "file",
                format!(
                    "is {} MB; Tresor imports files of up to {} MB (split it)",
                    size / 1_000_000,
                    MAX_FILE_BYTES / 1_000_000
                ),
            ));
        }
        let bytes = std::fs::read(path).map_err(Error::io(path))?;
        if xlsx::is_zip(&bytes) {
            return Ok(Source::Sheet(bytes));
        }
        file_text(&bytes, options.encoding.as_deref()).map(Source::Text)
    })();
    ReadFile { name, text: read }
}

/// The first text value of a field typed for a row.
fn first_text(fields: &[(String, FieldInput)], name: &str) -> String {
    values_of(fields, name)
        .into_iter()
        .next()
        .unwrap_or_default()
}

fn row_keys(row: &Row) -> Vec<Key> {
    let f = &row.input.fields;
    matching::keys(
        &first_text(f, "given_name"),
        &first_text(f, "family_name"),
        &values_of(f, "emails"),
        &values_of(f, "phones"),
        &values_of(f, "addresses"),
    )
}

/// Two spellings of one postal address: the same text, or the same
/// postcode where the new one adds no street of its own or names the
/// same first line.
fn same_address(have: &str, new: &str) -> bool {
    use crate::model::directory::fold;
    let first = |s: &str| fold(s.lines().next().unwrap_or_default().trim());
    fold(have.trim()) == fold(new.trim())
        || matching::postcode_of(have).is_some_and(|p| {
            Some(&p) == matching::postcode_of(new).as_ref()
                && (new.trim().lines().count() == 1 || first(have) == first(new))
        })
}

/// An error that is the row's own (a value, a restriction, a
/// suppression): reported with the row. Any other stops the import.
fn is_row_error(e: &Error) -> bool {
    matches!(
        e,
        Error::Invalid { .. }
            | Error::Restricted { .. }
            | Error::Suppressed { .. }
            | Error::CompartmentLocked { .. }
            | Error::NotFound { .. }
    )
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Session {
    /// The match keys of every person in the vault the role can read.
    fn match_index(&self) -> Result<HashMap<Key, RecordId>> {
        let mut index = HashMap::new();
        for (id, keys) in self.person_keys()? {
            for key in keys {
                index.entry(key).or_insert(id);
            }
        }
        Ok(index)
    }

    /// People of the vault that look like one person twice: groups sharing
    /// an email address, a phone number (E.164) or name and postcode, each
    /// person in one group, the groups in the order of their first person.
    pub fn duplicates(&self) -> Result<Vec<DuplicateGroup>> {
        self.require(Action::ReadContacts)?;
        let people = self.person_keys()?;
        // Union-find over the people, joined by every key they share.
        let mut parent: Vec<usize> = (0..people.len()).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut first: HashMap<&Key, usize> = HashMap::new();
        let mut shared: HashMap<usize, std::collections::BTreeSet<&'static str>> = HashMap::new();
        for (i, (_, keys)) in people.iter().enumerate() {
            for key in keys {
                match first.get(key) {
                    Some(&j) => {
                        let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                        parent[a.max(b)] = a.min(b);
                        shared.entry(i).or_default().insert(key.describe());
                        shared.entry(j).or_default().insert(key.describe());
                    }
                    None => {
                        first.insert(key, i);
                    }
                }
            }
        }
        let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
        for i in 0..people.len() {
            let r = root(&mut parent, i);
            match groups.iter_mut().find(|(g, _)| *g == r) {
                Some((_, members)) => members.push(i),
                None => groups.push((r, vec![i])),
            }
        }
        let mut out = Vec::new();
        for (_, members) in groups.into_iter().filter(|(_, m)| m.len() > 1) {
            let mut why: std::collections::BTreeSet<&'static str> = Default::default();
            let mut group = DuplicateGroup::default();
            for i in members {
                why.extend(shared.get(&i).into_iter().flatten().copied());
                let id = people[i].0;
                group.people.push(DuplicatePerson {
                    id,
                    display: self.store.display_name(id)?.unwrap_or_default(),
                });
            }
            group.why = why.into_iter().map(str::to_owned).collect();
            out.push(group);
        }
        Ok(out)
    }

    /// Every person with the keys they could be matched by.
    fn person_keys(&self) -> Result<Vec<(RecordId, Vec<Key>)>> {
        let mut out = Vec::new();
        for id in self.store.all_of_kind(RecordKind::Person)? {
            let stored: HashMap<String, OpValue> = self.store.fields(id)?.into_iter().collect();
            let read = |name: &str| -> Vec<String> {
                let (Some(def), Some(v)) = (
                    categories::field(RecordKind::Person, name),
                    stored.get(name),
                ) else {
                    return Vec::new();
                };
                if !self.role.can_read(def.category) {
                    return Vec::new();
                }
                match self.decode_value(id, name, def.category, v) {
                    FieldValue::Value {
                        value: serde_json::Value::String(s),
                    } => vec![s],
                    FieldValue::Value {
                        value: serde_json::Value::Array(items),
                    } => items
                        .into_iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                    _ => Vec::new(),
                }
            };
            let one = |name: &str| read(name).into_iter().next().unwrap_or_default();
            out.push((
                id,
                matching::keys(
                    &one("given_name"),
                    &one("family_name"),
                    &read("emails"),
                    &read("phones"),
                    &read("addresses"),
                ),
            ));
        }
        Ok(out)
    }

    /// Imports people from files (CSV today). Every file is read before
    /// anything is written; the rows of all files go in one transaction,
    /// so a cancel (`progress` returning false) or a crash leaves nothing
    /// half-imported. A bad row is reported with its line and skipped; a
    /// file that cannot be read is reported and the others imported.
    pub fn import_files(
        &mut self,
        files: &[&Path],
        options: &ImportOptions,
        progress: &mut dyn FnMut(&ImportProgress) -> bool,
    ) -> Result<ImportReport> {
        self.require(Action::WriteContacts)?;
        if files.is_empty() {
            return Err(Error::invalid("files", "name at least one file"));
        }
        if let Some(key) = options.purpose.as_deref() {
            let purpose = self.purpose(key)?;
            if purpose.consent_required {
                return Err(Error::invalid(
                    "purpose",
                    format!(
                        "'{key}' rests on consent, which is recorded for each person with its evidence, never assumed by an import; import under a purpose of its own basis (a contract, a legitimate interest) and record the consents afterwards"
                    ),
                ));
            }
        }
        let read: Vec<ReadFile> = files.iter().map(|p| read_file(p, options)).collect();
        let mut index = self.match_index()?;
        let mut suppressed = self.suppressed_set()?;
        let day = self.now().format("%Y-%m-%d").to_string();
        let batch_id = Uuid::now_v7();
        let from = self.tick();
        let saved = self.saved_mappings()?;
        let mappings = Mappings {
            given: options.mapping.as_ref(),
            saved: Some(&saved),
        };
        let mut work = |s: &mut Session| -> Result<ImportReport> {
            let mut report = ImportReport {
                batch: (!options.dry_run).then_some(batch_id),
                dry_run: options.dry_run,
                files: Vec::new(),
            };
            let mut ctx = RowCtx {
                options,
                index: std::mem::take(&mut index),
                suppressed: suppressed.take(),
                source: String::new(),
                created_set: HashSet::new(),
                pending: Vec::new(),
                pending_keys: Vec::new(),
                companies: HashMap::new(),
                merged: Vec::new(),
            };
            let files_n = read.len();
            for (at, file) in read.iter().enumerate() {
                let mut fr = FileReport {
                    file: file.name.clone(),
                    ..FileReport::default()
                };
                let source = match &file.text {
                    Ok(t) => t,
                    Err(e) => {
                        fr.refused = Some(e.to_string());
                        report.files.push(fr);
                        continue;
                    }
                };
                ctx.source = source_text(
                    options.source.as_deref().unwrap_or(&file.name),
                    &day,
                    s.user(),
                );
                // Lines, for the progress bar: rows are read one by one,
                // never all held at once.
                let total = match source {
                    Source::Text(text) => {
                        text.text.bytes().filter(|b| *b == b'\n').count() as u64 + 1
                    }
                    Source::Sheet(_) => 0,
                };
                let mut n = 0u64;
                let mut each = |row: std::result::Result<Row, RowProblem>| {
                    if n.is_multiple_of(PROGRESS_EVERY) {
                        let done = row.as_ref().map_or_else(|p| p.line, |r| r.line);
                        if !progress(&ImportProgress {
                            file: at,
                            files: files_n,
                            done: done.min(total.max(done)),
                            total: total.max(done),
                        }) {
                            return Err(Error::Cancelled);
                        }
                    }
                    n += 1;
                    match row {
                        Ok(row) => s.import_row(&row, &mut ctx, &mut fr),
                        Err(problem) => {
                            fr.problems.push(problem);
                            Ok(())
                        }
                    }
                };
                let read_rows = match source {
                    Source::Text(text) if vcard::is_vcard(&text.text) => {
                        vcard::read(&text.text, text.encoding, &mut each)
                    }
                    Source::Text(text) => csv::read(
                        &text.text,
                        text.encoding,
                        options.delimiter,
                        mappings,
                        &mut each,
                    ),
                    Source::Sheet(bytes) => xlsx::read(bytes, mappings, &mut each),
                };
                let reading = match read_rows {
                    Ok(reading) => reading,
                    Err(e) if is_row_error(&e) => {
                        fr.refused = Some(e.to_string());
                        report.files.push(fr);
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                fr.reading = reading;
                if !options.dry_run {
                    fr.reading.sample.clear();
                }
                fr.read = count(usize::try_from(n).unwrap_or(usize::MAX));
                flush(s, &mut ctx.pending, &mut ctx.pending_keys)?;
                if !progress(&ImportProgress {
                    file: at,
                    files: files_n,
                    done: total,
                    total,
                }) {
                    return Err(Error::Cancelled);
                }
                report.files.push(fr);
            }
            let merged_fields = std::mem::take(&mut ctx.merged);
            if !options.dry_run {
                let created: Vec<RecordId> = report
                    .files
                    .iter()
                    .flat_map(|f| f.created.clone())
                    .collect();
                let upto = s.tick();
                let batch = ImportBatch {
                    id: batch_id,
                    at: s.now(),
                    by: s.user().to_owned(),
                    files: report.files.iter().map(|f| f.file.clone()).collect(),
                    purpose: options.purpose.clone(),
                    created,
                    merged: merged_fields,
                    from: from.0.to_string(),
                    upto: upto.0.to_string(),
                    undone: None,
                };
                let ops = vec![
                    s.create_op(batch_id, RecordKind::ImportBatch, None),
                    s.op(
                        batch_id,
                        RecordKind::ImportBatch,
                        "batch",
                        open_json(&batch),
                    ),
                ];
                s.store.apply(&ops, &[])?;
                s.persist_clock()?;
                if let Some(mapping) = &options.mapping {
                    for f in &report.files {
                        s.save_mapping(&f.reading, mapping)?;
                    }
                }
            }
            Ok(report)
        };
        if options.dry_run {
            work(self)
        } else {
            self.in_batch(work)
        }
    }

    /// The column mappings saved on this laptop, by header key.
    fn saved_mappings(&self) -> Result<HashMap<String, Mapping>> {
        Ok(self
            .store
            .meta_with_prefix(MAPPING_META)?
            .into_iter()
            .filter_map(|(k, v)| {
                Some((
                    k.strip_prefix(MAPPING_META)?.to_owned(),
                    Mapping::from_json(&v).ok()?,
                ))
            })
            .collect())
    }

    /// Saves the part of `mapping` that names a header of a file read, for
    /// the next file with the same header row. Kept on this laptop (the
    /// vault's encrypted meta table), not synced: a habit of who imports.
    fn save_mapping(&self, reading: &FileReading, mapping: &Mapping) -> Result<()> {
        // A "header" that holds an address or a number is a first row of
        // data (a file without a header row): a person's data is not kept
        // as a setting, out of reach of their erasure.
        let data_like =
            |h: &str| h.contains('@') || h.chars().filter(char::is_ascii_digit).count() >= 5;
        if reading.header_key.is_empty() || reading.columns.iter().any(|(h, _)| data_like(h)) {
            return Ok(());
        }
        let key = format!("{MAPPING_META}{}", reading.header_key);
        let mut columns = self
            .store
            .meta(&key)?
            .and_then(|j| Mapping::from_json(&j).ok())
            .map(|m| m.columns)
            .unwrap_or_default();
        let before = columns.clone();
        columns.retain(|h, _| {
            !mapping
                .columns
                .keys()
                .any(|g| columns::fold(g) == columns::fold(h))
        });
        columns.extend(
            mapping
                .columns
                .iter()
                .filter(|(h, _)| {
                    reading
                        .columns
                        .iter()
                        .any(|(c, _)| columns::fold(c) == columns::fold(h))
                })
                .map(|(h, t)| (h.clone(), t.clone())),
        );
        if columns == before {
            return Ok(());
        }
        let json =
            serde_json::to_string(&Mapping { columns }).map_err(|e| Error::Store(e.to_string()))?;
        self.store.set_meta(&key, &json)
    }

    /// One row of an import: its notes, the fields the role may write,
    /// a suppressed address refused, a duplicate skipped or merged, else
    /// a new person (written with the next chunk).
    fn import_row(&mut self, row: &Row, ctx: &mut RowCtx<'_>, fr: &mut FileReport) -> Result<()> {
        let line = row.line;
        fr.notes.extend(row.notes.iter().map(|n| RowProblem {
            line,
            reason: n.clone(),
        }));
        let (row, dropped) = self.writable(row);
        fr.notes.extend(
            dropped
                .into_iter()
                .map(|reason| RowProblem { line, reason }),
        );
        let row = &row;
        let emails = values_of(&row.input.fields, "emails");
        let phones = values_of(&row.input.fields, "phones");
        if ctx.suppressed.as_ref().is_some_and(|set| {
            emails.iter().any(|e| set.holds("email", e))
                || phones.iter().any(|p| set.holds("phone", p))
        }) {
            fr.suppressed += 1;
            fr.problems.push(RowProblem {
                line,
                reason: "an email address or phone number of this row is suppressed (the person objected or was erased and asked not to be contacted again): not imported".into(),
            });
            return Ok(());
        }
        let keys = row_keys(row);
        let hit = keys
            .iter()
            .find_map(|k| ctx.index.get(k).map(|id| (k.clone(), *id)));
        match (hit, ctx.options.on_duplicate) {
            (Some((key, _)), OnDuplicate::Skip) => {
                fr.duplicates += 1;
                fr.notes.push(RowProblem {
                    line,
                    reason: format!("has {} as a person already there: left out", key.describe()),
                });
            }
            (Some((_, id)), OnDuplicate::Merge) => {
                let created_here = ctx.created_set.contains(&id);
                if created_here && ctx.options.dry_run {
                    fr.merged += 1;
                    return Ok(());
                }
                // The merge reads the person as the store has them.
                flush(self, &mut ctx.pending, &mut ctx.pending_keys)?;
                match self.merge_ops(id, row, &ctx.source) {
                    Ok((_, fields)) if fields.is_empty() => {
                        fr.duplicates += 1;
                        fr.notes.push(RowProblem {
                            line,
                            reason: "matches a person already there and adds nothing new".into(),
                        });
                    }
                    Ok((ops, fields)) => {
                        if !ctx.options.dry_run {
                            self.store.apply(&ops, &[])?;
                        }
                        fr.merged += 1;
                        if !fr.merged_into.contains(&id) {
                            fr.merged_into.push(id);
                        }
                        if !created_here {
                            ctx.merged.push((id, fields));
                        }
                    }
                    Err(e) if is_row_error(&e) => fr.problems.push(RowProblem {
                        line,
                        reason: e.to_string(),
                    }),
                    Err(e) => return Err(e),
                }
            }
            _ => {
                let mut input = row.input.clone();
                input
                    .fields
                    .push(("source".into(), FieldInput::Text(ctx.source.clone())));
                match self.person_ops(&input, &mut ctx.companies) {
                    Ok((id, ops)) => {
                        if !ctx.options.dry_run {
                            let key = self.subject_key(id);
                            ctx.pending.extend(ops);
                            ctx.pending_keys.push((id, key));
                            if ctx.pending_keys.len() >= APPLY_EVERY {
                                flush(self, &mut ctx.pending, &mut ctx.pending_keys)?;
                            }
                        }
                        ctx.created_set.insert(id);
                        for k in keys {
                            ctx.index.entry(k).or_insert(id);
                        }
                        fr.imported += 1;
                        fr.created.push(id);
                    }
                    Err(e) if is_row_error(&e) => fr.problems.push(RowProblem {
                        line,
                        reason: e.to_string(),
                    }),
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// The row without the fields of a compartment this role holds no key
    /// for (notes, Art. 9 data, deals) and without values the vault
    /// refuses, and a note for each left out.
    fn writable(&self, row: &Row) -> (Row, Vec<String>) {
        let mut kept = row.clone();
        let mut dropped = Vec::new();
        let now = self.now();
        kept.input.fields.retain(|(name, input)| {
            let Some(def) = categories::field(RecordKind::Person, name) else {
                return true;
            };
            match def.category.compartment() {
                Some(c) if !self.holds(c) => {
                    dropped.push(format!(
                        "the {} is not imported: your role holds no key for it",
                        def.label_en.to_lowercase()
                    ));
                    return false;
                }
                _ => {}
            }
            // A value the vault would refuse (a birthday before 1900, an
            // overlong tag) is left out with a note; the rest of the row
            // comes in. A name it refuses makes the row a problem.
            match normalise(def, input, now) {
                Err(e) if !matches!(name.as_str(), "given_name" | "family_name") => {
                    dropped.push(format!("{e}; it is left out"));
                    false
                }
                _ => true,
            }
        });
        (kept, dropped)
    }

    /// The ops merging a row into a person, nothing applied: fills what is
    /// empty (the source among it), adds emails, phones, addresses and tags
    /// not there yet, links the company when the person has none. Returns
    /// them with the fields they change (none: nothing new).
    pub(super) fn merge_ops(
        &mut self,
        id: RecordId,
        row: &Row,
        source: &str,
    ) -> Result<(Vec<Op>, Vec<String>)> {
        self.refuse_if_restricted(id)?;
        let view = self.contact(id)?;
        let mut changes: Vec<(String, FieldInput)> = Vec::new();
        for (name, input) in &row.input.fields {
            let Some(current) = view.field(name) else {
                continue;
            };
            if matches!(current.value, FieldValue::Locked { .. }) {
                continue;
            }
            let have: Vec<String> = match &current.value {
                FieldValue::Value {
                    value: serde_json::Value::Array(items),
                } => items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                FieldValue::Value {
                    value: serde_json::Value::String(s),
                } => vec![s.clone()],
                _ => Vec::new(),
            };
            match input {
                FieldInput::List(new) => {
                    let same = |a: &str, b: &str| match name.as_str() {
                        "emails" => matching::email_key(a) == matching::email_key(b),
                        "phones" => {
                            matching::e164(a).is_some() && matching::e164(a) == matching::e164(b)
                        }
                        "addresses" => same_address(a, b),
                        _ => a.trim() == b.trim(),
                    };
                    let added: Vec<String> = new
                        .iter()
                        .filter(|n| !have.iter().any(|h| same(h, n)))
                        .cloned()
                        .collect();
                    if !added.is_empty() {
                        let mut all = have.clone();
                        all.extend(added);
                        changes.push((name.clone(), FieldInput::List(all)));
                    }
                }
                FieldInput::Text(t) if have.is_empty() && !t.trim().is_empty() => {
                    changes.push((name.clone(), input.clone()));
                }
                _ => {}
            }
        }
        if changes.is_empty() && (row.input.company.is_none() || !view.companies.is_empty()) {
            return Ok((Vec::new(), Vec::new()));
        }
        if view
            .field("source")
            .is_some_and(|f| matches!(f.value, FieldValue::Empty))
        {
            changes.push(("source".into(), FieldInput::Text(source.to_owned())));
        }
        let new_emails: Vec<String> = values_of(&changes, "emails");
        let new_phones: Vec<String> = values_of(&changes, "phones");
        self.check_suppressed_for(id, &new_emails, &new_phones)?;
        let mut ops = self.field_ops(id, RecordKind::Person, &changes)?;
        let mut fields: Vec<String> = changes.into_iter().map(|(f, _)| f).collect();
        if let (Some(company), true) = (row.input.company.as_deref(), view.companies.is_empty()) {
            ops.extend(self.link_ops(
                id,
                company,
                row.input.company_role.as_deref(),
                &mut HashMap::new(),
            )?);
            fields.push("company".into());
        }
        Ok((ops, fields))
    }

    /// A batch as its author wrote it: the record's creator, time and
    /// device from its create op, its content from the first version that
    /// creator wrote, and from later versions only that it was undone. A
    /// batch rewritten by someone else (a patched program adding people
    /// to its list) is read as first written; one with no version of its
    /// creator's is no batch.
    fn batch_record(&self, id: Uuid) -> Result<Option<(ImportBatch, Op)>> {
        let history = self.store.history(&[id])?;
        let Some(create) = history.iter().find(|op| op.field == CREATE_FIELD).cloned() else {
            return Ok(None);
        };
        let by_creator = |op: &&Op| {
            op.field == "batch" && op.author == create.author && op.device == create.device
        };
        let Some(mut batch) = history
            .iter()
            .find(by_creator)
            .and_then(|op| doc::<ImportBatch>(&op.value))
        else {
            return Ok(None);
        };
        batch.id = id;
        batch.by = create.author.clone();
        batch.at = create.hlc.to_datetime();
        batch.undone = history
            .iter()
            .filter(|op| op.field == "batch")
            .filter_map(|op| doc::<ImportBatch>(&op.value))
            .find_map(|b| b.undone);
        Ok(Some((batch, create)))
    }

    /// Every import, newest first.
    pub fn import_batches(&self) -> Result<Vec<ImportBatch>> {
        self.require(Action::ReadContacts)?;
        let mut out = Vec::new();
        for id in self.store.all_of_kind(RecordKind::ImportBatch)? {
            if let Some((batch, _)) = self.batch_record(id)? {
                out.push(batch);
            }
        }
        out.sort_by_key(|b| std::cmp::Reverse(b.at));
        Ok(out)
    }

    /// Undoes an import: the people it created are erased (not hidden),
    /// the fields it merged into others are set back. Refused as a whole,
    /// naming how many, when any of those people was changed since.
    pub fn undo_import(&mut self, batch: Uuid) -> Result<UndoReport> {
        self.require(Action::WriteContacts)?;
        let (found, made) = self.batch_record(batch)?.ok_or_else(|| Error::NotFound {
            what: "import",
            id: batch.to_string(),
        })?;
        if let Some((at, by)) = &found.undone {
            return Err(Error::invalid(
                "import",
                format!("was undone already ({}, {by})", at.format("%Y-%m-%d %H:%M")),
            ));
        }
        let clock = |s: &str| s.parse().map(Hlc).unwrap_or(Hlc(0));
        let (from, upto) = (clock(&found.from), clock(&found.upto));
        if from > upto || upto >= made.hlc {
            return Err(Error::invalid(
                "import",
                "is not a batch this program wrote",
            ));
        }
        // Only people this batch's author created on that laptop within
        // the batch's time are its own: a list naming anyone else is not
        // trusted to erase them.
        let mut alive: Vec<RecordId> = Vec::new();
        for id in &found.created {
            if !matches!(self.store.record(*id)?, Some((RecordKind::Person, _))) {
                continue;
            }
            let created = self
                .store
                .history(&[*id])?
                .into_iter()
                .find(|op| op.field == CREATE_FIELD);
            let own = created.is_some_and(|op| {
                op.author == made.author
                    && op.device == made.device
                    && op.hlc > from
                    && op.hlc < upto
            });
            if !own {
                return Err(Error::invalid(
                    "import",
                    "names people it did not create; the undo is refused",
                ));
            }
            alive.push(*id);
        }
        if !alive.is_empty() {
            self.require(Action::Erase)?;
        }
        for (id, _) in &found.merged {
            if matches!(self.store.record(*id)?, Some((RecordKind::Person, _))) {
                self.refuse_if_restricted(*id)?;
                self.refuse_if_held(*id)?;
            }
        }
        for id in &alive {
            self.refuse_if_held(*id)?;
        }
        let mut changed = 0usize;
        for id in &alive {
            let mut records = vec![*id];
            for kind in super::erasure::SUBJECT_KINDS {
                records.extend(self.store.records_of_subject(*id, *kind)?);
            }
            if self.store.history(&records)?.iter().any(|op| op.hlc > upto) {
                changed += 1;
            }
        }
        let mut reverts: Vec<(RecordId, String, OpValue)> = Vec::new();
        for (id, fields) in &found.merged {
            if !matches!(self.store.record(*id)?, Some((RecordKind::Person, _))) {
                continue;
            }
            let history = self.store.history(&[*id])?;
            let mut touched = false;
            // The company link a merge made stays (the undo sets back fields).
            for field in fields.iter().filter(|f| *f != "company") {
                let Some(def) = categories::field(RecordKind::Person, field) else {
                    continue;
                };
                if let Some(c) = def.category.compartment()
                    && !self.holds(c)
                {
                    return Err(Error::CompartmentLocked {
                        field: field.clone(),
                        category: def.category.as_str().into(),
                        role: self.role.as_str().into(),
                    });
                }
                let ops: Vec<&Op> = history
                    .iter()
                    .filter(|op| &op.field == field && op.author == made.author)
                    .collect();
                let ops: Vec<&Op> = if ops.iter().any(|op| op.hlc > from && op.hlc < upto) {
                    history.iter().filter(|op| &op.field == field).collect()
                } else {
                    // The batch never wrote this field: nothing to set back.
                    continue;
                };
                if ops.last().is_some_and(|op| op.hlc > upto) {
                    touched = true;
                }
                let before = ops
                    .iter()
                    .rev()
                    .find(|op| op.hlc < from)
                    .map_or(OpValue::Cleared, |op| op.value.clone());
                reverts.push((*id, field.clone(), before));
            }
            if touched {
                changed += 1;
            }
        }
        if changed > 0 {
            return Err(Error::invalid(
                "import",
                format!(
                    "{changed} of the people it created or merged into were changed since; the undo is refused so their later changes are not lost: edit or erase them one by one"
                ),
            ));
        }
        let reference = format!("import {batch} undone");
        let reverted = count(
            found
                .merged
                .iter()
                .filter(|(id, _)| reverts.iter().any(|(r, _, _)| r == id))
                .count(),
        );
        self.in_batch(|s| {
            for id in &alive {
                s.erase_subject(*id, &reference)?;
            }
            let mut ops = Vec::new();
            for (id, field, value) in reverts {
                ops.push(s.op(id, RecordKind::Person, &field, value));
            }
            let mut done = found.clone();
            done.undone = Some((s.now(), s.user().to_owned()));
            ops.push(s.op(batch, RecordKind::ImportBatch, "batch", open_json(&done)));
            s.store.apply(&ops, &[])?;
            s.persist_clock()
        })?;
        self.after_removal()?;
        Ok(UndoReport {
            batch,
            erased: count(alive.len()),
            reverted,
        })
    }
}
