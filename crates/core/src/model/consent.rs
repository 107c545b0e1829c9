//! Purposes of processing, legal bases, consents and their history, double
//! opt-in, purpose-bound mailing exports, and the per-person legal-basis view.
//!
//! Everything here is stored as ops like contacts are: a purpose is a record
//! whose `definition` document is replaced as a whole; a consent entry is a
//! record of its own that is written once and never changed (append-only
//! history); a mailing export leaves a disclosure record naming the people it
//! contained. Expiry is computed when read, from the purpose's validity.

use std::collections::BTreeMap;

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::categories::{self, Category, Lang, RecordKind};
use crate::model::contacts::{RecordId, no_controls};
use crate::model::export::ContactFormat;

/// Namespace of the deterministic ids of purposes and settings, so two
/// laptops that create the same default get the same record.
pub(crate) const NAMESPACE: Uuid = Uuid::from_u128(0x5d1c_7a8e_3b0f_4c52_9e61_2f7d_84a0_c3b9);

/// Art. 6(1) GDPR: the closed set of legal bases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum LegalBasis {
    /// (a) consent.
    Consent,
    /// (b) performance of a contract or steps before one.
    Contract,
    /// (c) a legal obligation.
    LegalObligation,
    /// (d) vital interests.
    VitalInterests,
    /// (e) a task in the public interest.
    PublicTask,
    /// (f) legitimate interests.
    LegitimateInterests,
}

impl LegalBasis {
    /// Every basis, (a) to (f).
    pub const ALL: [LegalBasis; 6] = [
        LegalBasis::Consent,
        LegalBasis::Contract,
        LegalBasis::LegalObligation,
        LegalBasis::VitalInterests,
        LegalBasis::PublicTask,
        LegalBasis::LegitimateInterests,
    ];

    /// The letter of Art. 6(1).
    pub fn letter(self) -> char {
        match self {
            LegalBasis::Consent => 'a',
            LegalBasis::Contract => 'b',
            LegalBasis::LegalObligation => 'c',
            LegalBasis::VitalInterests => 'd',
            LegalBasis::PublicTask => 'e',
            LegalBasis::LegitimateInterests => 'f',
        }
    }

    /// Parses `a`…`f`, `6(1)(a)`, `art6-1-a` or the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim().to_lowercase();
        let compact: String = t.chars().filter(char::is_ascii_alphanumeric).collect();
        Self::ALL.into_iter().find(|b| {
            let name = serde_json::to_value(b)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let l = b.letter();
            t == name
                || compact == l.to_string()
                || compact == format!("61{l}")
                || compact == format!("art61{l}")
        })
    }

    /// "Art. 6 Abs. 1 lit. a DSGVO (Einwilligung)" / "Art. 6(1)(a) GDPR (consent)".
    pub fn label(self, lang: Lang) -> String {
        let (de, en) = match self {
            LegalBasis::Consent => ("Einwilligung", "consent"),
            LegalBasis::Contract => ("Vertrag oder vorvertragliche Maßnahmen", "contract"),
            LegalBasis::LegalObligation => ("rechtliche Verpflichtung", "legal obligation"),
            LegalBasis::VitalInterests => ("lebenswichtige Interessen", "vital interests"),
            LegalBasis::PublicTask => ("öffentliches Interesse", "public task"),
            LegalBasis::LegitimateInterests => ("berechtigtes Interesse", "legitimate interests"),
        };
        match lang {
            Lang::De => format!("Art. 6 Abs. 1 lit. {} DSGVO ({de})", self.letter()),
            Lang::En => format!("Art. 6(1)({}) GDPR ({en})", self.letter()),
        }
    }
}

/// How a person is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Channel {
    /// Email.
    Email,
    /// Telephone call.
    Phone,
    /// Letter post.
    Post,
    /// Text message.
    Sms,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 4] = [Channel::Email, Channel::Phone, Channel::Post, Channel::Sms];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Phone => "phone",
            Channel::Post => "post",
            Channel::Sms => "sms",
        }
    }

    /// Label.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Channel::Email => lang.pick("E-Mail", "Email"),
            Channel::Phone => lang.pick("Telefon", "Phone"),
            Channel::Post => lang.pick("Post", "Post"),
            Channel::Sms => lang.pick("SMS", "SMS"),
        }
    }

    /// The person's field that holds the address for this channel.
    pub(crate) fn field(self) -> &'static str {
        match self {
            Channel::Email => "emails",
            Channel::Phone | Channel::Sms => "phones",
            Channel::Post => "addresses",
        }
    }
}

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ConsentState {
    /// Consent is given.
    Given,
    /// A confirmation mail was sent; no valid consent yet.
    Pending,
    /// Consent was withdrawn.
    Withdrawn,
    /// Given, but older than the purpose's validity (computed, never stored).
    Expired,
}

impl ConsentState {
    /// Every state, in the order they are listed.
    pub const ALL: [ConsentState; 4] = [
        ConsentState::Given,
        ConsentState::Pending,
        ConsentState::Withdrawn,
        ConsentState::Expired,
    ];

    /// Label.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            ConsentState::Given => lang.pick("erteilt", "given"),
            ConsentState::Pending => lang.pick("Bestätigung ausstehend", "pending confirmation"),
            ConsentState::Withdrawn => lang.pick("widerrufen", "withdrawn"),
            ConsentState::Expired => lang.pick("abgelaufen", "expired"),
        }
    }
}

/// A purpose of processing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Purpose {
    /// Short stable key used on the command line, e.g. `e-marketing`.
    pub key: String,
    /// German name.
    pub name_de: String,
    /// English name.
    pub name_en: String,
    /// What is done with the data, for the register and the person
    /// (German, or the only language the business writes).
    pub description: String,
    /// The same in English, where the business gives it; an English
    /// register, package or mail falls back to `description` without it.
    #[serde(default)]
    pub description_en: String,
    /// The legal basis it normally rests on.
    pub basis: LegalBasis,
    /// Data categories the purpose needs.
    pub categories: Vec<Category>,
    /// Recipients or categories of recipients.
    pub recipients: Vec<String>,
    /// Whether processing needs the person's consent.
    pub consent_required: bool,
    /// Months a consent stays valid; none for no limit.
    pub validity_months: Option<u32>,
}

impl Purpose {
    /// Name in a language.
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::De => &self.name_de,
            Lang::En => &self.name_en,
        }
    }

    /// What is done with the data, in a language: the English text where
    /// there is one.
    pub fn description_in(&self, lang: Lang) -> &str {
        match lang {
            Lang::En if !self.description_en.trim().is_empty() => &self.description_en,
            _ => &self.description,
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        let key_ok = !self.key.is_empty()
            && self.key.len() <= 40
            && self
                .key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !key_ok {
            return Err(Error::invalid(
                "key",
                "use 1–40 lower-case letters, digits and dashes, e.g. e-marketing",
            ));
        }
        for (field, v) in [("name_de", &self.name_de), ("name_en", &self.name_en)] {
            if v.trim().is_empty() || v.chars().count() > 120 {
                return Err(Error::invalid(
                    field,
                    "a purpose needs a name of 1–120 characters",
                ));
            }
            no_controls(field, v, false)?;
        }
        for (field, text) in [
            ("description", &self.description),
            ("description_en", &self.description_en),
        ] {
            if text.chars().count() > 4000 {
                return Err(Error::invalid(field, "keep it under 4000 characters"));
            }
            no_controls(field, text, true)?;
        }
        for r in &self.recipients {
            no_controls("recipients", r, false)?;
        }
        if self.categories.is_empty() {
            return Err(Error::invalid(
                "categories",
                "name at least one data category the purpose needs",
            ));
        }
        if self.categories.contains(&Category::Configuration) {
            return Err(Error::invalid(
                "categories",
                "'configuration' is not a category of personal data",
            ));
        }
        if self.basis == LegalBasis::Consent && !self.consent_required {
            return Err(Error::invalid(
                "consent_required",
                "a purpose resting on consent (Art. 6(1)(a)) requires consent",
            ));
        }
        if self.validity_months == Some(0) || self.validity_months.is_some_and(|m| m > 600) {
            return Err(Error::invalid(
                "validity_months",
                "use 1–600 months, or no limit",
            ));
        }
        Ok(())
    }

    pub(crate) fn id(&self) -> Uuid {
        Uuid::new_v5(&NAMESPACE, format!("purpose:{}", self.key).as_bytes())
    }
}

/// The purposes a new vault starts with.
pub fn default_purposes() -> Vec<Purpose> {
    vec![
        Purpose {
            key: "sales".into(),
            name_de: "Verkauf und Service".into(),
            name_en: "Sales and service".into(),
            description: "Angebote, Aufträge, Kundendienst und die Korrespondenz dazu.".into(),
            description_en: "Offers, orders, customer service and the correspondence about them."
                .into(),
            basis: LegalBasis::Contract,
            categories: vec![
                Category::Identity,
                Category::ContactDetails,
                Category::Business,
                Category::Segmentation,
                Category::Communication,
                Category::Notes,
                Category::Deal,
                Category::Consent,
            ],
            recipients: vec!["Steuerberater / tax adviser".into()],
            consent_required: false,
            validity_months: None,
        },
        Purpose {
            key: "e-marketing".into(),
            name_de: "E-Marketing".into(),
            name_en: "E-Marketing".into(),
            description: "Newsletter und Werbung per E-Mail, Telefon oder SMS.".into(),
            description_en: "Newsletters and advertising by email, phone or text message.".into(),
            basis: LegalBasis::Consent,
            categories: vec![
                Category::Identity,
                Category::ContactDetails,
                Category::Segmentation,
                Category::Consent,
                Category::Disclosures,
            ],
            recipients: vec!["Versanddienstleister / mailing service provider".into()],
            consent_required: true,
            validity_months: Some(24),
        },
        Purpose {
            key: "data-subject-rights".into(),
            name_de: "Betroffenenrechte".into(),
            name_en: "Data-subject rights".into(),
            description: "Anfragen nach Art. 15–22 DSGVO beantworten und nachweisen.".into(),
            description_en: "Answering requests under Art. 15–22 GDPR and keeping proof of it."
                .into(),
            basis: LegalBasis::LegalObligation,
            categories: vec![
                Category::Identity,
                Category::ContactDetails,
                Category::Consent,
                Category::Disclosures,
                Category::Requests,
            ],
            recipients: vec!["die betroffene Person / the data subject".into()],
            consent_required: false,
            validity_months: None,
        },
    ]
}

/// Consent sources a new vault offers; the list is editable.
pub const DEFAULT_SOURCES: &[&str] = &[
    "web_form",
    "business_card",
    "email",
    "phone",
    "chat",
    "event",
    "letter",
    "import",
    "double_opt_in",
];

/// An attached evidence file, as listed (the bytes are fetched separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EvidenceFile {
    /// File name as given.
    pub name: String,
    /// Size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
}

/// One entry of a person's consent history. Written once, never changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConsentEntry {
    /// The entry's record id.
    #[serde(default)]
    pub id: Uuid,
    /// The person.
    #[serde(default)]
    pub person: Uuid,
    /// Purpose key.
    pub purpose: String,
    /// Channel.
    pub channel: Channel,
    /// Given, pending or withdrawn (never expired: that is computed).
    pub state: ConsentState,
    /// Legal basis recorded with the entry.
    pub basis: LegalBasis,
    /// Where it came from (web form, business card, …).
    pub source: String,
    /// Evidence in words (what was said or signed, the form's URL, …).
    pub evidence: Option<String>,
    /// An attached evidence file.
    pub evidence_file: Option<EvidenceFile>,
    /// Reason of a withdrawal.
    pub reason: Option<String>,
    /// When it was given or withdrawn (may be earlier than the recording).
    pub at: DateTime<Utc>,
    /// Who recorded it.
    pub by: String,
    /// SHA-256 of the double opt-in token of a pending entry, hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub token_sha256: Option<String>,
}

/// The current state of one purpose × channel for a person.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChannelStatus {
    /// Channel.
    pub channel: Channel,
    /// State now (expiry applied).
    pub state: ConsentState,
    /// The entry it rests on.
    pub entry: ConsentEntry,
    /// When a given consent expires.
    pub expires: Option<DateTime<Utc>>,
}

/// One purpose as it applies to one person.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PurposeStatus {
    /// The purpose.
    pub purpose: Purpose,
    /// Whether the purpose currently has a basis for this person: its own
    /// basis when it needs no consent (unless objected to), else a valid
    /// consent on at least one channel.
    pub lawful: bool,
    /// Per-channel consent state, for channels that have entries.
    pub channels: Vec<ChannelStatus>,
}

/// A field in use that no applicable purpose justifies.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UnjustifiedField {
    /// Field name.
    pub field: String,
    /// Its category.
    pub category: Category,
}

/// A recorded export that included a person.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Disclosure {
    /// Record id.
    #[serde(default)]
    pub id: Uuid,
    /// Purpose key (empty for an export of contacts that named none).
    pub purpose: String,
    /// The mailing list's channel; none for an export of contacts.
    pub channel: Option<Channel>,
    /// The format of an export of contacts; none for a mailing list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ContactFormat>,
    /// How many people it contained.
    pub count: u32,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: String,
    /// The file name it was written to.
    pub file: String,
    /// The people it contained.
    #[cfg_attr(feature = "ts", ts(skip))]
    pub people: Vec<Uuid>,
}

impl Disclosure {
    /// What was disclosed, in words: a mailing list for a purpose by a
    /// channel, or an export of contacts in a format (for a purpose, if
    /// one was named).
    pub fn what(&self, lang: Lang) -> String {
        let purpose = if self.purpose.is_empty() {
            String::new()
        } else {
            format!(" „{}“", self.purpose)
        };
        match (self.channel, self.format) {
            (Some(channel), _) => format!(
                "{}{purpose} · {}",
                lang.pick("Verteilerliste", "Mailing list"),
                channel.label(lang)
            ),
            (None, format) => format!(
                "{} ({}){purpose}",
                lang.pick("Export von Kontakten", "Export of contacts"),
                format.map_or("?", ContactFormat::as_str)
            ),
        }
    }
}

/// Everything about why the business holds one person's data.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LegalBasisView {
    /// The person.
    pub person: RecordId,
    /// Display name.
    pub display: String,
    /// Every purpose and how it applies.
    pub purposes: Vec<PurposeStatus>,
    /// The whole consent history, oldest first.
    pub history: Vec<ConsentEntry>,
    /// Fields in use without a purpose (necessity check).
    pub unjustified: Vec<UnjustifiedField>,
    /// Exports that included the person.
    pub disclosures: Vec<Disclosure>,
    /// When the view was made.
    pub generated: DateTime<Utc>,
}

/// Who needs to be asked again, and why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReconsentItem {
    /// The person.
    pub person: RecordId,
    /// Display name.
    pub display: String,
    /// Purpose key.
    pub purpose: String,
    /// Channel.
    pub channel: Channel,
    /// When the consent expired or will expire.
    pub expires: DateTime<Utc>,
    /// Expired already (else: expires within the look-ahead).
    pub expired: bool,
}

/// A consent to record.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConsentInput {
    /// Purpose key.
    pub purpose: String,
    /// The channel it covers.
    pub channel: Channel,
    /// Source name (from the source list).
    pub source: String,
    /// Evidence in words.
    pub evidence: Option<String>,
    /// Legal basis; default Art. 6(1)(a), consent.
    pub basis: Option<LegalBasis>,
    /// When it was given; default now.
    pub at: Option<DateTime<Utc>>,
}

/// A mailing list row.
#[derive(Debug, Clone, Serialize)]
pub struct MailingRow {
    /// Person id.
    pub person: RecordId,
    /// Salutation.
    pub salutation: String,
    /// Title.
    pub title: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// The address on the channel (email, phone or postal address).
    pub address: String,
    /// Preferred language.
    pub language: String,
}

/// A purpose-bound mailing list and the disclosure recorded for it.
#[derive(Debug, Clone, Serialize)]
pub struct MailingExport {
    /// The rows.
    pub rows: Vec<MailingRow>,
    /// The disclosure record.
    pub disclosure: Disclosure,
}

/// A double opt-in request that was recorded; the token goes into the mail.
#[derive(Debug, Clone)]
pub struct OptInRequest {
    /// The pending entry.
    pub entry: ConsentEntry,
    /// Where the mail goes.
    pub to: String,
    /// The person's display name.
    pub display: String,
    /// The one-time token.
    pub token: String,
}

pub(crate) fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.trim().to_uppercase().as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh double opt-in token: `TRS-` and 20 characters of an unambiguous
/// alphabet (100 bits), grouped by four.
pub(crate) fn new_token() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    let chars: Vec<char> = (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
    format!("TRS-{}", groups.join("-"))
}

/// Finds a token in a pasted reply (subject line, quoted body, or the bare token).
pub fn find_token(text: &str) -> Option<String> {
    let upper = text.to_uppercase();
    let bytes = upper.as_bytes();
    let mut i = 0;
    while let Some(pos) = upper[i..].find("TRS-") {
        let start = i + pos;
        let candidate: String = upper[start..].chars().take(4 + 24).collect();
        let ok = candidate.len() == 28
            && candidate[4..].char_indices().all(|(j, c)| {
                if j % 5 == 4 {
                    c == '-'
                } else {
                    c.is_ascii_alphanumeric()
                }
            });
        if ok {
            return Some(candidate);
        }
        i = start + 4;
        if i >= bytes.len() {
            break;
        }
    }
    None
}

/// A consent's end, given the purpose's validity.
pub(crate) fn expiry(entry: &ConsentEntry, purpose: Option<&Purpose>) -> Option<DateTime<Utc>> {
    let months = purpose?.validity_months?;
    entry.at.checked_add_months(Months::new(months))
}

pub(crate) fn valid_now(e: &ConsentEntry, purpose: &Purpose, now: DateTime<Utc>) -> bool {
    e.state == ConsentState::Given && expiry(e, Some(purpose)).is_none_or(|end| end > now)
}

/// Whether `next` takes the place of `current` as the latest entry of a
/// purpose and channel: it happened no earlier (the later of two entries
/// recorded at one time wins). By the time it happened, not the order it
/// was recorded in: an entry recorded late with its own earlier time (a
/// paper form entered later, a merged record's history) does not undo a
/// withdrawal made after it.
pub fn supersedes(current: &ConsentEntry, next: &ConsentEntry) -> bool {
    next.at >= current.at
}

pub(crate) fn purpose_status(
    p: &Purpose,
    history: &[ConsentEntry],
    now: DateTime<Utc>,
) -> PurposeStatus {
    let mut latest: BTreeMap<Channel, &ConsentEntry> = BTreeMap::new();
    for e in history.iter().filter(|e| e.purpose == p.key) {
        if latest.get(&e.channel).is_none_or(|cur| supersedes(cur, e)) {
            latest.insert(e.channel, e);
        }
    }
    let channels: Vec<ChannelStatus> = latest
        .values()
        .map(|e| {
            let expires = (e.state == ConsentState::Given)
                .then(|| expiry(e, Some(p)))
                .flatten();
            let state = if e.state == ConsentState::Given && expires.is_some_and(|x| x <= now) {
                ConsentState::Expired
            } else {
                e.state
            };
            ChannelStatus {
                channel: e.channel,
                state,
                entry: (*e).clone(),
                expires,
            }
        })
        .collect();
    let lawful = if p.consent_required {
        channels.iter().any(|c| c.state == ConsentState::Given)
    } else {
        !channels.iter().any(|c| c.state == ConsentState::Withdrawn)
            || channels.iter().any(|c| c.state == ConsentState::Given)
    };
    PurposeStatus {
        purpose: p.clone(),
        lawful,
        channels,
    }
}

/// Category of a catalogue field (for necessity checks in other modules).
pub fn category_of(kind: RecordKind, field: &str) -> Option<Category> {
    categories::field(kind, field).map(|d| d.category)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_found_in_replies_and_hash_case_insensitively() {
        let t = new_token();
        assert_eq!(t.len(), 28);
        let reply = format!("Re: Bitte bestätigen [{t}]\n\n> quoted");
        assert_eq!(find_token(&reply).as_deref(), Some(t.as_str()));
        assert_eq!(find_token(&t.to_lowercase()).as_deref(), Some(t.as_str()));
        assert_eq!(token_hash(&t), token_hash(&t.to_lowercase()));
        assert!(find_token("TRS-ABCD no code here").is_none());
        assert_ne!(new_token(), t);
    }

    #[test]
    fn legal_bases_parse_by_letter_and_name() {
        assert_eq!(LegalBasis::parse("a"), Some(LegalBasis::Consent));
        assert_eq!(
            LegalBasis::parse("6(1)(f)"),
            Some(LegalBasis::LegitimateInterests)
        );
        assert_eq!(LegalBasis::parse("contract"), Some(LegalBasis::Contract));
        assert_eq!(LegalBasis::parse("g"), None);
        assert!(LegalBasis::Consent.label(Lang::De).contains("lit. a"));
    }

    #[test]
    fn default_purposes_are_valid() {
        for p in default_purposes() {
            p.validate().expect("valid default");
        }
    }

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        use chrono::TimeZone as _;
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0)
            .single()
            .expect("time")
    }

    fn entry(
        purpose: &str,
        channel: Channel,
        state: ConsentState,
        when: DateTime<Utc>,
    ) -> ConsentEntry {
        ConsentEntry {
            id: Uuid::nil(),
            person: Uuid::nil(),
            purpose: purpose.into(),
            channel,
            state,
            basis: LegalBasis::Consent,
            source: "web_form".into(),
            evidence: None,
            evidence_file: None,
            reason: None,
            at: when,
            by: "ada".into(),
            token_sha256: None,
        }
    }

    #[test]
    fn an_english_description_is_used_in_english_and_its_absence_falls_back() {
        let mut p = default_purposes().remove(0);
        assert!(p.description_in(Lang::En).starts_with("Offers"));
        assert!(p.description_in(Lang::De).starts_with("Angebote"));
        assert!(!p.description_in(Lang::En).contains("Angebote"));
        p.description_en = "  ".into();
        assert!(p.description_in(Lang::En).starts_with("Angebote"));
        p.description_en = "bad\u{1b}[2J".into();
        assert_eq!(
            p.validate().map_err(|e| e.field().map(str::to_owned)),
            Err(Some("description_en".into()))
        );
    }

    fn marketing() -> Purpose {
        default_purposes()
            .into_iter()
            .find(|p| p.consent_required && p.validity_months.is_some())
            .expect("a consent purpose with a validity")
    }

    #[test]
    fn a_consent_is_valid_until_its_validity_ends_and_then_expired() {
        let p = marketing();
        let months = p.validity_months.expect("validity");
        let given = at(2024, 1, 31);
        let e = entry(&p.key, Channel::Email, ConsentState::Given, given);
        let end = expiry(&e, Some(&p)).expect("an end");
        assert_eq!(
            end,
            given.checked_add_months(Months::new(months)).expect("end")
        );
        assert!(valid_now(&e, &p, end - chrono::Duration::seconds(1)));
        assert!(!valid_now(&e, &p, end), "expired at its end");
        let status = purpose_status(&p, std::slice::from_ref(&e), end);
        assert_eq!(status.channels[0].state, ConsentState::Expired);
        assert!(!status.lawful);
        // Pending and withdrawn entries are never valid.
        for state in [ConsentState::Pending, ConsentState::Withdrawn] {
            assert!(!valid_now(
                &entry(&p.key, Channel::Email, state, given),
                &p,
                given
            ));
        }
        // Without a validity a consent does not expire.
        let mut open = p;
        open.validity_months = None;
        assert!(expiry(&e, Some(&open)).is_none());
        assert!(valid_now(&e, &open, at(2099, 1, 1)));
    }

    #[test]
    fn the_latest_entry_per_channel_decides_and_an_objection_ends_a_purposes_own_basis() {
        let p = marketing();
        let history = [
            entry(&p.key, Channel::Email, ConsentState::Given, at(2026, 1, 1)),
            entry(
                &p.key,
                Channel::Email,
                ConsentState::Withdrawn,
                at(2026, 2, 1),
            ),
            entry(&p.key, Channel::Phone, ConsentState::Given, at(2026, 3, 1)),
        ];
        let status = purpose_status(&p, &history, at(2026, 3, 2));
        let states: Vec<_> = status
            .channels
            .iter()
            .map(|c| (c.channel, c.state))
            .collect();
        assert_eq!(
            states,
            vec![
                (Channel::Email, ConsentState::Withdrawn),
                (Channel::Phone, ConsentState::Given)
            ]
        );
        assert!(status.lawful, "a valid consent on one channel");
        let own = default_purposes()
            .into_iter()
            .find(|p| !p.consent_required)
            .expect("a purpose on its own basis");
        assert!(purpose_status(&own, &[], at(2026, 3, 2)).lawful);
        let objected = [entry(
            &own.key,
            Channel::Email,
            ConsentState::Withdrawn,
            at(2026, 1, 1),
        )];
        assert!(!purpose_status(&own, &objected, at(2026, 3, 2)).lawful);
    }

    #[test]
    fn purposes_are_refused_with_the_field_at_fault() {
        let ok = marketing();
        let field = |change: &dyn Fn(&mut Purpose)| {
            let mut p = ok.clone();
            change(&mut p);
            p.validate()
                .expect_err("refused")
                .field()
                .map(str::to_owned)
        };
        assert_eq!(
            field(&|p| p.key = "E Marketing".into()).as_deref(),
            Some("key")
        );
        assert_eq!(
            field(&|p| p.name_de = " ".into()).as_deref(),
            Some("name_de")
        );
        assert_eq!(
            field(&|p| p.name_en = "a\u{7}b".into()).as_deref(),
            Some("name_en")
        );
        assert_eq!(
            field(&|p| p.categories.clear()).as_deref(),
            Some("categories")
        );
        assert_eq!(
            field(&|p| p.categories = vec![Category::Configuration]).as_deref(),
            Some("categories")
        );
        assert_eq!(
            field(&|p| p.consent_required = false).as_deref(),
            Some("consent_required"),
            "consent as the basis needs consent"
        );
        assert_eq!(
            field(&|p| p.validity_months = Some(0)).as_deref(),
            Some("validity_months")
        );
        assert_eq!(
            field(&|p| p.validity_months = Some(601)).as_deref(),
            Some("validity_months")
        );
    }
}
