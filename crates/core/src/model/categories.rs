//! The field catalogue: every field of every record kind and its data category.
//!
//! This table is the single source of truth that access rules, compartments,
//! and later the Art. 30 register and retention rules are derived from. A
//! field that is not listed here cannot be written. Nothing else in the code
//! may decide which category a field belongs to.

use serde::{Deserialize, Serialize};

/// The kinds of record the vault holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RecordKind {
    /// A natural person: the data subject.
    Person,
    /// A company (legal person).
    Company,
    /// The link person ↔ company with the person's role there.
    Affiliation,
    /// A call, meeting, email, letter or note about a person.
    Interaction,
    /// A purpose of processing (configuration, not personal data).
    Purpose,
    /// One entry of a person's consent history (append-only).
    Consent,
    /// A vault setting such as the mail server.
    Setting,
    /// A disclosure: who exported which people for which purpose, when.
    Disclosure,
    /// A version of the Art. 30 register.
    RegisterVersion,
    /// A data-subject request (access, erasure, …).
    Request,
    /// A restriction of processing (Art. 18) set or lifted.
    Restriction,
    /// A suppressed address (keyed hash only) or a recorded override.
    Suppression,
    /// The release of an access package: who, when, SHA-256.
    PackageRelease,
    /// A legal hold on a person (litigation, audit) set or lifted.
    Hold,
    /// A person kept only for records the law requires, to be erased
    /// when the last of them may go.
    PendingErasure,
    /// A retention rule (configuration; every change is an op).
    RetentionRule,
    /// One sweep's deletion counts per rule and kind: no personal data.
    DeletionLog,
    /// A rectification (Art. 16): which fields, why, for which request.
    Rectification,
    /// A follow-up (Wiedervorlage) on a person or a company.
    FollowUp,
    /// An import: who brought which files in, what it created and merged.
    ImportBatch,
}

impl RecordKind {
    /// Stable name used in the store and in ops.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Person => "person",
            RecordKind::Company => "company",
            RecordKind::Affiliation => "affiliation",
            RecordKind::Interaction => "interaction",
            RecordKind::Purpose => "purpose",
            RecordKind::Consent => "consent",
            RecordKind::Setting => "setting",
            RecordKind::Disclosure => "disclosure",
            RecordKind::RegisterVersion => "register_version",
            RecordKind::Request => "request",
            RecordKind::Restriction => "restriction",
            RecordKind::Suppression => "suppression",
            RecordKind::PackageRelease => "package_release",
            RecordKind::Hold => "hold",
            RecordKind::PendingErasure => "pending_erasure",
            RecordKind::RetentionRule => "retention_rule",
            RecordKind::DeletionLog => "deletion_log",
            RecordKind::Rectification => "rectification",
            RecordKind::FollowUp => "follow_up",
            RecordKind::ImportBatch => "import_batch",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Person,
            Self::Company,
            Self::Affiliation,
            Self::Interaction,
            Self::Purpose,
            Self::Consent,
            Self::Setting,
            Self::Disclosure,
            Self::RegisterVersion,
            Self::Request,
            Self::Restriction,
            Self::Suppression,
            Self::PackageRelease,
            Self::Hold,
            Self::PendingErasure,
            Self::RetentionRule,
            Self::DeletionLog,
            Self::Rectification,
            Self::FollowUp,
            Self::ImportBatch,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Data categories, the unit of purpose, access and retention rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Category {
    /// Who someone is: name, salutation, title, birthday, language.
    Identity,
    /// How to reach someone: email, phone, postal address.
    ContactDetails,
    /// Companies and a person's role at one.
    Business,
    /// Tags used to group and select people.
    Segmentation,
    /// The record of interactions: kind, time, who, summary.
    Communication,
    /// Free-text notes: may hold anything, so they are compartmented.
    Notes,
    /// Special categories of personal data under Art. 9 GDPR.
    Special,
    /// Deals, offers, volumes: commercially sensitive.
    Deal,
    /// Consents given and withdrawn, their source and evidence.
    Consent,
    /// Disclosures: which exports included a person.
    Disclosures,
    /// Data-subject requests and how they were answered.
    Requests,
    /// Configuration of the vault itself: no personal data.
    Configuration,
}

impl Category {
    /// Every category, in display order.
    pub const ALL: [Category; 12] = [
        Category::Identity,
        Category::ContactDetails,
        Category::Business,
        Category::Segmentation,
        Category::Communication,
        Category::Notes,
        Category::Special,
        Category::Deal,
        Category::Consent,
        Category::Disclosures,
        Category::Requests,
        Category::Configuration,
    ];

    /// Categories of personal data: everything but the vault's configuration.
    pub fn personal() -> impl Iterator<Item = Category> {
        Self::ALL
            .into_iter()
            .filter(|c| *c != Category::Configuration)
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// How long data of this category is kept and why (until configurable
    /// retention rules exist, the register states these criteria).
    pub fn retention(self, lang: Lang) -> &'static str {
        let (de, en) = match self {
            Category::Identity | Category::ContactDetails | Category::Segmentation => (
                "bis zur Löschung auf Verlangen, spätestens nach der Regel „people“ (Standard: 2 Jahre nach dem letzten Kontakt); Name und Anschrift zu aufbewahrungspflichtigen Unterlagen gesperrt bis zu deren Fristende",
                "until erasure is requested, at the latest by the rule “people” (default: 2 years after the last contact); name and address of records the law requires are kept, restricted, until those records may go",
            ),
            Category::Business | Category::Deal => (
                "Dauer der Geschäftsbeziehung, gelöscht mit der Person",
                "the duration of the business relationship; deleted with the person",
            ),
            Category::Communication | Category::Notes => (
                "Standard: 3 Jahre ab Ende des Jahres des Kontakts; Geschäftsbriefe 6, Rechnungen 8 Jahre ab Jahresende (HGB §257, AO §147)",
                "default: 3 years from the end of the contact's year; business letters 6, invoices 8 years from the year end (HGB §257, AO §147)",
            ),
            Category::Special => (
                "nur solange der konkrete Zweck besteht; Löschung auf Verlangen",
                "only while the specific purpose lasts; erased on request",
            ),
            Category::Disclosures => (
                "solange die Person gespeichert ist (Auskunft über Empfänger, Art. 15 Abs. 1 lit. c)",
                "as long as the person is kept (to name recipients in access requests, Art. 15(1)(c))",
            ),
            Category::Requests => (
                "3 Jahre ab Ende des Jahres der Anfrage (Nachweis, §§ 195, 199 BGB)",
                "3 years from the end of the request's year (proof, BGB §§ 195, 199)",
            ),
            Category::Consent => (
                "solange die Person gespeichert ist (Nachweis, Art. 7 Abs. 1); wer nur wegen einer Einwilligung gespeichert ist: 1 Monat nach dem Widerruf",
                "as long as the person is kept (proof under Art. 7(1)); people kept only because of a consent: one month after they withdraw it",
            ),
            Category::Configuration => (
                "unbegrenzt (keine personenbezogenen Daten)",
                "indefinitely (no personal data)",
            ),
        };
        lang.pick(de, en)
    }

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Identity => "identity",
            Category::ContactDetails => "contact_details",
            Category::Business => "business",
            Category::Segmentation => "segmentation",
            Category::Communication => "communication",
            Category::Notes => "notes",
            Category::Special => "special",
            Category::Deal => "deal",
            Category::Consent => "consent",
            Category::Disclosures => "disclosures",
            Category::Requests => "requests",
            Category::Configuration => "configuration",
        }
    }

    /// The compartment whose key seals fields of this category, if any.
    pub fn compartment(self) -> Option<Compartment> {
        match self {
            Category::Notes => Some(Compartment::Notes),
            Category::Special => Some(Compartment::Special),
            Category::Deal => Some(Compartment::Deal),
            _ => None,
        }
    }

    /// Human label (de, en).
    pub fn label(self, lang: Lang) -> &'static str {
        let (de, en) = match self {
            Category::Identity => ("Identität", "Identity"),
            Category::ContactDetails => ("Kontaktdaten", "Contact details"),
            Category::Business => ("Geschäftsbeziehung", "Business relationship"),
            Category::Segmentation => ("Segmentierung", "Segmentation"),
            Category::Communication => ("Kommunikation", "Communication"),
            Category::Notes => ("Notizen", "Notes"),
            Category::Special => (
                "Besondere Kategorien (Art. 9)",
                "Special categories (Art. 9)",
            ),
            Category::Deal => ("Geschäftsdaten", "Deal data"),
            Category::Consent => ("Einwilligungen", "Consents"),
            Category::Disclosures => ("Weitergaben", "Disclosures"),
            Category::Requests => ("Betroffenenanfragen", "Data-subject requests"),
            Category::Configuration => ("Konfiguration", "Configuration"),
        };
        lang.pick(de, en)
    }
}

/// Restricted categories are sealed a second time with a compartment key
/// that only the roles allowed to read them hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Compartment {
    /// Free-text notes.
    Notes,
    /// Art. 9 special categories.
    Special,
    /// Deal data.
    Deal,
    /// The secrets that send mail (the SMTP password): only the roles that
    /// send confirmation mails hold its key.
    Mail,
}

impl Compartment {
    /// Every compartment.
    pub const ALL: [Compartment; 4] = [
        Compartment::Notes,
        Compartment::Special,
        Compartment::Deal,
        Compartment::Mail,
    ];

    /// The compartments of record data, which every vault has had from the
    /// start ([`Compartment::Mail`] came later).
    pub const DATA: [Compartment; 3] =
        [Compartment::Notes, Compartment::Special, Compartment::Deal];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Compartment::Notes => "notes",
            Compartment::Special => "special",
            Compartment::Deal => "deal",
            Compartment::Mail => "mail",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Stable one-byte tag used in encoded keysets.
    pub(crate) fn tag(self) -> u8 {
        match self {
            Compartment::Notes => 10,
            Compartment::Special => 11,
            Compartment::Deal => 12,
            Compartment::Mail => 13,
        }
    }
}

/// Display language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Lang {
    /// German.
    De,
    /// English.
    #[default]
    En,
}

impl Lang {
    /// Picks the German or English text.
    pub fn pick(self, de: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::De => de,
            Lang::En => en,
        }
    }
}

/// What a field's value looks like; drives validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// One line of text.
    Text,
    /// Multi-line free text.
    LongText,
    /// A list of email addresses.
    Emails,
    /// A list of phone numbers.
    Phones,
    /// A list of postal addresses (one per entry, lines separated by newlines).
    Addresses,
    /// A list of tags.
    Tags,
    /// A calendar date, `YYYY-MM-DD`, not in the future.
    Date,
    /// A calendar date, `YYYY-MM-DD`, past or future (a due date).
    Day,
    /// A birthday: a [`ValueType::Date`], or a day of a month without the
    /// year (`--MM-DD`, as vCard writes it) when the year is not known.
    Birthday,
    /// An RFC 3339 timestamp.
    Timestamp,
    /// An ISO 639-1 language code.
    Language,
    /// One of a closed set of words.
    OneOf(&'static [&'static str]),
    /// The id of another record.
    Reference(RecordKind),
    /// A structured JSON document owned and validated by one module
    /// (purposes, consent entries, settings); never edited field by field.
    Document,
}

/// One row of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    /// Record kind the field belongs to.
    pub kind: RecordKind,
    /// Stable field name.
    pub name: &'static str,
    /// Its data category.
    pub category: Category,
    /// Shape of the value.
    pub value: ValueType,
    /// German label.
    pub label_de: &'static str,
    /// English label.
    pub label_en: &'static str,
}

impl FieldDef {
    /// Label in a language.
    pub fn label(&self, lang: Lang) -> &'static str {
        lang.pick(self.label_de, self.label_en)
    }
}

/// Kinds of interaction.
pub const INTERACTION_KINDS: &[&str] = &["call", "meeting", "email", "letter", "note"];
/// What an interaction is kept as when the law requires it to be kept
/// (HGB §257, AO §147). Stored, and sent to the UI, as `business_letter`
/// or `invoice`; the command line says `business-letter` (or
/// `business_letter`) and `invoice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum KeepClass {
    /// A business letter sent or received (HGB §257 (1) 2–3).
    #[cfg_attr(feature = "clap", value(alias = "business_letter"))]
    BusinessLetter,
    /// An invoice or other booking voucher (HGB §257 (1) 4).
    Invoice,
}

impl KeepClass {
    /// Every class.
    pub const ALL: [KeepClass; 2] = [KeepClass::BusinessLetter, KeepClass::Invoice];

    /// Stable name, as stored in an interaction's `keep` field.
    pub const fn as_str(self) -> &'static str {
        match self {
            KeepClass::BusinessLetter => "business_letter",
            KeepClass::Invoice => "invoice",
        }
    }
}

/// The stable names of [`KeepClass`]: the values the `keep` field takes.
pub const KEEP_CLASSES: &[&str] = &[
    KeepClass::BusinessLetter.as_str(),
    KeepClass::Invoice.as_str(),
];
/// Salutations.
pub const SALUTATIONS: &[&str] = &["mr", "ms", "mx", "none"];

macro_rules! field {
    ($kind:ident, $name:literal, $cat:ident, $val:expr, $de:literal, $en:literal) => {
        FieldDef {
            kind: RecordKind::$kind,
            name: $name,
            category: Category::$cat,
            value: $val,
            label_de: $de,
            label_en: $en,
        }
    };
}

/// The catalogue.
pub const FIELDS: &[FieldDef] = &[
    field!(
        Person,
        "salutation",
        Identity,
        ValueType::OneOf(SALUTATIONS),
        "Anrede",
        "Salutation"
    ),
    field!(Person, "title", Identity, ValueType::Text, "Titel", "Title"),
    field!(
        Person,
        "given_name",
        Identity,
        ValueType::Text,
        "Vorname",
        "Given name"
    ),
    field!(
        Person,
        "family_name",
        Identity,
        ValueType::Text,
        "Nachname",
        "Family name"
    ),
    field!(
        Person,
        "birthday",
        Identity,
        ValueType::Birthday,
        "Geburtstag",
        "Birthday"
    ),
    field!(
        Person,
        "language",
        Identity,
        ValueType::Language,
        "Bevorzugte Sprache",
        "Preferred language"
    ),
    field!(
        Person,
        "emails",
        ContactDetails,
        ValueType::Emails,
        "E-Mail",
        "Email"
    ),
    field!(
        Person,
        "phones",
        ContactDetails,
        ValueType::Phones,
        "Telefon",
        "Phone"
    ),
    field!(
        Person,
        "addresses",
        ContactDetails,
        ValueType::Addresses,
        "Anschrift",
        "Postal address"
    ),
    field!(
        Person,
        "tags",
        Segmentation,
        ValueType::Tags,
        "Schlagwörter",
        "Tags"
    ),
    field!(
        Person,
        "last_contact",
        Communication,
        ValueType::Date,
        "Letzter Kontakt",
        "Last contact"
    ),
    field!(
        Person,
        "source",
        Identity,
        ValueType::Text,
        "Herkunft der Daten",
        "Source of the data"
    ),
    field!(Person, "note", Notes, ValueType::LongText, "Notiz", "Note"),
    field!(
        Person,
        "special",
        Special,
        ValueType::LongText,
        "Besondere Kategorien (Art. 9)",
        "Special categories (Art. 9)"
    ),
    field!(
        Person,
        "deal_stage",
        Deal,
        ValueType::Text,
        "Verkaufsphase",
        "Deal stage"
    ),
    field!(
        Person,
        "deal_value",
        Deal,
        ValueType::Text,
        "Auftragswert",
        "Deal value"
    ),
    field!(
        Company,
        "name",
        Business,
        ValueType::Text,
        "Firmenname",
        "Company name"
    ),
    field!(
        Company,
        "website",
        Business,
        ValueType::Text,
        "Website",
        "Website"
    ),
    field!(
        Company,
        "phones",
        Business,
        ValueType::Phones,
        "Telefon",
        "Phone"
    ),
    field!(
        Company,
        "addresses",
        Business,
        ValueType::Addresses,
        "Anschrift",
        "Address"
    ),
    field!(Company, "note", Notes, ValueType::LongText, "Notiz", "Note"),
    field!(
        Affiliation,
        "person",
        Business,
        ValueType::Reference(RecordKind::Person),
        "Person",
        "Person"
    ),
    field!(
        Affiliation,
        "company",
        Business,
        ValueType::Reference(RecordKind::Company),
        "Firma",
        "Company"
    ),
    field!(
        Affiliation,
        "role",
        Business,
        ValueType::Text,
        "Funktion",
        "Role"
    ),
    field!(
        Interaction,
        "kind",
        Communication,
        ValueType::OneOf(INTERACTION_KINDS),
        "Art",
        "Kind"
    ),
    field!(
        Interaction,
        "at",
        Communication,
        ValueType::Timestamp,
        "Zeitpunkt",
        "When"
    ),
    field!(
        Interaction,
        "by",
        Communication,
        ValueType::Text,
        "Durch",
        "By"
    ),
    field!(
        Interaction,
        "summary",
        Communication,
        ValueType::Text,
        "Zusammenfassung",
        "Summary"
    ),
    field!(
        Interaction,
        "keep",
        Communication,
        ValueType::OneOf(KEEP_CLASSES),
        "Aufbewahrungspflichtig als",
        "Kept by law as"
    ),
    field!(
        Interaction,
        "text",
        Notes,
        ValueType::LongText,
        "Text",
        "Text"
    ),
    field!(
        FollowUp,
        "what",
        Communication,
        ValueType::Text,
        "Wiedervorlage",
        "Follow-up"
    ),
    field!(
        FollowUp,
        "due",
        Communication,
        ValueType::Day,
        "Wiedervorlage fällig am",
        "Follow-up due on"
    ),
    field!(
        FollowUp,
        "time",
        Communication,
        ValueType::Text,
        "Wiedervorlage Uhrzeit",
        "Follow-up time"
    ),
    field!(
        FollowUp,
        "assignee",
        Communication,
        ValueType::Text,
        "Wiedervorlage für",
        "Follow-up for"
    ),
    field!(
        FollowUp,
        "by",
        Communication,
        ValueType::Text,
        "Wiedervorlage angelegt von",
        "Follow-up made by"
    ),
    field!(
        FollowUp,
        "done_at",
        Communication,
        ValueType::Timestamp,
        "Wiedervorlage erledigt am",
        "Follow-up done at"
    ),
    field!(
        Purpose,
        "definition",
        Configuration,
        ValueType::Document,
        "Zweck",
        "Purpose"
    ),
    field!(
        Consent,
        "entry",
        Consent,
        ValueType::Document,
        "Einwilligung",
        "Consent"
    ),
    field!(
        Consent,
        "evidence_file",
        Consent,
        ValueType::Document,
        "Nachweisdatei",
        "Evidence file"
    ),
    field!(
        Setting,
        "value",
        Configuration,
        ValueType::Document,
        "Einstellung",
        "Setting"
    ),
    field!(
        Disclosure,
        "disclosure",
        Disclosures,
        ValueType::Document,
        "Weitergabe",
        "Disclosure"
    ),
    field!(
        Request,
        "request",
        Requests,
        ValueType::Document,
        "Anfrage",
        "Request"
    ),
    field!(
        Restriction,
        "restriction",
        Requests,
        ValueType::Document,
        "Einschränkung",
        "Restriction"
    ),
    field!(
        Suppression,
        "suppression",
        Requests,
        ValueType::Document,
        "Sperrvermerk",
        "Suppression"
    ),
    field!(
        PackageRelease,
        "release",
        Requests,
        ValueType::Document,
        "Herausgabe",
        "Release"
    ),
    field!(
        Hold,
        "hold",
        Requests,
        ValueType::Document,
        "Sperre (Rechtsstreit, Prüfung)",
        "Legal hold"
    ),
    field!(
        PendingErasure,
        "pending",
        Requests,
        ValueType::Document,
        "Löschung nach Aufbewahrungsfrist",
        "Erasure after the retention period"
    ),
    field!(
        RetentionRule,
        "rule",
        Configuration,
        ValueType::Document,
        "Aufbewahrungsregel",
        "Retention rule"
    ),
    field!(
        DeletionLog,
        "entry",
        Configuration,
        ValueType::Document,
        "Löschprotokoll",
        "Deletion log"
    ),
    field!(
        Rectification,
        "rectification",
        Requests,
        ValueType::Document,
        "Berichtigung",
        "Rectification"
    ),
    field!(
        RegisterVersion,
        "register",
        Configuration,
        ValueType::Document,
        "Verzeichnis",
        "Register"
    ),
];

/// Looks up a field of a record kind.
pub fn field(kind: RecordKind, name: &str) -> Option<&'static FieldDef> {
    FIELDS.iter().find(|f| f.kind == kind && f.name == name)
}

/// All fields of a record kind, in catalogue order.
pub fn fields_of(kind: RecordKind) -> impl Iterator<Item = &'static FieldDef> {
    FIELDS.iter().filter(move |f| f.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_unique_per_kind() {
        for (i, a) in FIELDS.iter().enumerate() {
            for b in &FIELDS[i + 1..] {
                assert!(!(a.kind == b.kind && a.name == b.name), "{} twice", a.name);
            }
        }
    }

    #[test]
    fn free_text_and_art9_are_compartmented() {
        for f in FIELDS {
            if f.value == ValueType::LongText {
                assert!(
                    f.category.compartment().is_some(),
                    "{} is free text but open",
                    f.name
                );
            }
        }
        assert_eq!(
            field(RecordKind::Person, "special").map(|f| f.category),
            Some(Category::Special)
        );
    }
}
