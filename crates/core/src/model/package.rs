//! The access package's content (Art. 15, Art. 20): what `render::package`
//! turns into files and `session::package` gathers and releases.

use crate::model::categories::Category;
use crate::model::categories::Lang;
use crate::model::consent::LegalBasisView;
use crate::model::contacts::CompanyLink;
use crate::model::contacts::HistoryEntry;
use crate::model::contacts::InteractionView;
use crate::model::contacts::RecordId;
use crate::model::requests::DsRequest;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Version of the JSON layout; see docs/access-package.md.
pub const SCHEMA: &str = "tresor-access-package/1";

/// One field as exported.
#[derive(Debug, Clone, Serialize)]
pub struct PackageField {
    /// Catalogue name.
    pub name: &'static str,
    /// Label in the package's language.
    pub label: &'static str,
    /// Data category.
    pub category: Category,
    /// The value; absent fields are left out.
    pub value: serde_json::Value,
}

/// A sole trader's company as exported.
#[derive(Debug, Clone, Serialize)]
pub struct PackageCompany {
    /// The company's id.
    pub company: RecordId,
    /// Every field that holds a value.
    pub fields: Vec<PackageField>,
}

/// `data.json`.
#[derive(Debug, Clone, Serialize)]
pub struct PackageData {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// When the package was made.
    pub generated: DateTime<Utc>,
    /// de or en.
    pub language: Lang,
    /// The person's id in the vault.
    pub person: RecordId,
    /// Display name.
    pub display: String,
    /// Every field that holds a value.
    pub fields: Vec<PackageField>,
    /// Categories of the exporter's role could not read (left out, named).
    pub withheld_categories: Vec<Category>,
    /// Companies the person is linked to.
    pub companies: Vec<CompanyLink>,
    /// The person's sole-trader companies with every field: a sole
    /// trader's business data is theirs.
    pub sole_trader: Vec<PackageCompany>,
    /// Calls, meetings, emails, letters, notes; newest first.
    pub interactions: Vec<InteractionView>,
    /// Follow-ups on the person, open and done, by day.
    pub followups: Vec<crate::model::followups::FollowUp>,
    /// Purposes, legal bases, consents and their whole history, disclosures.
    pub legal_basis: LegalBasisView,
    /// Every recorded change of the person's records.
    pub change_history: Vec<HistoryEntry>,
    /// Data-subject requests about the person.
    pub requests: Vec<DsRequest>,
    /// Corrections of the person's data (Art. 16), with their reasons.
    pub rectifications: Vec<crate::model::rights::Rectification>,
    /// The retention rules in force when the package was made.
    pub retention_rules: Vec<crate::model::retention::RetentionRule>,
}

/// A package ready to review and release.
#[derive(Debug, Clone)]
pub struct AccessPackage {
    /// The content.
    pub data: PackageData,
    /// The files of the ZIP, in order.
    pub files: Vec<(String, Vec<u8>)>,
}

/// A recorded release.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PackageRelease {
    /// The person.
    pub person: RecordId,
    /// The request it answers, if any.
    pub request: Option<String>,
    /// SHA-256 of the ZIP file, hex.
    pub sha256: String,
    /// Size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// Whether it is encrypted.
    pub encrypted: bool,
    /// The file name it was written to.
    pub file: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who released it.
    pub by: String,
}
