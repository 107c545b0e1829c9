//! The Art. 30 register (Verzeichnis von Verarbeitungstätigkeiten), derived
//! from the purposes, the field catalogue, the permission matrix, the
//! retention criteria and the technical measures the app itself applies.
//!
//! Versioned: whenever a configuration change alters the derived content, a
//! new version is stored (as an op-backed record, so it travels with the
//! vault); old versions stay readable and exportable.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::categories::{self, Category, Compartment, Lang};
use crate::model::consent::Purpose;
use crate::model::roles::{Action, Role};

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Bilingual {
    /// German.
    pub de: String,
    /// English.
    pub en: String,
}

impl Bilingual {
    fn new(de: &str, en: &str) -> Self {
        Bilingual {
            de: de.into(),
            en: en.into(),
        }
    }

    /// The text in a language.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::De => &self.de,
            Lang::En => &self.en,
        }
    }
}

/// One data category as the register describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RegisterCategory {
    /// The category.
    pub category: Category,
    /// Fields in it (English labels).
    pub fields: Vec<Bilingual>,
    /// The compartment that seals it, if any.
    pub compartment: Option<Compartment>,
    /// Roles that can read it.
    pub roles: Vec<Role>,
    /// Purposes that need it (keys); empty means unjustified.
    pub purposes: Vec<String>,
    /// Retention period or criteria.
    pub retention: Bilingual,
}

/// What the register says; compared between versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RegisterContent {
    /// Purposes of processing.
    pub purposes: Vec<Purpose>,
    /// Categories of personal data.
    pub categories: Vec<RegisterCategory>,
    /// Technical and organisational measures (Art. 32).
    pub measures: Vec<Bilingual>,
}

/// One stored version.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Register {
    /// 1, 2, …
    #[serde(default)]
    pub version: u32,
    /// When it was made.
    pub created: DateTime<Utc>,
    /// Whose change made it.
    pub created_by: String,
    /// The content.
    pub content: RegisterContent,
}

/// A version as listed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RegisterVersionInfo {
    /// Number.
    pub version: u32,
    /// When.
    pub created: DateTime<Utc>,
    /// Who.
    pub created_by: String,
}

/// The measures Tresor itself applies, stated as facts of this build.
fn measures() -> Vec<Bilingual> {
    vec![
        Bilingual::new(
            "Verschlüsselung der Datenbank auf dem Gerät (SQLCipher, AES-256, zufälliger 256-Bit-Schlüssel)",
            "Encryption of the database on the device (SQLCipher, AES-256, random 256-bit key)",
        ),
        Bilingual::new(
            "Schlüssel nur mit Passphrase zugänglich (Argon2id, mindestens 64 MiB, 3 Durchläufe; XChaCha20-Poly1305)",
            "Keys only reachable with a passphrase (Argon2id, at least 64 MiB, 3 passes; XChaCha20-Poly1305)",
        ),
        Bilingual::new(
            "Rollen mit getrennten Schlüsseln: Notizen, Art.-9-Daten und Geschäftsdaten nur für berechtigte Rollen entschlüsselbar",
            "Roles with separate keys: notes, Art. 9 data and deal data can only be decrypted by roles allowed to read them",
        ),
        Bilingual::new(
            "Automatische Sperre bei Inaktivität (Standard 5 Minuten), Sperre per Tastenkürzel",
            "Automatic lock when idle (default 5 minutes), lock by keyboard shortcut",
        ),
        Bilingual::new(
            "Schlüsselwechsel beim Entfernen eines Benutzers oder Herabstufen einer Rolle",
            "Keys rotated when a user is removed or a role is lowered",
        ),
        Bilingual::new(
            "Protokoll jeder Änderung (wer, was, wann); Einwilligungen nur anhängend, nie überschrieben",
            "Log of every change (who, what, when); consents append-only, never overwritten",
        ),
        Bilingual::new(
            "Zweckbindung: Verteilerlisten nur mit gültiger Rechtsgrundlage je Zweck und Kanal; jede Ausgabe wird protokolliert",
            "Purpose binding: mailing lists only with a valid basis per purpose and channel; every export is logged",
        ),
        Bilingual::new(
            "Wiederherstellungsschlüssel auf Papier für den Verlust aller Admin-Passphrasen",
            "Recovery key on paper for the loss of every admin passphrase",
        ),
        Bilingual::new(
            "Sicherungen in einen gewählten Ordner, täglich bei Nutzung und vor jedem Schlüsselwechsel, nach dem Schreiben geprüft; aufbewahrt werden die neuesten von 7 Tagen, 4 Wochen und 12 Monaten (ein Jahr, um späte Fehler zu beheben), ältere werden gelöscht; gelöschte Personen sind in allen Sicherungen sofort unlesbar (ihre Schlüssel werden aus der Schlüsseldatei entfernt)",
            "Backups to a chosen folder, daily when used and before every key change, checked after writing; the newest of 7 days, 4 weeks and 12 months are kept (a year, to undo mistakes noticed late), older ones are deleted; erased people are unreadable in every backup at once (their keys are removed from the key file)",
        ),
    ]
}

/// Derives the register content from the configuration.
pub fn derive(purposes: &[Purpose]) -> RegisterContent {
    let categories = Category::personal()
        .map(|category| {
            let mut fields: Vec<Bilingual> = Vec::new();
            for f in categories::FIELDS.iter().filter(|f| f.category == category) {
                let label = Bilingual::new(f.label_de, f.label_en);
                if !fields.contains(&label) {
                    fields.push(label);
                }
            }
            // Who reads a category: the permission that shows it, and the key.
            let shown_by = match category {
                Category::Requests => Action::ViewRequests,
                Category::Consent | Category::Disclosures => Action::ViewConsent,
                _ => Action::ReadContacts,
            };
            let roles = Role::ALL
                .into_iter()
                .filter(|r| r.may(shown_by) && r.can_read(category))
                .collect();
            let needed_by = purposes
                .iter()
                .filter(|p| p.categories.contains(&category))
                .map(|p| p.key.clone())
                .collect();
            RegisterCategory {
                category,
                fields,
                compartment: category.compartment(),
                roles,
                purposes: needed_by,
                retention: Bilingual::new(
                    category.retention(Lang::De),
                    category.retention(Lang::En),
                ),
            }
        })
        .collect();
    RegisterContent {
        purposes: purposes.to_vec(),
        categories,
        measures: measures(),
    }
}
