//! What a column of an exported contact list means: the headers of Outlook
//! (English and German, desktop and Outlook.com), Google Contacts (current
//! and legacy), Thunderbird and the lists people type in Excel, and a
//! mapping the user gives for any other file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Which postal address a column belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Slot {
    /// Business (work) address.
    Business,
    /// Home address.
    Home,
    /// Other address.
    Other,
    /// Google's numbered addresses (`Address 1 - City`).
    Numbered(u8),
}

/// The part of an address a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Street and number (Outlook's `Street 2`/`3` are added lines).
    Street,
    /// Postcode.
    Postcode,
    /// City.
    City,
    /// State or region.
    Region,
    /// Country.
    Country,
    /// The whole address in one cell.
    Whole,
}

/// What a column goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Given name.
    GivenName,
    /// Middle names, added to the given name.
    MiddleName,
    /// Family name.
    FamilyName,
    /// The whole name, used where the row has no given or family name.
    FullName,
    /// An academic title or name prefix (`Dr.`).
    Title,
    /// Herr/Frau/Mr/Ms.
    Salutation,
    /// An email address.
    Email,
    /// A phone or fax number.
    Phone,
    /// A part of a postal address.
    Address(Slot, Part),
    /// The company.
    Company,
    /// The person's role there.
    JobTitle,
    /// Birthday.
    Birthday,
    /// The year of a birthday given in three columns (Thunderbird).
    BirthYear,
    /// Its month.
    BirthMonth,
    /// A note.
    Note,
    /// Categories, labels, groups.
    Tags,
    /// Preferred language.
    Language,
}

impl Target {
    /// The name a mapping file and the report use.
    pub fn name(self) -> &'static str {
        match self {
            Target::GivenName => "given_name",
            Target::MiddleName => "middle_name",
            Target::FamilyName => "family_name",
            Target::FullName => "name",
            Target::Title => "title",
            Target::Salutation => "salutation",
            Target::Email => "email",
            Target::Phone => "phone",
            Target::Address(_, Part::Street) => "street",
            Target::Address(_, Part::Postcode) => "postcode",
            Target::Address(_, Part::City) => "city",
            Target::Address(_, Part::Region) => "region",
            Target::Address(_, Part::Country) => "country",
            Target::Address(_, Part::Whole) => "address",
            Target::Company => "company",
            Target::JobTitle => "job_title",
            Target::Birthday | Target::BirthYear | Target::BirthMonth => "birthday",
            Target::Note => "note",
            Target::Tags => "tags",
            Target::Language => "language",
        }
    }

    /// Every name a mapping may use.
    pub const NAMES: &'static [&'static str] = &[
        "given_name",
        "middle_name",
        "family_name",
        "name",
        "title",
        "salutation",
        "email",
        "phone",
        "street",
        "postcode",
        "city",
        "region",
        "country",
        "address",
        "company",
        "job_title",
        "birthday",
        "note",
        "tags",
        "language",
    ];

    /// A mapping's name: every address part of a mapped file is one address.
    pub fn parse(name: &str) -> Option<Target> {
        let other = Slot::Other;
        Some(match name.trim() {
            "given_name" => Target::GivenName,
            "middle_name" => Target::MiddleName,
            "family_name" => Target::FamilyName,
            "name" => Target::FullName,
            "title" => Target::Title,
            "salutation" => Target::Salutation,
            "email" => Target::Email,
            "phone" => Target::Phone,
            "street" => Target::Address(other, Part::Street),
            "postcode" => Target::Address(other, Part::Postcode),
            "city" => Target::Address(other, Part::City),
            "region" => Target::Address(other, Part::Region),
            "country" => Target::Address(other, Part::Country),
            "address" => Target::Address(other, Part::Whole),
            "company" => Target::Company,
            "job_title" => Target::JobTitle,
            "birthday" => Target::Birthday,
            "note" => Target::Note,
            "tags" => Target::Tags,
            "language" => Target::Language,
            _ => return None,
        })
    }
}

/// A mapping the user gives: header → field name, or null to leave a
/// column out. Headers not named are read as known headers are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    /// Header → field.
    pub columns: BTreeMap<String, Option<String>>,
}

impl Mapping {
    /// Reads a mapping file; an unknown field name is refused with the list.
    pub fn from_json(text: &str) -> Result<Mapping> {
        let mapping: Mapping = serde_json::from_str(text).map_err(|e| {
            Error::invalid(
                "mapping",
                format!("is not a mapping ({{\"columns\": {{\"Header\": \"given_name\"}}}}): {e}"),
            )
        })?;
        mapping.check()?;
        Ok(mapping)
    }

    /// The field a header goes to, the header compared as [`fold`] does
    /// (case, spaces and quotes aside): `Some(None)` leaves it out.
    pub fn get(&self, header: &str) -> Option<&Option<String>> {
        self.columns.get(header.trim()).or_else(|| {
            let h = fold(header);
            self.columns
                .iter()
                .find(|(k, _)| fold(k) == h)
                .map(|(_, v)| v)
        })
    }

    /// Refuses a field name that is not one, with the list of those that are.
    pub fn check(&self) -> Result<()> {
        for field in self.columns.values().flatten() {
            if Target::parse(field).is_none() {
                return Err(Error::invalid(
                    "mapping",
                    format!(
                        "'{field}' is not a field; use one of {}",
                        Target::NAMES.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// A header as compared: lower case, spaces folded, quotes and a stray
/// byte-order mark gone.
pub fn fold(header: &str) -> String {
    header
        .trim_matches(|c: char| c == '\u{feff}' || c == '"' || c.is_whitespace())
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Known headers: Outlook (desktop and .com, English and German),
/// Thunderbird (English and German), and what people type in Excel.
const KNOWN: &[(&str, Target)] = &[
    // names
    ("first name", Target::GivenName),
    ("firstname", Target::GivenName),
    ("given name", Target::GivenName),
    ("vorname", Target::GivenName),
    ("middle name", Target::MiddleName),
    ("additional name", Target::MiddleName),
    ("weitere vornamen", Target::MiddleName),
    ("zweiter vorname", Target::MiddleName),
    ("last name", Target::FamilyName),
    ("lastname", Target::FamilyName),
    ("surname", Target::FamilyName),
    ("family name", Target::FamilyName),
    ("nachname", Target::FamilyName),
    ("familienname", Target::FamilyName),
    ("name", Target::FullName),
    ("full name", Target::FullName),
    ("display name", Target::FullName),
    ("anzeigename", Target::FullName),
    ("title", Target::Title),
    ("titel", Target::Title),
    ("name prefix", Target::Title),
    ("akad. titel", Target::Title),
    ("anrede", Target::Salutation),
    ("salutation", Target::Salutation),
    // email
    ("e-mail address", Target::Email),
    ("e-mail 2 address", Target::Email),
    ("e-mail 3 address", Target::Email),
    ("e-mail-adresse", Target::Email),
    ("e-mail 2: adresse", Target::Email),
    ("e-mail 3: adresse", Target::Email),
    ("e-mail-adresse 2", Target::Email),
    ("e-mail-adresse 3", Target::Email),
    ("email", Target::Email),
    ("e-mail", Target::Email),
    ("email address", Target::Email),
    ("primary email", Target::Email),
    ("secondary email", Target::Email),
    ("primäre e-mail-adresse", Target::Email),
    ("sekundäre e-mail-adresse", Target::Email),
    ("mail", Target::Email),
    // phones
    ("mobile phone", Target::Phone),
    ("business phone", Target::Phone),
    ("business phone 2", Target::Phone),
    ("home phone", Target::Phone),
    ("home phone 2", Target::Phone),
    ("primary phone", Target::Phone),
    ("company main phone", Target::Phone),
    ("other phone", Target::Phone),
    ("car phone", Target::Phone),
    ("business fax", Target::Phone),
    ("home fax", Target::Phone),
    ("other fax", Target::Phone),
    ("pager", Target::Phone),
    ("mobiltelefon", Target::Phone),
    ("telefon geschäftlich", Target::Phone),
    ("telefon geschäftlich 2", Target::Phone),
    ("telefon privat", Target::Phone),
    ("telefon privat 2", Target::Phone),
    ("haupttelefon", Target::Phone),
    ("telefon firma", Target::Phone),
    ("weiteres telefon", Target::Phone),
    ("autotelefon", Target::Phone),
    ("fax geschäftlich", Target::Phone),
    ("fax privat", Target::Phone),
    ("weiteres fax", Target::Phone),
    ("work phone", Target::Phone),
    ("fax number", Target::Phone),
    ("pager number", Target::Phone),
    ("mobile number", Target::Phone),
    ("tel. dienstlich", Target::Phone),
    ("tel. privat", Target::Phone),
    ("fax-nummer", Target::Phone),
    ("pager-nummer", Target::Phone),
    ("mobil-tel.-nr.", Target::Phone),
    ("telefon", Target::Phone),
    ("telefonnummer", Target::Phone),
    ("tel", Target::Phone),
    ("tel.", Target::Phone),
    ("phone", Target::Phone),
    ("mobil", Target::Phone),
    ("handy", Target::Phone),
    ("mobile", Target::Phone),
    ("fax", Target::Phone),
    // addresses, Outlook
    (
        "business street",
        Target::Address(Slot::Business, Part::Street),
    ),
    (
        "business street 2",
        Target::Address(Slot::Business, Part::Street),
    ),
    (
        "business street 3",
        Target::Address(Slot::Business, Part::Street),
    ),
    ("business city", Target::Address(Slot::Business, Part::City)),
    (
        "business state",
        Target::Address(Slot::Business, Part::Region),
    ),
    (
        "business postal code",
        Target::Address(Slot::Business, Part::Postcode),
    ),
    (
        "business country/region",
        Target::Address(Slot::Business, Part::Country),
    ),
    (
        "business country",
        Target::Address(Slot::Business, Part::Country),
    ),
    ("home street", Target::Address(Slot::Home, Part::Street)),
    ("home street 2", Target::Address(Slot::Home, Part::Street)),
    ("home street 3", Target::Address(Slot::Home, Part::Street)),
    ("home city", Target::Address(Slot::Home, Part::City)),
    ("home state", Target::Address(Slot::Home, Part::Region)),
    (
        "home postal code",
        Target::Address(Slot::Home, Part::Postcode),
    ),
    (
        "home country/region",
        Target::Address(Slot::Home, Part::Country),
    ),
    ("home country", Target::Address(Slot::Home, Part::Country)),
    ("other street", Target::Address(Slot::Other, Part::Street)),
    ("other city", Target::Address(Slot::Other, Part::City)),
    ("other state", Target::Address(Slot::Other, Part::Region)),
    (
        "other postal code",
        Target::Address(Slot::Other, Part::Postcode),
    ),
    (
        "other country/region",
        Target::Address(Slot::Other, Part::Country),
    ),
    (
        "straße geschäftlich",
        Target::Address(Slot::Business, Part::Street),
    ),
    (
        "straße geschäftlich 2",
        Target::Address(Slot::Business, Part::Street),
    ),
    (
        "straße geschäftlich 3",
        Target::Address(Slot::Business, Part::Street),
    ),
    (
        "ort geschäftlich",
        Target::Address(Slot::Business, Part::City),
    ),
    (
        "region geschäftlich",
        Target::Address(Slot::Business, Part::Region),
    ),
    (
        "bundesland/kanton geschäftlich",
        Target::Address(Slot::Business, Part::Region),
    ),
    (
        "postleitzahl geschäftlich",
        Target::Address(Slot::Business, Part::Postcode),
    ),
    (
        "land geschäftlich",
        Target::Address(Slot::Business, Part::Country),
    ),
    (
        "land/region geschäftlich",
        Target::Address(Slot::Business, Part::Country),
    ),
    ("straße privat", Target::Address(Slot::Home, Part::Street)),
    ("straße privat 2", Target::Address(Slot::Home, Part::Street)),
    ("straße privat 3", Target::Address(Slot::Home, Part::Street)),
    ("ort privat", Target::Address(Slot::Home, Part::City)),
    ("region privat", Target::Address(Slot::Home, Part::Region)),
    (
        "bundesland/kanton privat",
        Target::Address(Slot::Home, Part::Region),
    ),
    (
        "postleitzahl privat",
        Target::Address(Slot::Home, Part::Postcode),
    ),
    ("land privat", Target::Address(Slot::Home, Part::Country)),
    (
        "land/region privat",
        Target::Address(Slot::Home, Part::Country),
    ),
    ("weitere straße", Target::Address(Slot::Other, Part::Street)),
    ("weiterer ort", Target::Address(Slot::Other, Part::City)),
    (
        "weitere postleitzahl",
        Target::Address(Slot::Other, Part::Postcode),
    ),
    (
        "weiteres land/region",
        Target::Address(Slot::Other, Part::Country),
    ),
    // addresses, Thunderbird
    (
        "work address",
        Target::Address(Slot::Business, Part::Street),
    ),
    (
        "work address 2",
        Target::Address(Slot::Business, Part::Street),
    ),
    ("work city", Target::Address(Slot::Business, Part::City)),
    ("work state", Target::Address(Slot::Business, Part::Region)),
    (
        "work zipcode",
        Target::Address(Slot::Business, Part::Postcode),
    ),
    (
        "work country",
        Target::Address(Slot::Business, Part::Country),
    ),
    ("home address", Target::Address(Slot::Home, Part::Street)),
    ("home address 2", Target::Address(Slot::Home, Part::Street)),
    ("home zipcode", Target::Address(Slot::Home, Part::Postcode)),
    (
        "dienstlich: adresse",
        Target::Address(Slot::Business, Part::Street),
    ),
    (
        "dienstlich: ort",
        Target::Address(Slot::Business, Part::City),
    ),
    (
        "dienstlich: plz",
        Target::Address(Slot::Business, Part::Postcode),
    ),
    (
        "dienstlich: land",
        Target::Address(Slot::Business, Part::Country),
    ),
    ("privat: adresse", Target::Address(Slot::Home, Part::Street)),
    ("privat: ort", Target::Address(Slot::Home, Part::City)),
    ("privat: plz", Target::Address(Slot::Home, Part::Postcode)),
    ("privat: land", Target::Address(Slot::Home, Part::Country)),
    // addresses, typed
    ("straße", Target::Address(Slot::Other, Part::Street)),
    ("strasse", Target::Address(Slot::Other, Part::Street)),
    ("str.", Target::Address(Slot::Other, Part::Street)),
    ("street", Target::Address(Slot::Other, Part::Street)),
    ("adresse", Target::Address(Slot::Other, Part::Street)),
    ("address", Target::Address(Slot::Other, Part::Street)),
    ("plz", Target::Address(Slot::Other, Part::Postcode)),
    ("postleitzahl", Target::Address(Slot::Other, Part::Postcode)),
    ("postal code", Target::Address(Slot::Other, Part::Postcode)),
    ("zip", Target::Address(Slot::Other, Part::Postcode)),
    ("zip code", Target::Address(Slot::Other, Part::Postcode)),
    ("ort", Target::Address(Slot::Other, Part::City)),
    ("stadt", Target::Address(Slot::Other, Part::City)),
    ("wohnort", Target::Address(Slot::Other, Part::City)),
    ("city", Target::Address(Slot::Other, Part::City)),
    ("bundesland", Target::Address(Slot::Other, Part::Region)),
    ("land", Target::Address(Slot::Other, Part::Country)),
    ("country", Target::Address(Slot::Other, Part::Country)),
    ("anschrift", Target::Address(Slot::Other, Part::Whole)),
    // business
    ("company", Target::Company),
    ("firma", Target::Company),
    ("unternehmen", Target::Company),
    ("organization", Target::Company),
    ("organisation", Target::Company),
    ("organization name", Target::Company),
    ("organization 1 - name", Target::Company),
    ("job title", Target::JobTitle),
    ("position", Target::JobTitle),
    ("funktion", Target::JobTitle),
    ("organization title", Target::JobTitle),
    ("organization 1 - title", Target::JobTitle),
    ("arbeitstitel", Target::JobTitle),
    ("berufsbezeichnung", Target::JobTitle),
    // the rest
    ("birthday", Target::Birthday),
    // Thunderbird's three columns (its "Geburtstag"/"Birth Day" is the
    // day of the month then).
    ("geburtsjahr", Target::BirthYear),
    ("geburtsmonat", Target::BirthMonth),
    ("birth year", Target::BirthYear),
    ("birth month", Target::BirthMonth),
    ("birth day", Target::Birthday),
    ("geburtstag", Target::Birthday),
    ("geburtsdatum", Target::Birthday),
    ("notes", Target::Note),
    ("note", Target::Note),
    ("notizen", Target::Note),
    ("notiz", Target::Note),
    ("bemerkung", Target::Note),
    ("bemerkungen", Target::Note),
    ("anmerkungen", Target::Note),
    ("categories", Target::Tags),
    ("kategorien", Target::Tags),
    ("labels", Target::Tags),
    ("group membership", Target::Tags),
    ("schlagwörter", Target::Tags),
    ("tags", Target::Tags),
    ("language", Target::Language),
    ("sprache", Target::Language),
];

/// Google's numbered columns: `E-mail 1 - Value`, `Phone 2 - Value`,
/// `Address 1 - Street` (the `- Type`/`- Label` beside them are left out).
fn google(h: &str) -> Option<Target> {
    let (head, tail) = h.split_once(" - ")?;
    let (what, n) = head.rsplit_once(' ')?;
    let n: u8 = n.parse().ok()?;
    Some(match (what, tail) {
        ("e-mail", "value") => Target::Email,
        ("phone", "value") => Target::Phone,
        ("address", part) => Target::Address(
            Slot::Numbered(n),
            match part {
                "formatted" => Part::Whole,
                "street" | "po box" | "extended address" => Part::Street,
                "city" => Part::City,
                "postal code" => Part::Postcode,
                "region" => Part::Region,
                "country" => Part::Country,
                _ => return None,
            },
        ),
        ("organization", "name") => Target::Company,
        ("organization", "title") => Target::JobTitle,
        _ => return None,
    })
}

/// What a header means, if it is known.
pub fn known(header: &str) -> Option<Target> {
    let h = fold(header);
    KNOWN
        .iter()
        .find(|(k, _)| *k == h)
        .map(|(_, t)| *t)
        .or_else(|| google(&h))
}

/// The export a header row looks like, for the report.
pub fn looks_like(headers: &[String]) -> Option<&'static str> {
    let has = |h: &str| headers.iter().any(|x| fold(x) == h);
    if has("e-mail 1 - value") || has("given name") && has("group membership") {
        Some("Google Contacts")
    } else if has("straße geschäftlich") || has("e-mail-adresse") && has("mobiltelefon") {
        Some("Outlook (Deutsch)")
    } else if has("business street") || has("e-mail address") && has("mobile phone") {
        Some("Outlook (English)")
    } else if has("primary email") || has("primäre e-mail-adresse") {
        Some("Thunderbird")
    } else {
        None
    }
}

/// Each header's target: the mapping's word first, then the known headers.
/// In Outlook's German export, "Ort" is the location of a meeting place
/// (Outlook's "Location"), not a city: its cities are "Ort geschäftlich"
/// and so on.
pub fn targets(headers: &[String], mapping: Option<&Mapping>) -> Vec<Option<Target>> {
    let outlook_de = looks_like(headers) == Some("Outlook (Deutsch)");
    headers
        .iter()
        .map(|h| match mapping.and_then(|m| m.get(h)) {
            Some(Some(field)) => Target::parse(field),
            Some(None) => None,
            None if outlook_de && fold(h) == "ort" => None,
            None => known(h),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(line: &str, sep: char) -> Vec<String> {
        line.split(sep).map(str::to_owned).collect()
    }

    #[test]
    fn outlook_google_and_thunderbird_headers_are_known() {
        let de = headers(
            "Vorname;Nachname;E-Mail-Adresse;Mobiltelefon;Straße geschäftlich;Postleitzahl geschäftlich;Ort geschäftlich;Firma;Position",
            ';',
        );
        let t = targets(&de, None);
        assert_eq!(t[0], Some(Target::GivenName));
        assert_eq!(t[3], Some(Target::Phone));
        assert_eq!(t[5], Some(Target::Address(Slot::Business, Part::Postcode)));
        assert_eq!(t[8], Some(Target::JobTitle));
        assert_eq!(looks_like(&de), Some("Outlook (Deutsch)"));

        let google_h = headers(
            "Name,Given Name,Family Name,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Value,Address 1 - City,Group Membership",
            ',',
        );
        let t = targets(&google_h, None);
        assert_eq!(t[0], Some(Target::FullName));
        assert_eq!(t[3], None, "the type column is not a value");
        assert_eq!(t[4], Some(Target::Email));
        assert_eq!(t[6], Some(Target::Address(Slot::Numbered(1), Part::City)));
        assert_eq!(t[7], Some(Target::Tags));
        assert_eq!(looks_like(&google_h), Some("Google Contacts"));

        let tb = headers(
            "First Name,Last Name,Display Name,Nickname,Primary Email,Work Phone",
            ',',
        );
        assert_eq!(targets(&tb, None)[4], Some(Target::Email));
        assert_eq!(looks_like(&tb), Some("Thunderbird"));
        assert_eq!(known("\u{feff}\"Vorname\""), Some(Target::GivenName));
        assert_eq!(known("Kundennummer"), None);
    }

    #[test]
    fn a_mapping_names_fields_and_refuses_unknown_ones() {
        let m = Mapping::from_json(
            r#"{"columns": {"Kunde": "family_name", "Nr": null, "Vorname": "note"}}"#,
        )
        .expect("ok");
        let t = targets(&headers("Nr;Kunde;Vorname;PLZ", ';'), Some(&m));
        assert_eq!(
            t,
            vec![
                None,
                Some(Target::FamilyName),
                Some(Target::Note),
                Some(Target::Address(Slot::Other, Part::Postcode))
            ]
        );
        let err =
            Mapping::from_json(r#"{"columns": {"Kunde": "shoe_size"}}"#).expect_err("refused");
        assert!(
            err.to_string().contains("'shoe_size' is not a field"),
            "{err}"
        );
    }
}
