//! The contact directory and its search index: names folded for sorting,
//! the search terms of each person and company, listing and searching.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::followups;
use super::handle::Store;
use super::rows::record_in;
use crate::error::Result;
use crate::model::categories::RecordKind;
use crate::model::directory::{ListOrder, ListSort, city_of, fold, last_contact_day};

/// The columns a directory row is read from, in `row_to_directory`'s order.
const COLUMNS: &str = "d.id, d.kind, d.display, d.company, d.email, d.phone, d.sort_key, \
                       d.city, d.last_contact, d.tags, d.company_key, d.city_key, d.tags_key";

/// A row of the contact directory (list and search results).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DirectoryRow {
    /// Record id.
    pub id: Uuid,
    /// Person or company.
    pub kind: RecordKind,
    /// Display name.
    pub display: String,
    /// Company of a person (first link).
    pub company: Option<String>,
    /// First email.
    pub email: Option<String>,
    /// First phone.
    pub phone: Option<String>,
    /// City of the first postal address.
    pub city: Option<String>,
    /// Day of the last contact (`YYYY-MM-DD`): the recorded one or the
    /// latest interaction's, whichever is later.
    pub last_contact: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Processing is restricted (Art. 18): the person is listed, so staff
    /// find them to answer or lift it, but marked. Set by the session.
    pub restricted: bool,
    #[serde(skip)]
    sort_key: String,
    #[serde(skip)]
    company_key: Option<String>,
    #[serde(skip)]
    city_key: Option<String>,
    #[serde(skip)]
    tags_key: Option<String>,
}

impl DirectoryRow {
    /// What this row sorts by in a column other than the name.
    fn key(&self, by: ListSort) -> Option<&str> {
        match by {
            ListSort::Name => Some(&self.sort_key),
            ListSort::Company => self.company_key.as_deref(),
            ListSort::City => self.city_key.as_deref(),
            ListSort::Phone => self.phone.as_deref(),
            ListSort::LastContact => self.last_contact.as_deref(),
            ListSort::Tags => self.tags_key.as_deref(),
        }
    }

    /// The order [`Store::list`] sorts in, for rows already read.
    fn ordering(&self, other: &Self, order: ListOrder) -> Ordering {
        let name = (&self.sort_key, self.id).cmp(&(&other.sort_key, other.id));
        let flip = |o: Ordering| if order.descending { o.reverse() } else { o };
        if order.by == ListSort::Name {
            return flip(name);
        }
        match (self.key(order.by), other.key(order.by)) {
            // Descending is ascending reversed (ties by name Z to A), so
            // one index serves both; the empty ones stay last, by name.
            (Some(a), Some(b)) => flip(a.cmp(b).then(name)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => name,
        }
    }
}

/// The column a sort reads in SQL; none for the name (`sort_key`, both
/// directions). Must sort as [`DirectoryRow::key`] does.
fn sort_column(by: ListSort) -> Option<&'static str> {
    match by {
        ListSort::Name => None,
        ListSort::Company => Some("company_key"),
        ListSort::City => Some("city_key"),
        ListSort::Phone => Some("phone"),
        ListSort::LastContact => Some("last_contact"),
        ListSort::Tags => Some("tags_key"),
    }
}

impl Store {
    /// The directory's display name of a person or company.
    pub fn display_name(&self, id: Uuid) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT display FROM directory WHERE id = ?1")?
            .query_row([id.to_string()], |r| r.get(0))
            .optional()?)
    }

    /// A page of the directory in `order`: a column, then the name; empty
    /// values of the column last in either direction, by name.
    ///
    /// Each order has an index (kind, column, name, id), and the page's
    /// row ids are found in it before any row is read, so a page deep in
    /// the list skips index entries rather than decrypting rows. Those with
    /// a value come from one range of the index (scanned backwards when
    /// descending), the empty ones from another.
    pub fn list(
        &self,
        kind: RecordKind,
        order: ListOrder,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<DirectoryRow>> {
        let dir = if order.descending { "DESC" } else { "ASC" };
        let Some(col) = sort_column(order.by) else {
            return self.page(
                kind,
                "",
                &format!("sort_key {dir}, id {dir}"),
                offset,
                limit,
            );
        };
        let filled = format!("AND {col} IS NOT NULL");
        let mut rows = self.page(
            kind,
            &filled,
            &format!("{col} {dir}, sort_key {dir}, id {dir}"),
            offset,
            limit,
        )?;
        if rows.len() < limit {
            let skip = if rows.is_empty() {
                let with: i64 = self.conn.query_row(
                    &format!("SELECT count(*) FROM directory WHERE kind = ?1 {filled}"),
                    [kind.as_str()],
                    |r| r.get(0),
                )?;
                offset.saturating_sub(usize::try_from(with).unwrap_or(usize::MAX))
            } else {
                0
            };
            rows.extend(self.page(
                kind,
                &format!("AND {col} IS NULL"),
                "sort_key, id",
                skip,
                limit - rows.len(),
            )?);
        }
        Ok(rows)
    }

    /// Rows of `kind` matching `filter`, in `order`, by ids found first.
    fn page(
        &self,
        kind: RecordKind,
        filter: &str,
        order: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<DirectoryRow>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM directory d WHERE d.rid IN (
                 SELECT rid FROM directory WHERE kind = ?1 {filter}
                 ORDER BY {order} LIMIT ?2 OFFSET ?3)
             ORDER BY {order}"
        ))?;
        let rows = stmt
            .query_map(
                params![kind.as_str(), limit as i64, offset as i64],
                row_to_directory,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows.into_iter().flatten().collect())
    }

    /// A company of no one (not a sole trader's) by its exact name: what
    /// a person is linked to by name.
    pub fn find_company(&self, name: &str) -> Result<Option<Uuid>> {
        let id: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT d.id FROM directory d JOIN records r ON r.id = d.id
                 WHERE d.kind = 'company' AND d.display = ?1 AND r.subject IS NULL
                 ORDER BY d.rid LIMIT 1",
            )?
            .query_row([name], |r| r.get(0))
            .optional()?;
        Ok(id.and_then(|s| Uuid::parse_str(&s).ok()))
    }

    /// Number of directory entries of a kind.
    pub fn count(&self, kind: RecordKind) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM directory WHERE kind = ?1",
            [kind.as_str()],
            |r| r.get(0),
        )?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Type-ahead: every word of the query must prefix-match a word of a
    /// name, company, email, phone or tag. Best `limit` matches, people
    /// and companies each in `order` as [`Store::list`] sorts.
    pub fn search(&self, query: &str, order: ListOrder, limit: usize) -> Result<Vec<DirectoryRow>> {
        let Some(expr) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM directory_fts f JOIN directory d ON d.rid = f.rowid
             WHERE directory_fts MATCH ?1 LIMIT ?2"
        ))?;
        // Take a wider window than asked, then order it.
        let window = (limit * 4).max(64) as i64;
        let mut rows: Vec<DirectoryRow> = stmt
            .query_map(params![expr, window], row_to_directory)?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        rows.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.ordering(b, order)));
        rows.truncate(limit);
        Ok(rows)
    }
}

fn row_to_directory(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<DirectoryRow>> {
    let id: String = r.get(0)?;
    let kind: String = r.get(1)?;
    let (Ok(id), Some(kind)) = (Uuid::parse_str(&id), RecordKind::parse(&kind)) else {
        return Ok(None);
    };
    Ok(Some(DirectoryRow {
        id,
        kind,
        display: r.get(2)?,
        company: r.get(3)?,
        email: r.get(4)?,
        phone: r.get(5)?,
        city: r.get(7)?,
        last_contact: r.get(8)?,
        tags: r
            .get::<_, Option<String>>(9)?
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default(),
        restricted: false,
        sort_key: r.get(6)?,
        company_key: r.get(10)?,
        city_key: r.get(11)?,
        tags_key: r.get(12)?,
    }))
}

/// Open (never sealed) string values of a record's `wanted` fields,
/// parsed from JSON: a string, or the strings of a list. Read as the row
/// holds them; only the wanted fields are copied and parsed.
fn open_strings(
    conn: &Connection,
    id: Uuid,
    wanted: &[&str],
) -> Result<Vec<(String, Vec<String>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT field, value FROM fields WHERE record = ?1 AND compartment IS NULL",
    )?;
    let mut rows = stmt.query([id.to_string()])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let field = match r.get_ref(0)? {
            ValueRef::Text(t) => std::str::from_utf8(t).unwrap_or_default(),
            _ => continue,
        };
        if !wanted.contains(&field) {
            continue;
        }
        let json = match r.get_ref(1)? {
            ValueRef::Blob(b) | ValueRef::Text(b) => b,
            _ => continue, // cleared
        };
        out.push((field.to_owned(), json_strings(json)));
    }
    Ok(out)
}

/// The strings of a JSON value: itself if a string, its string items if a
/// list, none otherwise (or if it does not parse).
fn json_strings(json: &[u8]) -> Vec<String> {
    match json.trim_ascii_start().first() {
        Some(b'"') => serde_json::from_slice::<String>(json)
            .ok()
            .into_iter()
            .collect(),
        Some(b'[') => serde_json::from_slice::<Vec<serde_json::Value>>(json)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| match v {
                serde_json::Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn first<'a>(fields: &'a [(String, Vec<String>)], name: &str) -> Option<&'a String> {
    fields
        .iter()
        .find(|(f, _)| f == name)
        .and_then(|(_, v)| v.first())
}

fn all<'a>(fields: &'a [(String, Vec<String>)], name: &'a str) -> impl Iterator<Item = &'a String> {
    fields
        .iter()
        .filter(move |(f, _)| f == name)
        .flat_map(|(_, v)| v.iter())
}

/// Digits of a phone number, plus the national form of a `+CC` number
/// (`+49 171 …` is also found as `0171…`).
fn phone_terms(s: &str) -> String {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    match (s.trim_start().starts_with('+'), digits.get(2..)) {
        (true, Some(national)) => format!("{digits} 0{national}"),
        _ => digits,
    }
}

/// Builds an FTS5 expression: each word becomes a quoted prefix term.
fn fts_query(query: &str) -> Option<String> {
    let terms: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .take(8)
        .map(|t| format!("\"{}\"*", fold(t)))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

pub(super) fn drop_directory(tx: &Connection, id: &str) -> Result<()> {
    let rid: Option<i64> = tx
        .prepare_cached("SELECT rid FROM directory WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    if let Some(rid) = rid {
        tx.prepare_cached("DELETE FROM directory_fts WHERE rowid = ?1")?
            .execute([rid])?;
    }
    tx.prepare_cached("DELETE FROM directory WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// The people linked to a company (their directory entries show its name).
pub(super) fn linked_people(tx: &Connection, company: Uuid) -> Result<Vec<Uuid>> {
    let linked: Vec<String> = tx
        .prepare_cached(
            "SELECT r.subject FROM fields f JOIN records r ON r.id = f.record
             WHERE f.field = 'company' AND f.value = ?1 AND r.subject IS NOT NULL",
        )?
        .query_map(
            [serde_json::to_string(&company.to_string())
                .unwrap_or_default()
                .into_bytes()],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok(linked
        .iter()
        .filter_map(|s| Uuid::parse_str(s).ok())
        .collect())
}

/// Rebuilds every directory entry: after a migration gave the directory
/// something new to show.
pub(super) fn reindex_all(tx: &Connection) -> Result<()> {
    let ids: Vec<String> = tx
        .prepare("SELECT id FROM records WHERE kind IN ('person', 'company') ORDER BY created_hlc")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids.iter().filter_map(|s| Uuid::parse_str(s).ok()) {
        match record_in(tx, id)? {
            Some((RecordKind::Person, _)) => index_person(tx, id)?,
            Some((RecordKind::Company, _)) => index_company(tx, id)?,
            _ => {}
        }
    }
    Ok(())
}

pub(super) fn reindex(tx: &Connection, id: Uuid) -> Result<()> {
    let Some((kind, subject)) = record_in(tx, id)? else {
        return Ok(());
    };
    match kind {
        RecordKind::Person => index_person(tx, id),
        RecordKind::Company => {
            index_company(tx, id)?;
            for p in linked_people(tx, id)? {
                index_person(tx, p)?;
            }
            Ok(())
        }
        RecordKind::Affiliation | RecordKind::Interaction => {
            subject.map_or(Ok(()), |p| index_person(tx, p))
        }
        RecordKind::Purpose
        | RecordKind::ImportBatch
        | RecordKind::Consent
        | RecordKind::Setting
        | RecordKind::Disclosure
        | RecordKind::RegisterVersion
        | RecordKind::Request
        | RecordKind::Restriction
        | RecordKind::Suppression
        | RecordKind::PackageRelease
        | RecordKind::Hold
        | RecordKind::PendingErasure
        | RecordKind::RetentionRule
        | RecordKind::DeletionLog
        | RecordKind::Rectification
        | RecordKind::FollowUp => Ok(()),
    }
}

struct DirEntry<'a> {
    id: Uuid,
    kind: RecordKind,
    display: &'a str,
    sort_key: &'a str,
    company: Option<&'a str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    city: Option<&'a str>,
    last_contact: Option<&'a str>,
    tags: &'a [String],
    text: &'a str,
}

/// Writes a directory row and its search terms. Plain single-row DELETE
/// and INSERT on purpose: an upsert (or RETURNING) makes SQLite open a
/// statement savepoint, and FTS5 writes its pending terms out as a new
/// segment at every savepoint, so a batch of people would become one tiny
/// segment per person (and merges to match) instead of one at commit.
fn write_directory(tx: &Connection, e: &DirEntry<'_>) -> Result<()> {
    let id = e.id.to_string();
    let company_key = e.company.map(fold);
    let city_key = e.city.map(fold);
    let tags = (!e.tags.is_empty()).then(|| serde_json::to_string(e.tags).unwrap_or_default());
    let tags_key = (!e.tags.is_empty()).then(|| fold(&e.tags.join("\u{1}")));
    let old: Option<i64> = tx
        .prepare_cached("SELECT rid FROM directory WHERE id = ?1")?
        .query_row([&id], |r| r.get(0))
        .optional()?;
    if let Some(rid) = old {
        // Written again under the same row id, which the search terms and
        // the list's indexes name.
        tx.prepare_cached("DELETE FROM directory_fts WHERE rowid = ?1")?
            .execute([rid])?;
        tx.prepare_cached("DELETE FROM directory WHERE rid = ?1")?
            .execute([rid])?;
    }
    tx.prepare_cached(
        "INSERT INTO directory(rid, id, kind, display, sort_key, company, email, phone,
         company_key, city, city_key, last_contact, tags, tags_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        old,
        id,
        e.kind.as_str(),
        e.display,
        e.sort_key,
        e.company,
        e.email,
        e.phone,
        company_key,
        e.city,
        city_key,
        e.last_contact,
        tags,
        tags_key
    ])?;
    let rid = tx.last_insert_rowid();
    tx.prepare_cached("INSERT INTO directory_fts(rowid, text) VALUES (?1, ?2)")?
        .execute(params![rid, fold(e.text)])?;
    // The follow-ups' lists show the name as the directory does.
    followups::rename(tx, &id, e.kind, e.display)
}

fn company_names_of(tx: &Connection, person: Uuid) -> Result<Vec<(String, Option<String>)>> {
    let mut out = Vec::new();
    let links: Vec<String> = tx
        .prepare_cached("SELECT id FROM records WHERE subject = ?1 AND kind = 'affiliation' ORDER BY created_hlc")?
        .query_map([person.to_string()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for link in links.iter().filter_map(|s| Uuid::parse_str(s).ok()) {
        let lf = open_strings(tx, link, &["role", "company"])?;
        let role = first(&lf, "role").cloned();
        if let Some(company) = first(&lf, "company").and_then(|c| Uuid::parse_str(c).ok()) {
            let cf = open_strings(tx, company, &["name"])?;
            if let Some(name) = first(&cf, "name") {
                out.push((name.clone(), role));
            }
        }
    }
    Ok(out)
}

pub(super) fn index_person(tx: &Connection, id: Uuid) -> Result<()> {
    let anonymised = tx
        .prepare_cached("SELECT 1 FROM erased WHERE id = ?1")?
        .query_row([id.to_string()], |_| Ok(()))
        .optional()?
        .is_some();
    if anonymised {
        return drop_directory(tx, &id.to_string());
    }
    let f = open_strings(
        tx,
        id,
        &[
            "given_name",
            "family_name",
            "title",
            "emails",
            "tags",
            "phones",
            "addresses",
            "last_contact",
        ],
    )?;
    let given = first(&f, "given_name").map(String::as_str).unwrap_or("");
    let family = first(&f, "family_name").map(String::as_str).unwrap_or("");
    let title = first(&f, "title").map(String::as_str).unwrap_or("");
    let display = [title, given, family]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let sort_key = fold(&format!("{family}\u{1}{given}"));
    let city = first(&f, "addresses").and_then(|a| city_of(a));
    let companies = company_names_of(tx, id)?;
    let mut text = display.clone();
    for s in all(&f, "emails").chain(all(&f, "tags")) {
        text.push(' ');
        text.push_str(s);
    }
    for p in all(&f, "phones") {
        text.push(' ');
        text.push_str(p);
        text.push(' ');
        text.push_str(&phone_terms(p));
    }
    if let Some(c) = &city {
        text.push(' ');
        text.push_str(c);
    }
    for (name, role) in &companies {
        text.push(' ');
        text.push_str(name);
        if let Some(role) = role {
            text.push(' ');
            text.push_str(role);
        }
    }
    write_directory(
        tx,
        &DirEntry {
            id,
            kind: RecordKind::Person,
            display: &display,
            sort_key: &sort_key,
            company: companies.first().map(|(n, _)| n.as_str()),
            email: first(&f, "emails").map(String::as_str),
            phone: first(&f, "phones").map(String::as_str),
            city: city.as_deref(),
            last_contact: last_contact(tx, id, first(&f, "last_contact"))?.as_deref(),
            tags: &all(&f, "tags").cloned().collect::<Vec<_>>(),
            text: &text,
        },
    )
}

/// The day of a person's last contact, from the recorded one and their
/// interactions (`model::directory::last_contact_day`).
fn last_contact(
    tx: &Connection,
    person: Uuid,
    recorded: Option<&String>,
) -> Result<Option<String>> {
    let recorded = recorded.and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
    let mut stmt = tx.prepare_cached(
        "SELECT f.value FROM records r JOIN fields f ON f.record = r.id
         WHERE r.subject = ?1 AND r.kind = 'interaction' AND f.field = 'at'
           AND f.compartment IS NULL",
    )?;
    let mut rows = stmt.query([person.to_string()])?;
    let mut at = Vec::new();
    while let Some(r) = rows.next()? {
        if let ValueRef::Blob(b) | ValueRef::Text(b) = r.get_ref(0)? {
            at.extend(
                json_strings(b)
                    .first()
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| t.with_timezone(&Utc)),
            );
        }
    }
    Ok(last_contact_day(recorded, at).map(|d| d.format("%Y-%m-%d").to_string()))
}

/// Brings the day of a person's last contact in the directory up to date
/// after their interactions changed (the rest of the entry is unchanged).
pub(super) fn refresh_last_contact(tx: &Connection, person: Uuid) -> Result<()> {
    let f = open_strings(tx, person, &["last_contact"])?;
    let day = last_contact(tx, person, first(&f, "last_contact"))?;
    tx.prepare_cached("UPDATE directory SET last_contact = ?2 WHERE id = ?1")?
        .execute(params![person.to_string(), day])?;
    Ok(())
}

pub(super) fn index_company(tx: &Connection, id: Uuid) -> Result<()> {
    let f = open_strings(tx, id, &["name", "phones", "addresses"])?;
    let name = first(&f, "name").map(String::as_str).unwrap_or("");
    let mut text = name.to_owned();
    for p in all(&f, "phones") {
        text.push(' ');
        text.push_str(p);
        text.push(' ');
        text.push_str(&phone_terms(p));
    }
    write_directory(
        tx,
        &DirEntry {
            id,
            kind: RecordKind::Company,
            display: name,
            sort_key: &fold(name),
            company: None,
            email: None,
            phone: first(&f, "phones").map(String::as_str),
            city: first(&f, "addresses").and_then(|a| city_of(a)).as_deref(),
            last_contact: None,
            tags: &[],
            text: &text,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_words_and_drops_operators() {
        assert_eq!(fts_query("Mül").as_deref(), Some("\"mul\"*"));
        assert_eq!(
            fts_query("anna.m OR x").as_deref(),
            Some("\"anna\"* \"m\"* \"or\"* \"x\"*")
        );
        assert_eq!(fts_query("\"*()"), None);
    }

    #[test]
    fn every_order_of_the_list_is_read_from_its_index() {
        let dir = tempfile::tempdir().expect("tmp");
        let store =
            Store::create(&dir.path().join("db"), &crate::crypto::Key32::random()).expect("db");
        for by in ListSort::ALL {
            let col = sort_column(by);
            for descending in [false, true] {
                let dir = if descending { "DESC" } else { "ASC" };
                let (filter, order) = match col {
                    None => (String::new(), format!("sort_key {dir}, id {dir}")),
                    Some(c) => (
                        format!("AND {c} IS NOT NULL"),
                        format!("{c} {dir}, sort_key {dir}, id {dir}"),
                    ),
                };
                let mut plans = vec![(filter, order)];
                if let Some(c) = col {
                    plans.push((format!("AND {c} IS NULL"), "sort_key, id".to_owned()));
                }
                for (filter, order) in plans {
                    let sql = format!(
                        "EXPLAIN QUERY PLAN SELECT rid FROM directory WHERE kind = 'person' \
                         {filter} ORDER BY {order} LIMIT 200 OFFSET 50000"
                    );
                    let plan: Vec<String> = store
                        .conn
                        .prepare(&sql)
                        .expect("plan")
                        .query_map([], |r| r.get::<_, String>(3))
                        .expect("rows")
                        .collect::<rusqlite::Result<_>>()
                        .expect("plan rows");
                    let plan = plan.join("; ");
                    assert!(
                        plan.contains("COVERING INDEX directory_by_")
                            && !plan.contains("TEMP B-TREE"),
                        "{by:?} {dir} {filter}: {plan}"
                    );
                }
            }
        }
    }

    #[test]
    fn fold_sorts_umlauts_with_their_base_letter() {
        assert_eq!(fold("Müller"), "muller");
        assert_eq!(fold("Straße"), "strasse");
    }
}
