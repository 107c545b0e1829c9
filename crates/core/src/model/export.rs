//! The export of many contacts: what a card carries (the address-book
//! fields of a person, as the role may read them), the formats, which
//! people an export takes, and its report.

use serde::{Deserialize, Serialize};

use crate::model::categories::{Category, Lang};
use crate::model::contacts::{ContactView, FieldValue, RecordId};

/// The file format of an export of contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum ContactFormat {
    /// vCard 4.0 (RFC 6350), for address books and phones.
    Vcard,
    /// vCard 3.0 (RFC 2426), for Outlook and older address books.
    #[cfg_attr(feature = "clap", value(name = "vcard3"))]
    Vcard3,
    /// CSV with Outlook's headers, for a mail merge in Word or LibreOffice.
    Csv,
    /// An Excel workbook with the same columns.
    Xlsx,
}

impl ContactFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ContactFormat::Vcard | ContactFormat::Vcard3 => "vcf",
            ContactFormat::Csv => "csv",
            ContactFormat::Xlsx => "xlsx",
        }
    }

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactFormat::Vcard => "vcard",
            ContactFormat::Vcard3 => "vcard3",
            ContactFormat::Csv => "csv",
            ContactFormat::Xlsx => "xlsx",
        }
    }
}

/// Which people an export takes: the ones named, else everyone, narrowed
/// by a tag and a search (both when both are given).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContactSelection {
    /// These people (the app's selection); `None` for everyone.
    #[serde(default)]
    pub ids: Option<Vec<RecordId>>,
    /// Only people with this tag (case does not matter).
    #[serde(default)]
    pub tag: Option<String>,
    /// Only people the contact search finds for this text.
    #[serde(default)]
    pub search: Option<String>,
}

/// The categories a card carries, in the order the columns come. What a
/// role may not read of them is left out of every card and named in the
/// report; the rest of a person (special categories, deal, the recorded
/// last contact, the source of the data) is never in a contact export.
pub const CARD_CATEGORIES: [Category; 5] = [
    Category::Identity,
    Category::ContactDetails,
    Category::Segmentation,
    Category::Business,
    Category::Notes,
];

/// One person as an address book holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Card {
    /// The vault's id (the vCard's UID).
    pub id: RecordId,
    /// The name as shown.
    pub display: String,
    /// `mr`, `ms`, `mx` or empty.
    pub salutation: String,
    /// Academic title (`Dr.`).
    pub title: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Emails, the preferred first.
    pub emails: Vec<String>,
    /// Phones, the preferred first.
    pub phones: Vec<String>,
    /// Postal addresses, each lines of text.
    pub addresses: Vec<String>,
    /// `YYYY-MM-DD` or empty.
    pub birthday: String,
    /// `de`, `en` or empty.
    pub language: String,
    /// Tags.
    pub tags: Vec<String>,
    /// The note (empty when the role holds no key for notes).
    pub note: String,
    /// Companies and the person's role at each.
    pub companies: Vec<(String, Option<String>)>,
}

impl Card {
    /// The card of a contact view: what is locked in the view is empty here.
    pub fn of(view: &ContactView) -> Card {
        let text = |n: &str| {
            view.field(n)
                .and_then(|f| f.value.as_text())
                .unwrap_or_default()
        };
        let list = |n: &str| match view.field(n).map(|f| &f.value) {
            Some(FieldValue::Value {
                value: serde_json::Value::Array(items),
            }) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        Card {
            id: view.id,
            display: view.display.clone(),
            salutation: text("salutation"),
            title: text("title"),
            given_name: text("given_name"),
            family_name: text("family_name"),
            emails: list("emails"),
            phones: list("phones"),
            addresses: list("addresses"),
            birthday: text("birthday"),
            language: text("language"),
            tags: list("tags"),
            note: text("note"),
            companies: view
                .companies
                .iter()
                .map(|c| (c.name.clone(), c.role.clone()))
                .collect(),
        }
    }

    /// The salutation as a letter writes it.
    pub fn salutation_word(&self, lang: Lang) -> &'static str {
        match self.salutation.as_str() {
            "mr" => lang.pick("Herr", "Mr"),
            "ms" => lang.pick("Frau", "Ms"),
            "mx" => lang.pick("Divers", "Mx"),
            _ => "",
        }
    }
}

/// What an export of contacts wrote.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ContactExport {
    /// The file written.
    pub file: String,
    /// The format.
    pub format: ContactFormat,
    /// How many people it holds.
    pub count: u32,
    /// Restricted people of the selection, left out (Art. 18).
    pub restricted: u32,
    /// Categories a card carries that the role may not read, left out of
    /// every card.
    pub left_out: Vec<Category>,
    /// The disclosure recorded for it.
    pub disclosure: RecordId,
}

/// True when `tags` holds `tag`, case aside.
pub fn has_tag(tags: &[String], tag: &str) -> bool {
    let tag = tag.trim().to_lowercase();
    tags.iter().any(|t| t.trim().to_lowercase() == tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_matches_whatever_its_case() {
        let tags = vec!["VIP".to_owned(), "Messe 2026".to_owned()];
        assert!(has_tag(&tags, "vip"));
        assert!(has_tag(&tags, " messe 2026 "));
        assert!(!has_tag(&tags, "messe"));
    }

    #[test]
    fn the_salutation_is_written_in_the_files_language() {
        let card = Card {
            salutation: "ms".into(),
            ..Card::default()
        };
        assert_eq!(card.salutation_word(Lang::De), "Frau");
        assert_eq!(card.salutation_word(Lang::En), "Ms");
        assert_eq!(Card::default().salutation_word(Lang::De), "");
    }
}
