//! The export of many contacts (vCard, CSV with Outlook's headers, XLSX):
//! the people of a selection, restricted ones left out, each card with
//! what the role may read, the file written atomically and then recorded
//! as a disclosure.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::Session;
use super::export::{export_path, slug};
use crate::error::{Error, Result};
use crate::model::categories::{Lang, RecordKind};
use crate::model::contacts::RecordId;
use crate::model::directory::ListOrder;
use crate::model::export::{
    CARD_CATEGORIES, Card, ContactExport, ContactFormat, ContactSelection, has_tag,
};
use crate::model::roles::Action;
use crate::render::contacts::{contacts_csv, contacts_xlsx};
use crate::render::vcard::{Version, vcards};
use crate::vault::write_atomic;

/// More matches than any vault holds people: a search of an export has
/// no page limit.
const ALL_MATCHES: usize = 1 << 24;

impl Session {
    /// The people of a selection, in the order of the contact list, and how
    /// many restricted people it held (left out).
    fn selected_people(&self, selection: &ContactSelection) -> Result<(Vec<Card>, u32)> {
        let mut ids: Vec<RecordId> = match &selection.ids {
            // A selection may hold a company a search found beside the
            // people, or someone erased since: only people are exported.
            Some(ids) => ids
                .iter()
                .copied()
                .filter(|id| self.person_exists(*id).is_ok())
                .collect(),
            None => self.store.all_of_kind(RecordKind::Person)?,
        };
        if let Some(q) = selection.search.as_deref().filter(|q| !q.trim().is_empty()) {
            let found: HashSet<RecordId> = self
                .store
                .search(q, ListOrder::default(), ALL_MATCHES)?
                .into_iter()
                .filter(|r| r.kind == RecordKind::Person)
                .map(|r| r.id)
                .collect();
            ids.retain(|id| found.contains(id));
        }
        let mut seen = HashSet::new();
        ids.retain(|id| seen.insert(*id));
        let restricted: HashSet<RecordId> = self.restricted_people()?.into_iter().collect();
        let before = ids.len();
        ids.retain(|id| !restricted.contains(id));
        let left_out = u32::try_from(before - ids.len()).unwrap_or(u32::MAX);
        let tag = selection.tag.as_deref().filter(|t| !t.trim().is_empty());
        let mut cards = Vec::with_capacity(ids.len());
        for id in ids {
            let card = Card::of(&self.contact(id)?);
            if tag.is_none_or(|t| has_tag(&card.tags, t)) {
                cards.push(card);
            }
        }
        cards.sort_by(|a, b| {
            let key = |c: &Card| {
                (
                    crate::model::directory::fold(&c.family_name),
                    crate::model::directory::fold(&c.given_name),
                    c.id,
                )
            };
            key(a).cmp(&key(b))
        });
        Ok((cards, left_out))
    }

    /// Writes the people of `selection` to `path` in `format` (the
    /// headers of a table in `lang`), leaving out restricted people and
    /// what the role may not read, and records the disclosure, for
    /// `purpose` if one is named. A selection of no one is refused and
    /// writes nothing; a failed write records nothing.
    pub fn export_contacts(
        &mut self,
        selection: &ContactSelection,
        format: ContactFormat,
        lang: Lang,
        purpose: Option<&str>,
        path: &Path,
    ) -> Result<ContactExport> {
        self.require(Action::ExportContacts)?;
        let purpose = match purpose.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => {
                let purpose = self.purpose(p)?;
                // A list for a purpose that needs consent is the mailing
                // list's, which takes only the people who gave it.
                if purpose.consent_required {
                    return Err(Error::invalid(
                        "purpose",
                        format!(
                            "'{p}' rests on consent: export its list with `tresor mailing export`, which takes only the people who gave it"
                        ),
                    ));
                }
                purpose.key
            }
            None => String::new(),
        };
        let (cards, restricted) = self.selected_people(selection)?;
        if cards.is_empty() {
            let why = if restricted > 0 {
                format!("the selection holds no one to export ({restricted} restricted, left out)")
            } else {
                "the selection holds no one to export".to_owned()
            };
            return Err(Error::invalid("export", why));
        }
        let left_out: Vec<_> = CARD_CATEGORIES
            .into_iter()
            .filter(|c| !self.role().can_read(*c))
            .collect();
        let bytes = match format {
            ContactFormat::Vcard => vcards(&cards, Version::V4, lang).into_bytes(),
            ContactFormat::Vcard3 => vcards(&cards, Version::V3, lang).into_bytes(),
            ContactFormat::Csv => contacts_csv(&cards, lang, &left_out).into_bytes(),
            ContactFormat::Xlsx => contacts_xlsx(&cards, lang, &left_out)?,
        };
        write_atomic(path, &bytes)?;
        let file = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let people: Vec<RecordId> = cards.iter().map(|c| c.id).collect();
        let disclosure = self.record_disclosure(&purpose, (None, Some(format)), people, &file)?;
        Ok(ContactExport {
            file,
            format,
            count: disclosure.count,
            restricted,
            left_out,
            disclosure: disclosure.id,
        })
    }

    /// The same export written into `dir` under the export naming rule
    /// (`contacts-<tag or search>-<date>.<ext>`, never over an earlier file).
    pub fn export_contacts_in(
        &mut self,
        dir: &Path,
        selection: &ContactSelection,
        format: ContactFormat,
        lang: Lang,
        purpose: Option<&str>,
    ) -> Result<(PathBuf, ContactExport)> {
        self.require(Action::ExportContacts)?;
        let what = [selection.tag.as_deref(), selection.search.as_deref()]
            .into_iter()
            .flatten()
            .map(slug)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        let stem = if what.is_empty() {
            format!("{}-{}", lang.pick("kontakte", "contacts"), self.today())
        } else {
            format!(
                "{}-{what}-{}",
                lang.pick("kontakte", "contacts"),
                self.today()
            )
        };
        let path = export_path(dir, &stem, format.extension())?;
        let export = self.export_contacts(selection, format, lang, purpose, &path)?;
        Ok((path, export))
    }
}
