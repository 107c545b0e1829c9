//! The access package (Art. 15, Art. 20): everything the vault holds about a
//! person, as one ZIP with a readable report (HTML, German or English),
//! machine-readable JSON (schema in docs/access-package.md), CSV, a vCard
//! 4.0 and the consent history. Optionally encrypted as an AES-256 ZIP
//! (opens in 7-Zip and other free tools). Written atomically, read back and
//! checked, and the release is recorded (who, when, SHA-256).

use std::path::Path;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::model::categories::{Lang, RecordKind};
use crate::model::consent::hex;
use crate::model::contacts::{ContactView, FieldValue, RecordId};
use crate::model::package::AccessPackage;
use crate::model::package::PackageCompany;
use crate::model::package::PackageData;
use crate::model::package::PackageField;
use crate::model::package::PackageRelease;
use crate::model::package::SCHEMA;
use crate::model::roles::Action;
use crate::ops::OpValue;
use crate::render::legal_basis_csv;
use crate::render::package::build_zip;
use crate::render::package::data_csv;
use crate::render::package::report_html;
use crate::render::package::vcard;
use crate::render::package::verify_zip;
use crate::session::Session;

/// The word list of generated passphrases: 2048 = 2^11 lines.
const WORDS: &str = include_str!("package/words.txt");

/// Words in a generated package passphrase: 6 × 11 = 66 bits.
pub const PASSPHRASE_WORDS: usize = 6;

/// The shortest package passphrase a user may choose instead.
pub const MIN_CHOSEN_PASSPHRASE: usize = 10;

fn words() -> impl Iterator<Item = &'static str> {
    WORDS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// A passphrase for an access package, shown once to be given to the person
/// on another channel: [`PASSPHRASE_WORDS`] words drawn uniformly from 2048
/// (66 bits), joined by dashes, e.g. `abend-tulpe-hafen-…`. WinZip AES
/// stretches a passphrase with only 1,000 rounds of PBKDF2-SHA1, so the
/// strength has to come from the passphrase itself (docs/access-package.md).
pub fn generate_package_passphrase() -> String {
    generate_package_passphrase_with(&mut rand::rngs::OsRng)
}

/// As [`generate_package_passphrase`], with the randomness passed in.
pub fn generate_package_passphrase_with<R: rand::RngCore + rand::CryptoRng>(rng: &mut R) -> String {
    use rand::seq::SliceRandom as _;
    let list: Vec<&str> = words().collect();
    (0..PASSPHRASE_WORDS)
        .map(|_| *list.choose(rng).unwrap_or(&"tresor"))
        .collect::<Vec<_>>()
        .join("-")
}

impl Session {
    /// Gathers everything about a person into a package for review.
    pub fn access_package(&self, person: RecordId, lang: Lang) -> Result<AccessPackage> {
        self.require(Action::ExportPackage)?;
        let view = self.contact(person)?;
        if view.kind != RecordKind::Person {
            return Err(Error::NotFound {
                what: "person",
                id: person.to_string(),
            });
        }
        let mut fields = Vec::new();
        let mut withheld = Vec::new();
        let mut exported = |view: &ContactView, fields: &mut Vec<PackageField>| {
            for f in &view.fields {
                match &f.value {
                    FieldValue::Value { value } => fields.push(PackageField {
                        name: f.name,
                        label: lang.pick(f.label_de, f.label_en),
                        category: f.category,
                        value: value.clone(),
                    }),
                    FieldValue::Locked { .. } => withheld.push(f.category),
                    FieldValue::Empty => {}
                }
            }
        };
        exported(&view, &mut fields);
        let mut sole_trader = Vec::new();
        let mut followups = self.followups_of(person)?;
        for company in self.store.records_of_subject(person, RecordKind::Company)? {
            let mut fields = Vec::new();
            exported(&self.contact(company)?, &mut fields);
            sole_trader.push(PackageCompany { company, fields });
            followups.extend(self.followups_of(company)?);
        }
        withheld.sort();
        withheld.dedup();
        let requests = self
            .requests()?
            .into_iter()
            .filter(|r| r.person == Some(person))
            .collect();
        let data = PackageData {
            schema: SCHEMA,
            generated: self.now(),
            language: lang,
            person,
            display: view.display.clone(),
            fields,
            withheld_categories: withheld,
            companies: view.companies.clone(),
            sole_trader,
            interactions: view.interactions.clone(),
            followups,
            legal_basis: self.legal_basis(person)?,
            change_history: self.history(person)?,
            requests,
            rectifications: self.rectifications(person)?,
            retention_rules: self.store.retention_rules().to_vec(),
        };
        let json = serde_json::to_vec_pretty(&data).map_err(|e| Error::Store(e.to_string()))?;
        let files = vec![
            (
                "report.html".to_owned(),
                report_html(&data, lang).into_bytes(),
            ),
            ("data.json".to_owned(), json),
            ("data.csv".to_owned(), data_csv(&data).into_bytes()),
            ("contact.vcf".to_owned(), vcard(&view, lang).into_bytes()),
            (
                "consents.csv".to_owned(),
                legal_basis_csv(&data.legal_basis, lang).into_bytes(),
            ),
        ];
        Ok(AccessPackage { data, files })
    }

    /// Writes a reviewed package as one ZIP (AES-256 when a passphrase is
    /// given) atomically to `path`, reads it back, checks every file, and
    /// records the release.
    pub fn release_package(
        &mut self,
        package: &AccessPackage,
        path: &Path,
        passphrase: Option<&str>,
        request: Option<&str>,
    ) -> Result<PackageRelease> {
        self.require(Action::ExportPackage)?;
        if path.starts_with(self.vault.dir()) {
            return Err(Error::invalid(
                "path",
                "not into the vault's own folder; nothing was written — choose another place",
            ));
        }
        if passphrase.is_some_and(|p| p.chars().count() < MIN_CHOSEN_PASSPHRASE) {
            return Err(Error::invalid(
                "passphrase",
                "use at least 10 characters for the package, or let Tresor generate one",
            ));
        }
        use crate::model::requests::RequestKind;
        let request = request
            .map(|r| {
                self.request_for(
                    r,
                    package.data.person,
                    &[RequestKind::Access, RequestKind::Portability],
                )
            })
            .transpose()?;
        let bytes = build_zip(&package.files, passphrase)?;
        crate::vault::write_atomic(path, &bytes)?;
        let back = std::fs::read(path).map_err(Error::io(path))?;
        if back != bytes || !verify_zip(&back, &package.files, passphrase) {
            return Err(Error::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(
                    "the written package does not read back the same; use another medium",
                ),
            });
        }
        let release = PackageRelease {
            person: package.data.person,
            request: request.map(|r| r.reference),
            sha256: hex(&Sha256::digest(&bytes)),
            size: bytes.len() as u64,
            encrypted: passphrase.is_some(),
            file: path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            at: self.now(),
            by: self.user().to_owned(),
        };
        let id = Uuid::now_v7();
        let json = serde_json::to_string(&release).unwrap_or_default();
        let ops = vec![
            self.create_op(id, RecordKind::PackageRelease, Some(package.data.person)),
            self.op(
                id,
                RecordKind::PackageRelease,
                "release",
                OpValue::Open(json),
            ),
        ];
        self.store.apply(&ops, &[])?;
        self.persist_clock()?;
        Ok(release)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_list_has_2048_distinct_plain_words() {
        let list: Vec<&str> = words().collect();
        assert_eq!(list.len(), 2048);
        let distinct: std::collections::BTreeSet<&str> = list.iter().copied().collect();
        assert_eq!(distinct.len(), 2048);
        assert!(
            list.iter()
                .all(|w| (4..=8).contains(&w.len()) && w.bytes().all(|b| b.is_ascii_lowercase()))
        );
    }

    #[test]
    fn generated_passphrases_are_six_listed_words_and_differ() {
        use rand::SeedableRng as _;
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let a = generate_package_passphrase_with(&mut rng);
        let b = generate_package_passphrase_with(&mut rng);
        assert_ne!(a, b);
        let list: Vec<&str> = words().collect();
        for p in [&a, &b] {
            let parts: Vec<&str> = p.split('-').collect();
            assert_eq!(parts.len(), PASSPHRASE_WORDS, "{p}");
            assert!(parts.iter().all(|w| list.contains(w)), "{p}");
            assert!(p.chars().count() >= MIN_CHOSEN_PASSPHRASE);
        }
        assert_ne!(generate_package_passphrase(), generate_package_passphrase());
    }
}
