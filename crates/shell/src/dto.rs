//! Types that cross IPC and exist only for the shell. Their TypeScript
//! declarations are generated (see the `bindings` test) and checked for drift.

use serde::{Deserialize, Serialize};
use tresor_core::ErrorCode;
use tresor_core::model::categories::KeepClass;
use tresor_core::session::SessionInfo;
use tresor_core::store::DirectoryRow;
use ts_rs::TS;

/// An [`IpcError`]'s code: one of the core's, or the shell's own `locked`
/// (and the UI's own `internal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum IpcCode {
    /// The vault is locked (or was never opened).
    Locked,
    /// Not an error of the core: what the UI reports when a call was
    /// rejected with something other than an [`IpcError`] (the bridge
    /// itself failed). The shell never sends it.
    Internal,
    /// The core's code for its error.
    #[serde(untagged)]
    Core(ErrorCode),
}

impl IpcCode {
    /// The code as text, the same as its JSON form.
    pub fn as_str(self) -> &'static str {
        match self {
            IpcCode::Locked => "locked",
            IpcCode::Internal => "internal",
            IpcCode::Core(code) => code.as_str(),
        }
    }
}

impl From<ErrorCode> for IpcCode {
    fn from(code: ErrorCode) -> Self {
        IpcCode::Core(code)
    }
}

impl std::fmt::Display for IpcCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for IpcCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// An error as the UI sees it: a stable code, a message, and the input
/// field it is about (for validation messages next to the field).
#[derive(Debug, Clone, Serialize, TS)]
pub struct IpcError {
    /// Stable machine code; the UI matches on this, never on the message.
    pub code: IpcCode,
    /// What happened and what to do, in English.
    pub message: String,
    /// The input field, for validation errors.
    pub field: Option<String>,
}

impl From<tresor_core::Error> for IpcError {
    fn from(e: tresor_core::Error) -> Self {
        IpcError {
            code: e.code().into(),
            message: e.to_string(),
            field: e.field().map(str::to_owned),
        }
    }
}

impl IpcError {
    /// The vault is locked (or was never opened).
    pub fn locked() -> IpcError {
        IpcError {
            code: IpcCode::Locked,
            message: "the vault is locked".into(),
            field: None,
        }
    }
}

/// What the start and unlock screens need to know.
#[derive(Debug, Serialize, TS)]
pub struct AppStatus {
    /// The vault directory in use.
    pub vault_dir: String,
    /// The app's own vault directory, where joining a team builds the
    /// local vault.
    pub default_vault_dir: String,
    /// Whether a vault exists there.
    pub vault_exists: bool,
    /// Whether the open vault is the demo vault.
    pub is_demo: bool,
    /// User names (to pick from on the unlock screen).
    pub users: Vec<String>,
    /// The demo vault's public passphrase, when the demo vault is open.
    pub demo_passphrase: Option<String>,
    /// The signed-in user, when unlocked.
    pub session: Option<SessionInfo>,
}

/// A new vault: the recovery kit to show once, and the admin's session.
#[derive(Debug, Serialize, TS)]
pub struct Created {
    /// The recovery kit text (printable).
    pub recovery_kit: String,
    /// The signed-in admin.
    pub session: SessionInfo,
}

/// A page of the contact list.
#[derive(Debug, Serialize, TS)]
pub struct ContactPage {
    /// Number of people in the vault.
    pub total: u32,
    /// The rows of this page.
    pub rows: Vec<DirectoryRow>,
}

/// A new interaction.
#[derive(Debug, Deserialize, TS)]
pub struct NewInteraction {
    /// call, meeting, email, letter or note.
    pub kind: String,
    /// One line.
    pub summary: String,
    /// Free text (notes compartment).
    pub text: Option<String>,
    /// RFC 3339 time; now if absent.
    pub at: Option<String>,
    /// A record the law requires to keep, for its legal period.
    #[serde(default)]
    pub keep: Option<KeepClass>,
}

/// One field of a package preview.
#[derive(Debug, Serialize, TS)]
pub struct PreviewField {
    /// Label in the package's language.
    pub label: String,
    /// Data category.
    pub category: tresor_core::model::categories::Category,
    /// The value as text.
    pub value: String,
}

/// What an access package contains, shown before release.
#[derive(Debug, Serialize, TS)]
pub struct PackagePreview {
    /// The person.
    pub display: String,
    /// Every field with a value.
    pub fields: Vec<PreviewField>,
    /// Categories the user's role cannot read (named in the package).
    pub withheld: Vec<tresor_core::model::categories::Category>,
    /// Linked companies.
    pub companies: u32,
    /// Interactions.
    pub interactions: u32,
    /// Consent entries.
    pub consent_entries: u32,
    /// Recorded changes.
    pub changes: u32,
    /// Mailing lists that included the person.
    pub disclosures: u32,
    /// Requests about the person.
    pub requests: u32,
    /// The files of the ZIP.
    pub files: Vec<String>,
}

/// A released package: where it was written and the recorded release.
#[derive(Debug, Serialize, TS)]
pub struct ReleasedPackage {
    /// The ZIP file.
    pub path: String,
    /// Who, when, SHA-256.
    pub release: tresor_core::model::package::PackageRelease,
}

/// An evidence file picked in the UI, sent with a consent.
#[derive(Debug, Deserialize, TS)]
pub struct EvidenceUpload {
    /// The file's name.
    pub name: String,
    /// Its content, base64.
    pub data_base64: String,
}

/// A file written to the export folder.
#[derive(Debug, Serialize, TS)]
pub struct ExportedFile {
    /// Where it was written.
    pub path: String,
    /// How many people it contains, for lists.
    pub count: Option<u32>,
}

/// The sync state for the status bar: the core's, and why the last sync
/// failed, if it did (the core keeps only the problems of a sync that ran).
#[derive(Debug, Serialize, TS)]
pub struct SyncState {
    /// Folder, device, last sync, changes waiting, problems.
    pub status: tresor_core::sync::SyncStatus,
    /// The error of the last sync, until one succeeds.
    pub error: Option<IpcError>,
}

/// A restore from the start screen: who is signed in, and what it did.
#[derive(Debug, Serialize, TS)]
pub struct Restored {
    /// The session of the restored vault.
    pub session: SessionInfo,
    /// Changes restored, people left out, the vault kept aside, rejoining.
    pub report: tresor_core::sync::RestoreReport,
}

#[cfg(test)]
mod bindings {
    //! Writes the TypeScript declarations to ui/src/lib/bindings (with
    //! TRESOR_WRITE_BINDINGS=1) or checks that the committed ones match.

    use std::path::{Path, PathBuf};

    use ts_rs::{Config, TS};

    fn export_all(dir: &Path) {
        // 64-bit counts cross IPC as JSON numbers (serde_json), so that is
        // what the webview holds, not a bigint.
        let cfg = Config::new().with_out_dir(dir).with_large_int("number");
        super::AppStatus::export_all(&cfg).expect("AppStatus");
        super::Created::export_all(&cfg).expect("Created");
        super::ContactPage::export_all(&cfg).expect("ContactPage");
        tresor_core::model::directory::ListOrder::export_all(&cfg).expect("ListOrder");
        tresor_core::model::bulk::BulkAction::export_all(&cfg).expect("BulkAction");
        tresor_core::model::bulk::BulkReport::export_all(&cfg).expect("BulkReport");
        crate::imports::ImportSettings::export_all(&cfg).expect("ImportSettings");
        crate::imports::ExportedContacts::export_all(&cfg).expect("ExportedContacts");
        tresor_core::model::export::ContactSelection::export_all(&cfg).expect("ContactSelection");
        tresor_core::model::import::ImportReport::export_all(&cfg).expect("ImportReport");
        tresor_core::model::import::ImportBatch::export_all(&cfg).expect("ImportBatch");
        tresor_core::model::import::DuplicateGroup::export_all(&cfg).expect("DuplicateGroup");
        tresor_core::session::import::ImportProgress::export_all(&cfg).expect("ImportProgress");
        tresor_core::session::import::UndoReport::export_all(&cfg).expect("UndoReport");
        tresor_core::session::merge::MergeReport::export_all(&cfg).expect("MergeReport");
        super::NewInteraction::export_all(&cfg).expect("NewInteraction");
        super::IpcError::export_all(&cfg).expect("IpcError");
        tresor_core::ErrorCode::export_all(&cfg).expect("ErrorCode");
        tresor_core::model::contacts::ContactView::export_all(&cfg).expect("ContactView");
        tresor_core::model::contacts::HistoryEntry::export_all(&cfg).expect("HistoryEntry");
        tresor_core::model::contacts::FieldChange::export_all(&cfg).expect("FieldChange");
        tresor_core::session::UserInfo::export_all(&cfg).expect("UserInfo");
        tresor_core::model::categories::Lang::export_all(&cfg).expect("Lang");
        super::ExportedFile::export_all(&cfg).expect("ExportedFile");
        super::EvidenceUpload::export_all(&cfg).expect("EvidenceUpload");
        tresor_core::model::requests::RequestRow::export_all(&cfg).expect("RequestRow");
        tresor_core::model::companies::CompanyView::export_all(&cfg).expect("CompanyView");
        tresor_core::model::companies::CompanyDeletion::export_all(&cfg).expect("CompanyDeletion");
        tresor_core::model::companies::CompanyMerge::export_all(&cfg).expect("CompanyMerge");
        tresor_core::model::followups::FollowUp::export_all(&cfg).expect("FollowUp");
        tresor_core::model::followups::FollowUpFilter::export_all(&cfg).expect("FollowUpFilter");
        tresor_core::model::followups::FollowUpInput::export_all(&cfg).expect("FollowUpInput");
        super::PackagePreview::export_all(&cfg).expect("PackagePreview");
        super::ReleasedPackage::export_all(&cfg).expect("ReleasedPackage");
        tresor_core::model::requests::NewRequest::export_all(&cfg).expect("NewRequest");
        tresor_core::model::rights::Restriction::export_all(&cfg).expect("Restriction");
        tresor_core::session::erasure::ErasureReport::export_all(&cfg).expect("ErasureReport");
        tresor_core::session::erasure::VerifyReport::export_all(&cfg).expect("VerifyReport");
        tresor_core::session::doctor::Check::export_all(&cfg).expect("Check");
        tresor_core::model::consent::Purpose::export_all(&cfg).expect("Purpose");
        tresor_core::model::consent::LegalBasisView::export_all(&cfg).expect("LegalBasisView");
        tresor_core::model::consent::ConsentInput::export_all(&cfg).expect("ConsentInput");
        tresor_core::model::consent::ReconsentItem::export_all(&cfg).expect("ReconsentItem");
        tresor_core::model::register::Register::export_all(&cfg).expect("Register");
        tresor_core::model::register::RegisterVersionInfo::export_all(&cfg)
            .expect("RegisterVersionInfo");
        tresor_core::render::ExportFormat::export_all(&cfg).expect("ExportFormat");
        tresor_core::model::mail::SmtpSettings::export_all(&cfg).expect("SmtpSettings");
        tresor_core::model::retention::RetentionRule::export_all(&cfg).expect("RetentionRule");
        tresor_core::model::retention::DueItem::export_all(&cfg).expect("DueItem");
        tresor_core::model::retention::SweepReport::export_all(&cfg).expect("SweepReport");
        tresor_core::model::retention::HeldPerson::export_all(&cfg).expect("HeldPerson");
        tresor_core::session::erasure::FieldErasureReport::export_all(&cfg)
            .expect("FieldErasureReport");
        tresor_core::model::rights::Rectification::export_all(&cfg).expect("Rectification");
        tresor_core::model::retention::RuleChange::export_all(&cfg).expect("RuleChange");
        super::SyncState::export_all(&cfg).expect("SyncState");
        tresor_core::sync::SyncReport::export_all(&cfg).expect("SyncReport");
        tresor_core::sync::DeviceInfo::export_all(&cfg).expect("DeviceInfo");
        super::Restored::export_all(&cfg).expect("Restored");
        tresor_core::sync::BackupStatus::export_all(&cfg).expect("BackupStatus");
        tresor_core::sync::BackupReport::export_all(&cfg).expect("BackupReport");
        tresor_core::sync::BackupCheck::export_all(&cfg).expect("BackupCheck");
        // The core's limits a form may check before it sends: the numbers
        // come from here, so the window never keeps a copy of its own.
        let limits = format!(
            "// Generated from the core's constants by the bindings test. Do not edit this file manually.\n\n\
             /** The fewest characters of a new user passphrase. */\n\
             export const MIN_PASSPHRASE = {};\n\n\
             /** The fewest characters of a chosen access-package passphrase. */\n\
             export const MIN_PACKAGE_PASSPHRASE = {};\n\n\
             /** The largest evidence file kept with a consent, in bytes. */\n\
             export const MAX_EVIDENCE_BYTES = {};\n",
            tresor_core::session::MIN_PASSPHRASE_CHARS,
            tresor_core::session::package::MIN_CHOSEN_PASSPHRASE,
            tresor_core::session::consent::MAX_EVIDENCE_BYTES,
        );
        std::fs::write(dir.join("limits.ts"), limits).expect("limits.ts");
        std::fs::write(dir.join("catalogue.ts"), catalogue()).expect("catalogue.ts");
    }

    /// The person fields the contact form edits and the closed sets the
    /// forms offer (interaction kinds, roles, legal bases, channels, data
    /// categories, request kinds), from the core's catalogue: the window
    /// keeps no list of its own.
    fn catalogue() -> String {
        use tresor_core::model::categories::{
            Category, FIELDS, INTERACTION_KINDS, RecordKind, ValueType,
        };
        use tresor_core::model::consent::{Channel, ConsentState, LegalBasis};
        use tresor_core::model::mail::TlsMode;
        use tresor_core::model::requests::RequestKind;
        use tresor_core::model::retention::RuleKey;
        use tresor_core::model::roles::Role;
        let mut out = String::from(
            "// Generated from the core's catalogue by the bindings test. Do not edit this file manually.\n\
             import type { Category } from './Category';\n\
             import type { Channel } from './Channel';\n\
             import type { ConsentState } from './ConsentState';\n\
             import type { LegalBasis } from './LegalBasis';\n\
             import type { RequestKind } from './RequestKind';\n\
             import type { RetentionEvent } from './RetentionEvent';\n\
             import type { Role } from './Role';\n\
             import type { RuleKey } from './RuleKey';\n\
             import type { TlsMode } from './TlsMode';\n\n\
             /** How a field is edited. */\n\
             export type FieldShape = 'text' | 'long' | 'list' | 'addresses' | 'date' | 'language' | 'choice';\n\n\
             /** A person field of the contact form. */\n\
             export interface CatalogueField {\n  name: string;\n  category: Category;\n  shape: FieldShape;\n  \
             /** The values a `choice` takes. */\n  choices: readonly string[];\n  label_de: string;\n  label_en: string;\n}\n\n\
             /** The person fields the contact form edits, in the catalogue's order. */\n\
             export const PERSON_FIELDS: readonly CatalogueField[] = [\n",
        );
        let fields_of = |kind: RecordKind, out: &mut String| {
            for f in FIELDS.iter().filter(|f| f.kind == kind) {
                // last_contact is written by interactions, not in the form.
                if f.name == "last_contact" {
                    continue;
                }
                let (shape, choices): (&str, &[&str]) = match f.value {
                    ValueType::Text => ("text", &[]),
                    ValueType::LongText => ("long", &[]),
                    ValueType::Emails | ValueType::Phones | ValueType::Tags => ("list", &[]),
                    ValueType::Addresses => ("addresses", &[]),
                    ValueType::Date | ValueType::Day | ValueType::Birthday => ("date", &[]),
                    ValueType::Language => ("language", &[]),
                    ValueType::OneOf(allowed) => ("choice", allowed),
                    ValueType::Timestamp | ValueType::Reference(_) | ValueType::Document => {
                        continue;
                    }
                };
                out.push_str(&format!(
                    "  {{ name: {}, category: {}, shape: '{shape}', choices: {}, label_de: {}, label_en: {} }},\n",
                    json(&f.name),
                    json(&f.category.as_str()),
                    json(&choices),
                    json(&f.label_de),
                    json(&f.label_en),
                ));
            }
        };
        fields_of(RecordKind::Person, &mut out);
        out.push_str(
            "];\n\n/** The company fields the company form edits, in the catalogue's order. */\n\
             export const COMPANY_RECORD_FIELDS: readonly CatalogueField[] = [\n",
        );
        fields_of(RecordKind::Company, &mut out);
        let personal: Vec<Category> = Category::personal().collect();
        out.push_str(&format!(
            "];\n\n/** The kinds of interaction. */\nexport const INTERACTION_KINDS: readonly string[] = {};\n\n\
             /** Every role, most powers first. */\nexport const ROLES: readonly Role[] = {};\n\n\
             /** Art. 6(1)(a)–(f) GDPR, in order. */\nexport const LEGAL_BASES: readonly LegalBasis[] = {};\n\n\
             /** The channels a consent is given for. */\nexport const CHANNELS: readonly Channel[] = {};\n\n\
             /** Every data category, in display order. */\nexport const ALL_CATEGORIES: readonly Category[] = {};\n\n\
             /** The categories of personal data: what a purpose may name. */\nexport const PERSONAL_CATEGORIES: readonly Category[] = {};\n\n\
             /** The kinds of data-subject request. */\nexport const REQUEST_KINDS: readonly RequestKind[] = {};\n",
            json(&INTERACTION_KINDS),
            json(&Role::ALL),
            json(&LegalBasis::ALL),
            json(&Channel::ALL),
            json(&Category::ALL),
            json(&personal),
            json(&RequestKind::ALL),
        ));
        out.push_str(&format!(
            "\n/** The states a consent entry records or is computed to be. */\n\
             export const CONSENT_STATES: readonly ConsentState[] = {};\n\n\
             /** How the connection to the mail server is protected, the usual first. */\n\
             export const TLS_MODES: readonly TlsMode[] = {};\n",
            json(&ConsentState::ALL),
            json(&TlsMode::ALL),
        ));
        out.push_str(
            "\n/** The events each retention rule's period may run from, the first its default. */\n\
             export const RULE_EVENTS: Readonly<Record<RuleKey, readonly RetentionEvent[]>> = {\n",
        );
        for key in RuleKey::ALL {
            out.push_str(&format!(
                "  {}: {},\n",
                json(&key.as_str()),
                json(&key.events())
            ));
        }
        out.push_str("};\n");
        out
    }

    /// A value as a JSON literal (strings quoted and escaped).
    fn json(v: &impl serde::Serialize) -> String {
        serde_json::to_string(v).unwrap_or_default()
    }

    /// Every file below `dir` (relative name, content), sorted.
    fn files(dir: &Path) -> Vec<(String, String)> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
            for e in std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
            {
                let path = e.path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    let name = path
                        .strip_prefix(root)
                        .unwrap_or(&path)
                        .display()
                        .to_string();
                    out.push((name, std::fs::read_to_string(&path).unwrap_or_default()));
                }
            }
        }
        let mut out = Vec::new();
        walk(dir, dir, &mut out);
        out.sort();
        out
    }

    #[test]
    fn typescript_bindings_match_the_rust_types() {
        let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings");
        if std::env::var("TRESOR_WRITE_BINDINGS").as_deref() == Ok("1") {
            let _ = std::fs::remove_dir_all(&committed);
            export_all(&committed);
        }
        let fresh = tempfile::tempdir().expect("tmp");
        export_all(fresh.path());
        let (want, have) = (files(fresh.path()), files(&committed));
        let names = |v: &[(String, String)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&have),
            names(&want),
            "bindings drifted: run TRESOR_WRITE_BINDINGS=1 cargo test -p tresor-shell bindings"
        );
        for ((name, a), (_, b)) in want.iter().zip(&have) {
            assert_eq!(
                a, b,
                "{name} drifted: run TRESOR_WRITE_BINDINGS=1 cargo test -p tresor-shell bindings"
            );
        }
    }
}

#[cfg(test)]
mod codes {
    use super::{IpcCode, IpcError};
    use tresor_core::ErrorCode;

    #[test]
    fn an_ipc_code_is_the_text_its_typescript_type_names() {
        for (code, text) in [
            (IpcCode::Locked, "locked"),
            (IpcCode::Internal, "internal"),
            (
                IpcCode::Core(ErrorCode::WrongPassphrase),
                "wrong_passphrase",
            ),
            (IpcCode::Core(ErrorCode::SyncNotSetUp), "sync_not_set_up"),
        ] {
            assert_eq!(
                serde_json::to_value(code).expect("json"),
                serde_json::json!(text)
            );
            assert_eq!(code.as_str(), text);
        }
        let e = IpcError::from(tresor_core::Error::LastAdmin);
        assert_eq!(
            serde_json::to_value(&e).expect("json")["code"],
            serde_json::json!("last_admin")
        );
    }
}
