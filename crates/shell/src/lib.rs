//! The commands the Tresor app offers its window, as one table over
//! `tresor_core::Session`. Each command is a plain function of the
//! [`AppState`] and its arguments that calls one core operation and maps
//! the result; none holds a rule of its own.
//!
//! [`for_each_command!`] is the table. The Tauri shell (`src-tauri/`)
//! expands it into its `#[tauri::command]`s; [`dispatch`] expands it into
//! a call by name with JSON arguments, which the development server
//! (feature `serve`, never part of the app) serves over HTTP so that the
//! UI can run in a browser and its tests against the real core.

pub mod backups;
pub mod commands;
pub mod companies;
pub mod consent;
pub mod dto;
pub mod followups;
pub mod imports;
pub mod retention;
pub mod rights;
#[cfg(feature = "serve")]
pub mod serve;
pub mod sync;
mod table;

pub use commands::{AppState, FilesPicker, FolderPicker, Res, SaveAsk, SavePicker, StateConfig};
pub use dto::{IpcCode, IpcError};
pub use table::{COMMANDS, dispatch};

/// Every type a command takes or returns, by the name the table uses.
pub mod types {
    pub use crate::commands::{AppState, Res};
    pub use crate::dto::*;
    pub use crate::imports::{ExportedContacts, ImportSettings};
    pub use tresor_core::model::backups::Rotation;
    pub use tresor_core::model::bulk::{BulkAction, BulkReport};
    pub use tresor_core::model::categories::Lang;
    pub use tresor_core::model::companies::{CompanyDeletion, CompanyMerge, CompanyView};
    pub use tresor_core::model::consent::{
        Channel, ConsentEntry, ConsentInput, LegalBasisView, Purpose, ReconsentItem,
    };
    pub use tresor_core::model::contacts::{ContactView, FieldChange, HistoryEntry, RecordId};
    pub use tresor_core::model::directory::{ListOrder, ListSort};
    pub use tresor_core::model::export::{ContactExport, ContactFormat, ContactSelection};
    pub use tresor_core::model::followups::{FollowUp, FollowUpFilter, FollowUpInput};
    pub use tresor_core::model::import::{DuplicateGroup, ImportBatch, ImportReport};
    pub use tresor_core::model::mail::SmtpSettings;
    pub use tresor_core::model::register::{Register, RegisterVersionInfo};
    pub use tresor_core::model::requests::{DsRequest, NewRequest, RequestRow};
    pub use tresor_core::model::retention::{
        DeletionLogEntry, DueItem, HeldPerson, Hold, RetentionRule, RuleChange, RuleKey,
        SweepReport,
    };
    pub use tresor_core::model::rights::{Rectification, Restriction};
    pub use tresor_core::model::roles::Role;
    pub use tresor_core::render::ExportFormat;
    pub use tresor_core::session::doctor::Check;
    pub use tresor_core::session::erasure::{ErasureReport, FieldErasureReport, VerifyReport};
    pub use tresor_core::session::import::{ImportProgress, UndoReport};
    pub use tresor_core::session::merge::MergeReport;
    pub use tresor_core::session::{SessionInfo, UserInfo};
    pub use tresor_core::store::DirectoryRow;
    pub use tresor_core::sync::{
        BackupCheck, BackupInfo, BackupReport, BackupStatus, DeviceInfo, RestoreReport, SyncReport,
    };
}
