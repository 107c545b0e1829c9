//! Roles and the permission matrix: the one place that says who may do what.
//!
//! Every operation in [`crate::session`] asks [`Role::may`] before it acts, and
//! [`Role::compartments`] decides which compartment keys a role's keyset
//! holds. Front doors (CLI, desktop shell) never decide permissions.
//!
//! The auditor is read-only: an auditor sees who is in the vault (identity,
//! contact details, business links, tags, the communication log) and the full
//! change history (who changed which field, when), so the lawfulness of the
//! processing can be checked, together with purposes, consents and their
//! history, disclosures and the Art. 30 register (which the auditor may
//! export); an auditor holds no compartment key, so notes,
//! Art. 9 data and deal data stay sealed, and can change nothing.

use serde::{Deserialize, Serialize};

use crate::model::categories::{Category, Compartment, RecordKind};

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Role {
    /// Manages users and everything else.
    Admin,
    /// Data-protection officer: reads everything, answers data-subject requests.
    Dpo,
    /// Sales staff: contacts, notes and deals, no Art. 9 data.
    Sales,
    /// Call-centre agent: contact details and the call log only.
    Agent,
    /// Read-only reviewer; see the module documentation.
    Auditor,
}

/// Things a person can do, checked by every core operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// List, show and search contacts.
    ReadContacts,
    /// Create and edit people, companies and links.
    WriteContacts,
    /// Record an interaction.
    AddInteraction,
    /// See who changed what and when.
    ViewHistory,
    /// Add, remove and change users and roles.
    ManageUsers,
    /// Fill the vault with generated demo data.
    SeedDemo,
    /// Run integrity checks.
    RunDoctor,
    /// See purposes, consents, the legal-basis view and the register.
    ViewConsent,
    /// Record that consent was given or withdrawn.
    RecordConsent,
    /// Send double opt-in mails.
    RequestConsent,
    /// Add and change purposes of processing and consent sources.
    ManagePurposes,
    /// Configure the mail server.
    ManageSettings,
    /// Export a mailing list for a purpose (a disclosure, recorded).
    ExportMailing,
    /// Export the legal-basis view or the Art. 30 register to a file.
    ExportRecords,
    /// Export many contacts to a file (vCard, CSV, XLSX; a disclosure, recorded).
    ExportContacts,
    /// See data-subject requests and their deadlines.
    ViewRequests,
    /// Open, extend and close data-subject requests.
    HandleRequests,
    /// Erase a person, and check that nothing of them remains.
    Erase,
    /// Make and release a person's access package.
    ExportPackage,
    /// See retention rules, what falls due, legal holds and the deletion log.
    ViewRetention,
    /// Change retention rules, run the sweep, set and lift legal holds.
    ManageRetention,
    /// Set up backups, take them by hand, and restore.
    ManageBackups,
}

impl Action {
    /// The action in words, for "your role may not …".
    pub fn describe(self) -> &'static str {
        match self {
            Action::ReadContacts => "read contacts",
            Action::WriteContacts => "change contacts",
            Action::AddInteraction => "record interactions",
            Action::ViewHistory => "view the change history",
            Action::ManageUsers => "manage users and roles",
            Action::SeedDemo => "fill the vault with demo data",
            Action::RunDoctor => "run integrity checks",
            Action::ViewConsent => "see consents and purposes",
            Action::RecordConsent => "record consents",
            Action::RequestConsent => "send confirmation mails",
            Action::ManagePurposes => "change purposes of processing",
            Action::ManageSettings => "change vault settings",
            Action::ExportMailing => "export mailing lists",
            Action::ExportRecords => "export the legal-basis view or the register",
            Action::ExportContacts => "export contacts",
            Action::ViewRequests => "see data-subject requests",
            Action::HandleRequests => "handle data-subject requests",
            Action::Erase => "erase people",
            Action::ExportPackage => "export access packages",
            Action::ViewRetention => "see retention rules and legal holds",
            Action::ManageRetention => "change retention rules or legal holds",
            Action::ManageBackups => "set up backups and restore them",
        }
    }
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Dpo,
        Role::Sales,
        Role::Agent,
        Role::Auditor,
    ];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Dpo => "dpo",
            Role::Sales => "sales",
            Role::Agent => "agent",
            Role::Auditor => "auditor",
        }
    }

    /// The permission matrix.
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Admin => true,
            Role::Dpo => !matches!(action, ManageUsers | SeedDemo | ManageSettings),
            Role::Sales => matches!(
                action,
                ReadContacts
                    | WriteContacts
                    | AddInteraction
                    | ViewHistory
                    | ViewConsent
                    | RecordConsent
                    | RequestConsent
                    | ExportMailing
                    | ExportContacts
            ),
            Role::Agent => matches!(
                action,
                ReadContacts
                    | WriteContacts
                    | AddInteraction
                    | ViewHistory
                    | ViewConsent
                    | RecordConsent
            ),
            Role::Auditor => matches!(
                action,
                ReadContacts
                    | ViewHistory
                    | RunDoctor
                    | ViewConsent
                    | ExportRecords
                    | ViewRequests
                    | ViewRetention
            ),
        }
    }

    /// Whether this role may make a change to a record of `kind`: any one
    /// of [`actions_for`]'s actions will do. Every laptop asks it again of
    /// what arrives from another laptop, against the author's signed role
    /// (see `sync::admit`), so a patched program gains nothing.
    pub fn may_change(self, kind: RecordKind) -> bool {
        actions_for(kind).iter().any(|a| self.may(*a))
    }

    /// Compartment keys a keyset of this role holds.
    pub fn compartments(self) -> &'static [Compartment] {
        match self {
            Role::Admin | Role::Dpo => &Compartment::ALL,
            // The mail secrets go to the roles that send confirmation mails.
            Role::Sales => &[Compartment::Notes, Compartment::Deal, Compartment::Mail],
            Role::Agent | Role::Auditor => &[],
        }
    }

    /// True when the role holds the key to read a category.
    pub fn can_read(self, category: Category) -> bool {
        category
            .compartment()
            .is_none_or(|c| self.compartments().contains(&c))
    }
}

/// The actions that make changes to records of a kind: a change of a
/// record of `kind` needs one of them. Settings need
/// [`Action::ManageSettings`] here; the few a program writes on its own
/// (defaults, the suppression key) are admitted by `sync::admit` for what
/// they are. The deletion log is written by the sweep, which runs on every
/// laptop whatever its user's role.
pub fn actions_for(kind: RecordKind) -> &'static [Action] {
    use Action::*;
    match kind {
        RecordKind::Person
        | RecordKind::Company
        | RecordKind::Affiliation
        | RecordKind::Rectification
        | RecordKind::ImportBatch => &[WriteContacts],
        // Whoever records interactions keeps the follow-ups that come of them.
        RecordKind::Interaction | RecordKind::FollowUp => &[AddInteraction],
        RecordKind::Purpose | RecordKind::RegisterVersion => &[ManagePurposes],
        RecordKind::Consent => &[RecordConsent, RequestConsent],
        RecordKind::Setting => &[ManageSettings],
        RecordKind::Disclosure => &[ExportMailing, ExportContacts, ExportRecords, ExportPackage],
        RecordKind::Request => &[HandleRequests],
        // Set by a request, or kept by law after an erasure.
        RecordKind::Restriction | RecordKind::PendingErasure => &[HandleRequests, Erase],
        // An objection or an erasure suppresses; adding a suppressed
        // address records the override.
        RecordKind::Suppression => &[HandleRequests, Erase, WriteContacts],
        RecordKind::PackageRelease => &[ExportPackage],
        RecordKind::Hold | RecordKind::RetentionRule => &[ManageRetention],
        // Every role reads contacts.
        RecordKind::DeletionLog => &[ReadContacts],
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_and_auditor_hold_no_key_for_notes_or_art9() {
        for role in [Role::Agent, Role::Auditor] {
            assert!(!role.can_read(Category::Notes));
            assert!(!role.can_read(Category::Special));
            assert!(role.can_read(Category::ContactDetails));
        }
        assert!(!Role::Sales.can_read(Category::Special));
        assert!(Role::Sales.can_read(Category::Notes));
    }

    #[test]
    fn the_auditor_may_change_no_record_but_the_sweeps_log() {
        use crate::model::categories::RecordKind::*;
        for kind in [
            Person,
            Company,
            Affiliation,
            Interaction,
            FollowUp,
            Purpose,
            Consent,
            Setting,
            Request,
            Restriction,
            Suppression,
            Hold,
            RetentionRule,
            Rectification,
        ] {
            assert!(!Role::Auditor.may_change(kind), "{kind:?}");
            assert!(Role::Admin.may_change(kind), "{kind:?}");
        }
        // Exports the auditor may make are recorded as disclosures.
        assert!(Role::Auditor.may_change(DeletionLog) && Role::Auditor.may_change(Disclosure));
        assert!(Role::Agent.may_change(Person) && Role::Agent.may_change(Consent));
        for kind in [
            Purpose,
            Setting,
            Hold,
            RetentionRule,
            Request,
            PackageRelease,
        ] {
            assert!(!Role::Agent.may_change(kind), "{kind:?}");
        }
        assert!(Role::Sales.may_change(Disclosure) && !Role::Sales.may_change(Setting));
    }

    #[test]
    fn only_admin_manages_users_and_auditor_writes_nothing() {
        for role in Role::ALL {
            assert_eq!(role.may(Action::ManageUsers), role == Role::Admin);
        }
        assert!(!Role::Auditor.may(Action::WriteContacts));
        assert!(!Role::Auditor.may(Action::AddInteraction));
    }
}
