//! The command contract: names and flags here are what scripts and later
//! checks rely on; change them only compatibly.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use tresor_core::model::categories::{KeepClass, Lang};
use tresor_core::model::consent::Channel;
use tresor_core::model::directory::{ListOrder, ListSort};
use tresor_core::model::export::ContactFormat;
use tresor_core::model::requests::RequestKind;
use tresor_core::model::retention::RuleKey;
use tresor_core::model::roles::Role;
use uuid_arg::Id;

/// Record ids on the command line.
pub mod uuid_arg {
    /// A record id.
    pub type Id = tresor_core::model::contacts::RecordId;
}

/// `retention set`'s rule argument.
pub mod rule_arg {
    use std::ffi::OsStr;

    use clap::ValueEnum as _;
    use clap::builder::{EnumValueParser, PossibleValue, TypedValueParser};
    use tresor_core::model::retention::RuleKey;

    /// A rule's name, or the name of the data category it covers
    /// (`identity`), in any case and with `_` for `-`, as
    /// [`RuleKey::parse`] reads it. Anything else is clap's own error,
    /// which names the rules.
    #[derive(Debug, Clone, Copy)]
    pub struct RuleArg;

    impl TypedValueParser for RuleArg {
        type Value = RuleKey;

        fn parse_ref(
            &self,
            cmd: &clap::Command,
            arg: Option<&clap::Arg>,
            value: &OsStr,
        ) -> Result<RuleKey, clap::Error> {
            match value.to_str().and_then(RuleKey::parse) {
                Some(key) => Ok(key),
                None => EnumValueParser::<RuleKey>::new().parse_ref(cmd, arg, value),
            }
        }

        fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
            Some(Box::new(
                RuleKey::value_variants()
                    .iter()
                    .filter_map(RuleKey::to_possible_value),
            ))
        }
    }
}

/// Tresor: a GDPR-first CRM vault.
#[derive(Debug, Parser)]
#[command(name = "tresor", version, about, max_term_width = 100)]
pub struct Cli {
    /// Vault directory (default: the OS data directory, e.g. ~/.local/share/tresor).
    #[arg(long, global = true, env = "TRESOR_VAULT", value_name = "DIR")]
    pub vault: Option<PathBuf>,
    /// Sign in as this user (default: the only user, else the admin).
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,
    /// Machine-readable output.
    #[arg(long, global = true)]
    pub json: bool,
    /// Read the passphrase from this file (else TRESOR_PASSPHRASE, else a prompt).
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Do not run the retention sweep at unlock (for previews and scripts
    /// that must not change the vault). By default, as in the app, every
    /// unlock deletes what its retention period has made due.
    #[arg(long, global = true)]
    pub no_sweep: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Command {
    /// Create a vault; prints the recovery kit once.
    Init {
        /// Name of the first user, an admin.
        #[arg(long, default_value = "admin")]
        admin: String,
        /// Also write the recovery kit to this file.
        #[arg(long, value_name = "FILE")]
        recovery_kit: Option<PathBuf>,
    },
    /// Set a new admin passphrase with the recovery key.
    Recover {
        /// The admin whose passphrase is reset.
        #[arg(long)]
        admin: Option<String>,
        /// Read the recovery key (or the whole kit) from this file (else TRESOR_RECOVERY_KEY, else a prompt).
        #[arg(long, value_name = "FILE")]
        recovery_key_file: Option<PathBuf>,
        /// Read the new passphrase from this file.
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// People and companies.
    #[command(subcommand)]
    Contact(ContactCmd),
    /// Calls, meetings, emails, letters, notes.
    #[command(subcommand)]
    Interaction(InteractionCmd),
    /// Users and roles (admin).
    #[command(subcommand)]
    User(UserCmd),
    /// Demo data.
    #[command(subcommand)]
    Demo(DemoCmd),
    /// Check the keyring, the database and the migrations.
    Doctor,
    /// Purposes of processing.
    #[command(subcommand)]
    Purpose(PurposeCmd),
    /// Consents: give, withdraw, show, history, double opt-in.
    #[command(subcommand)]
    Consent(ConsentCmd),
    /// Vault settings.
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// Purpose-bound mailing lists.
    #[command(subcommand)]
    Mailing(MailingCmd),
    /// The per-person legal-basis view.
    #[command(subcommand, name = "legal-basis")]
    LegalBasis(LegalBasisCmd),
    /// The Art. 30 register of processing activities.
    #[command(subcommand)]
    Register(RegisterCmd),
    /// Follow-ups (Wiedervorlage): what to do about whom, by when.
    #[command(subcommand, name = "followup")]
    FollowUp(FollowUpCmd),
    /// Companies: their people, merging two, deleting one.
    #[command(subcommand)]
    Company(CompanyCmd),
    /// Data-subject requests and their deadlines.
    #[command(subcommand)]
    Request(RequestCmd),
    /// One action on many people: given by id, or all results of a search.
    #[command(subcommand)]
    Bulk(BulkCmd),
    /// Bring people in from CSV, XLSX or vCard files (Excel, Outlook, Google,
    /// Thunderbird, Apple, phones);
    /// `import list` shows the imports, `import undo BATCH` takes one back.
    Import(ImportArgs),
    /// People in the vault that look like one person twice (the same email,
    /// phone number, or name and postcode); `duplicates merge KEEP OTHER`
    /// makes them one.
    Duplicates(DuplicatesArgs),
    /// Many contacts to one file: vCard, CSV or XLSX (a disclosure, recorded).
    #[command(subcommand)]
    Export(ExportCmd),
    /// Proof of erasure.
    #[command(subcommand)]
    Erasure(ErasureCmd),
    /// Access packages (Art. 15, Art. 20).
    #[command(subcommand)]
    Dsar(DsarCmd),
    /// Retention rules, what falls due, the sweep and its log.
    #[command(subcommand)]
    Retention(RetentionCmd),
    /// Legal holds (litigation, audit): no deletion until lifted.
    #[command(subcommand)]
    Hold(HoldCmd),
    /// Sync with the team through a shared folder: once, or `setup`, `status`.
    Sync(SyncArgs),
    /// Join a team from its shared folder: builds this laptop's vault (in
    /// --vault or the OS data directory) and signs in as an existing user.
    Join {
        /// The shared folder.
        #[arg(long, value_name = "DIR")]
        folder: PathBuf,
    },
    /// The team's devices (laptops).
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Back up now (prints the file and its size), or `setup`, `list`,
    /// `verify`, `status`. Backups open only with a passphrase or the
    /// recovery kit; an erased person is gone from every one at once.
    Backup(BackupArgs),
    /// Build the vault (in --vault or the OS data directory) from a backup
    /// and the key file beside it; a team's vault then catches up through
    /// the shared folder.
    Restore {
        /// The backup file (tresor-….tbk).
        file: PathBuf,
        /// Replace a vault already there; it is kept aside, renamed.
        #[arg(long)]
        replace: bool,
        /// Open the backup with the recovery kit instead of a passphrase
        /// (on a machine where no admin's passphrase is known); a new
        /// passphrase is set for the admin.
        #[arg(long)]
        recovery: bool,
        #[command(flatten)]
        recovery_files: RecoveryArgs,
    },
}

/// Where a restore with the recovery kit reads the key and the new passphrase.
#[derive(Debug, Args)]
pub struct RecoveryArgs {
    /// Read the recovery key (or the whole kit) from this file (else TRESOR_RECOVERY_KEY, else a prompt).
    #[arg(long, value_name = "FILE", requires = "recovery")]
    pub recovery_key_file: Option<PathBuf>,
    /// Read the admin's new passphrase from this file.
    #[arg(long, value_name = "FILE", requires = "recovery")]
    pub new_passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub cmd: Option<BackupCmd>,
}

#[derive(Debug, Subcommand)]
pub enum BackupCmd {
    /// Choose the folder backups go to (a USB stick, a network share,
    /// another disk; never the vault's own folder) and how many are kept;
    /// takes the first backup.
    Setup {
        /// The backup folder.
        #[arg(long, value_name = "DIR")]
        folder: PathBuf,
        /// Daily backups kept.
        #[arg(long, value_name = "N", default_value_t = 7)]
        keep_daily: u32,
        /// Weekly backups kept.
        #[arg(long, value_name = "N", default_value_t = 4)]
        keep_weekly: u32,
        /// Monthly backups kept.
        #[arg(long, value_name = "N", default_value_t = 12)]
        keep_monthly: u32,
    },
    /// The backups in the folder, newest first, with dates and sizes.
    List,
    /// Open each backup (or one file) as a restore would and check it.
    Verify {
        /// One backup file; default: every backup in the folder.
        file: Option<PathBuf>,
    },
    /// The folder, whether it is there, the last backup and its result.
    Status,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SyncArgs {
    /// Compact the folder now if every active device has read everything.
    #[arg(long)]
    pub compact: bool,
    #[command(subcommand)]
    pub cmd: Option<SyncCmd>,
}

#[derive(Debug, Subcommand)]
pub enum SyncCmd {
    /// Publish this vault's team to a shared folder (admin).
    Setup {
        /// An empty folder that every laptop of the team shares.
        #[arg(long, value_name = "DIR")]
        folder: PathBuf,
    },
    /// Last sync, changes waiting, problems.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum DeviceCmd {
    /// Every device with its user, computer, last acknowledgement.
    List,
    /// Retire a silent device so compaction no longer waits for it (admin).
    Retire {
        /// Device id (or enough of its start to be unique).
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCmd {
    /// The rules in force, each with its reason.
    Rules,
    /// Change a rule: people (identity), communication, business-letters,
    /// invoices, consent or requests.
    Set {
        /// The rule, or the data category it covers.
        #[arg(value_parser = rule_arg::RuleArg)]
        category: RuleKey,
        /// e.g. 2y, 6m, 30d, 1y6m.
        #[arg(long)]
        period: Option<String>,
        /// last-contact, contract-end, consent-withdrawal, creation or relationship-end.
        #[arg(long)]
        from: Option<String>,
        /// delete or anonymise.
        #[arg(long)]
        action: Option<String>,
        /// The law that requires keeping (empty to remove).
        #[arg(long)]
        law: Option<String>,
    },
    /// What will be deleted up to a date (default: the next 30 days), and why.
    Preview {
        /// YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        as_of: Option<String>,
    },
    /// Run the sweep now.
    Run,
    /// The deletion log: which rule removed how many records of which kind.
    Log,
}

#[derive(Debug, Subcommand)]
pub enum HoldCmd {
    /// Put a person under a legal hold.
    Add {
        /// The person's id.
        contact: Id,
        /// Why (litigation, tax audit, …).
        #[arg(long)]
        reason: String,
    },
    /// Lift a legal hold.
    Remove {
        /// The person's id.
        contact: Id,
    },
    /// Everyone under a legal hold.
    List,
}

#[derive(Debug, Subcommand)]
pub enum DsarCmd {
    /// Write everything about a person as one ZIP (report, JSON, CSV, vCard,
    /// consent history); the release is recorded with its SHA-256.
    Export {
        /// The person's id.
        contact: Id,
        /// The ZIP file, e.g. on a USB stick.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The access request it answers (REQ-…).
        #[arg(long)]
        request: Option<String>,
        /// Encrypt as an AES-256 ZIP (opens in 7-Zip) with a generated
        /// passphrase of six words, printed once.
        #[arg(long)]
        encrypt: bool,
        /// Use this package passphrase instead of a generated one (at least
        /// 10 characters), to tell the person on another channel.
        #[arg(long, value_name = "FILE", requires = "encrypt")]
        package_passphrase_file: Option<PathBuf>,
        /// Language of the report.
        #[arg(long, default_value = "de")]
        lang: Lang,
    },
}

#[derive(Debug, Subcommand)]
pub enum ErasureCmd {
    /// Search every decrypted page, every sealed value and every other file
    /// of the vault for the texts; exit 0 when none remains, 1 otherwise.
    Verify {
        /// A text to look for, case-insensitive (repeatable).
        #[arg(long = "text", required = true)]
        texts: Vec<String>,
        /// Also every file directly in this folder, ZIP files and
        /// spreadsheets entry by entry (an export folder, a USB stick;
        /// repeatable).
        #[arg(long = "dir")]
        dirs: Vec<PathBuf>,
        /// Also every backup in this backup folder, opened with the key
        /// file beside it (repeatable).
        #[arg(long = "backups", value_name = "DIR")]
        backups: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RequestCmd {
    /// Record a request; prints its reference. The deadline is one month.
    Open {
        /// What the person asked for.
        #[arg(long)]
        kind: RequestKind,
        /// The person's id, if found in the vault.
        #[arg(long)]
        contact: Option<Id>,
        /// When it was received (YYYY-MM-DD).
        #[arg(long)]
        received: String,
        /// How the requester's identity was checked.
        #[arg(long)]
        identity_check: Option<String>,
    },
    /// List requests, oldest first.
    List {
        /// Only open requests past their deadline.
        #[arg(long)]
        overdue: bool,
    },
    /// Show one request.
    Show {
        /// The reference (REQ-…).
        reference: String,
    },
    /// Extend the deadline by two months (Art. 12(3)), once, with a reason.
    Extend {
        /// The reference (REQ-…).
        reference: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Close a request.
    Close {
        /// The reference (REQ-…).
        reference: String,
        /// What was sent or done.
        #[arg(long)]
        outcome: Option<String>,
    },
}

/// Fields of a purpose; on `edit` every one is optional.
#[derive(Debug, Args)]
pub struct PurposeFields {
    /// German name.
    #[arg(long)]
    pub name_de: Option<String>,
    /// English name.
    #[arg(long)]
    pub name_en: Option<String>,
    /// What is done with the data (German, or the one language you write).
    #[arg(long)]
    pub description: Option<String>,
    /// The same in English, for English registers, packages and mails.
    #[arg(long)]
    pub description_en: Option<String>,
    /// Legal basis, Art. 6(1) a–f (e.g. a, b, f, consent, contract, legitimate_interests).
    #[arg(long)]
    pub basis: Option<String>,
    /// Data category the purpose needs (repeatable; replaces the list).
    #[arg(long = "category")]
    pub categories: Vec<String>,
    /// Recipient (repeatable; replaces the list).
    #[arg(long = "recipient")]
    pub recipients: Vec<String>,
    /// Whether consent is required: yes or no.
    #[arg(long)]
    pub consent_required: Option<String>,
    /// Months a consent stays valid (0: no limit).
    #[arg(long)]
    pub validity_months: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum PurposeCmd {
    /// List purposes.
    List,
    /// Show one purpose.
    Show {
        /// Purpose key or name.
        key: String,
    },
    /// Add a purpose.
    Add {
        /// Short key, e.g. newsletter.
        key: String,
        #[command(flatten)]
        fields: PurposeFields,
    },
    /// Change a purpose (a new register version is kept).
    Edit {
        /// Purpose key or name.
        key: String,
        #[command(flatten)]
        fields: PurposeFields,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConsentCmd {
    /// Record that a person gave consent.
    Give {
        /// The person's id.
        contact: Id,
        /// Purpose key or name.
        #[arg(long)]
        purpose: String,
        /// The channel the consent covers.
        #[arg(long)]
        channel: Channel,
        /// Where it came from (see `tresor consent sources`).
        #[arg(long)]
        source: String,
        /// Evidence in words.
        #[arg(long)]
        evidence: Option<String>,
        /// Attach an evidence file (stored encrypted in the vault).
        #[arg(long, value_name = "FILE")]
        evidence_file: Option<PathBuf>,
        /// Legal basis, if not consent (a–f).
        #[arg(long)]
        basis: Option<String>,
        /// When it was given (YYYY-MM-DD or RFC 3339); default now.
        #[arg(long)]
        at: Option<String>,
    },
    /// Record a withdrawal.
    Withdraw {
        /// The person's id.
        contact: Id,
        /// Purpose key or name.
        #[arg(long)]
        purpose: String,
        /// The channel the consent covers.
        #[arg(long)]
        channel: Channel,
        /// Why, if the person said.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Purposes, legal bases and consents of a person, with the necessity check.
    Show {
        /// The person's id.
        contact: Id,
    },
    /// Every consent entry of a person, oldest first.
    History {
        /// The person's id.
        contact: Id,
    },
    /// Send a double opt-in mail for a purpose.
    Request {
        /// The person's id.
        contact: Id,
        /// Purpose key or name.
        #[arg(long)]
        purpose: String,
        /// Language of the mail (default: the person's preferred language).
        #[arg(long)]
        lang: Option<Lang>,
    },
    /// Confirm a double opt-in with the code, or `-` to paste the reply on stdin.
    Confirm {
        /// The code TRS-…, a reply text containing it, or `-` for stdin.
        token: String,
    },
    /// People whose consent expired or expires soon.
    Reconsent {
        /// Also list consents that expire within this many days.
        #[arg(long, default_value_t = 30)]
        within: u32,
    },
    /// The list of consent sources; `--set` replaces it.
    Sources {
        /// New list (repeatable).
        #[arg(long = "set")]
        set: Vec<String>,
    },
    /// Save an entry's evidence file.
    Evidence {
        /// The consent entry id.
        entry: Id,
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum SettingsCmd {
    /// The mail server for double opt-in mails.
    Smtp {
        /// Server name (omit all flags to show the settings).
        #[arg(long)]
        host: Option<String>,
        /// Port.
        #[arg(long)]
        port: Option<u16>,
        /// none, starttls or tls.
        #[arg(long)]
        tls: Option<String>,
        /// The business address mails come from.
        #[arg(long)]
        from: Option<String>,
        /// Sign-in name at the mail server (not `--user`, which names the
        /// Tresor user to sign in as).
        #[arg(long, value_name = "NAME")]
        smtp_user: Option<String>,
        /// Read the password from this file (stored encrypted in the vault).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailingCmd {
    /// Write the people with a valid basis for a purpose and channel to CSV.
    Export {
        /// Purpose key or name.
        #[arg(long)]
        purpose: String,
        /// The channel the list is for.
        #[arg(long)]
        channel: Channel,
        /// The CSV file.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct DuplicatesArgs {
    #[command(subcommand)]
    pub cmd: Option<DuplicatesCmd>,
}

#[derive(Debug, Subcommand)]
pub enum DuplicatesCmd {
    /// Merge OTHER into KEEP: its fields fill what KEEP lacks, its
    /// interactions, follow-ups, consents, company links and requests go
    /// to KEEP, and OTHER is erased (dpo, admin).
    Merge {
        /// The person kept.
        keep: Id,
        /// The person merged into it and then erased.
        other: Id,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCmd {
    /// Write people to a file: everyone, or those with a tag, a search's
    /// matches, or the ones named. Restricted people and what your role may
    /// not read are left out; special categories and deals never go out.
    Contacts {
        /// vcard (4.0), vcard3 (for Outlook), csv (Outlook's headers, for a
        /// mail merge) or xlsx.
        #[arg(long)]
        format: ContactFormat,
        /// Only people with this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Only people this search finds.
        #[arg(long)]
        search: Option<String>,
        /// Only these people (repeat the flag).
        #[arg(long = "id", value_name = "ID")]
        ids: Vec<Id>,
        /// The purpose the file is for (recorded with the disclosure).
        #[arg(long)]
        purpose: Option<String>,
        /// The language of a table's headers.
        #[arg(long, default_value = "de")]
        lang: Lang,
        /// The file.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum LegalBasisCmd {
    /// Write a person's legal-basis view as XLSX or CSV (by the file's extension).
    Export {
        /// The person's id.
        contact: Id,
        /// FILE.xlsx or FILE.csv.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// The file's language.
        #[arg(long, default_value = "de")]
        lang: Lang,
    },
}

#[derive(Debug, Subcommand)]
pub enum RegisterCmd {
    /// Write the register as XLSX or HTML.
    Export {
        /// xlsx or html.
        #[arg(long)]
        format: String,
        /// The file's language.
        #[arg(long, default_value = "de")]
        lang: Lang,
        /// A stored version (default: the newest).
        #[arg(long)]
        version: Option<u32>,
        /// The file.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// List the stored versions.
    Versions,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum ContactCmd {
    /// Add a person; prints the new id.
    Add {
        /// "Given Family".
        #[arg(long)]
        name: String,
        /// Email address (repeatable).
        #[arg(long)]
        email: Vec<String>,
        /// Phone number (repeatable).
        #[arg(long)]
        phone: Vec<String>,
        /// Postal address, one line ("Hauptstr. 1, 10115 Berlin"; repeatable).
        #[arg(long)]
        address: Vec<String>,
        /// Company (found by exact name or created).
        #[arg(long)]
        company: Option<String>,
        /// Role at the company.
        #[arg(long)]
        role: Option<String>,
        /// Free-text note (notes compartment).
        #[arg(long)]
        note: Option<String>,
        /// Tag (repeatable).
        #[arg(long)]
        tag: Vec<String>,
        /// Add even if an email or phone is suppressed; the reason is recorded.
        #[arg(long, value_name = "REASON")]
        allow_suppressed: Option<String>,
        /// When the business last had contact (YYYY-MM-DD), if before today.
        #[arg(long, value_name = "DATE")]
        last_contact: Option<String>,
    },
    /// Show a person or company.
    Show {
        /// Record id.
        id: Id,
    },
    /// List people (or companies) by name, or people by another column.
    List {
        /// Skip this many.
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Show at most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// List companies instead of people.
        #[arg(long, conflicts_with_all = ["sort", "desc"])]
        companies: bool,
        #[command(flatten)]
        order: OrderArgs,
    },
    /// Type-ahead search over names, companies, cities, emails, phones and tags.
    Search {
        /// Words or beginnings of words.
        query: String,
        /// Show at most this many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[command(flatten)]
        order: OrderArgs,
    },
    /// Change fields.
    Edit {
        /// Record id.
        id: Id,
        #[command(flatten)]
        fields: EditFields,
        /// Why: a correction (Art. 16) is recorded with its reason.
        #[arg(long)]
        reason: Option<String>,
        /// The rectification request it answers (REQ-…); needs --reason.
        #[arg(long, requires = "reason")]
        request: Option<String>,
    },
    /// Who changed what, when.
    History {
        /// Record id.
        id: Id,
    },
    /// Erase a person for an erasure request: everything of theirs, history
    /// included; the database is compacted so nothing remains on disk.
    Erase {
        /// The person's id.
        id: Id,
        /// The erasure request (REQ-…).
        #[arg(long)]
        request: String,
        /// Erase only these fields, e.g. --fields phones,birthday.
        #[arg(long, value_delimiter = ',')]
        fields: Vec<String>,
        /// Keep keyed hashes of the email addresses and phone numbers so the
        /// person is flagged if added again ("do not contact me again").
        /// With --fields, of the erased emails and phones only.
        #[arg(long)]
        suppress: bool,
        /// Before erasing, search the files directly in this folder (where
        /// exports were written) for the person's id, name, e-mail
        /// addresses and phone numbers, and name those that hold any
        /// (repeatable). They are not deleted.
        #[arg(long = "files-in", conflicts_with = "fields")]
        files_in: Vec<PathBuf>,
    },
    /// Restrict processing (Art. 18): read-only, out of every list.
    Restrict {
        /// The person's id.
        id: Id,
        /// The restriction request (REQ-…).
        #[arg(long)]
        request: String,
    },
    /// Lift a restriction.
    Unrestrict {
        /// The person's id.
        id: Id,
    },
    /// Record an objection (Art. 21) to a purpose; it takes effect at once.
    Object {
        /// The person's id.
        id: Id,
        /// Purpose key or name.
        #[arg(long)]
        purpose: String,
        /// The objection request (REQ-…).
        #[arg(long)]
        request: String,
    },
}

#[derive(Debug, Args)]
pub struct EditFields {
    /// "Given Family".
    #[arg(long)]
    pub name: Option<String>,
    /// Given name.
    #[arg(long)]
    pub given_name: Option<String>,
    /// Family name.
    #[arg(long)]
    pub family_name: Option<String>,
    /// Academic title.
    #[arg(long)]
    pub title: Option<String>,
    /// mr, ms, mx or none.
    #[arg(long)]
    pub salutation: Option<String>,
    /// YYYY-MM-DD.
    #[arg(long)]
    pub birthday: Option<String>,
    /// Preferred language (de, en, …).
    #[arg(long)]
    pub language: Option<String>,
    /// Free-text note (notes compartment).
    #[arg(long)]
    pub note: Option<String>,
    /// Art. 9 data (special compartment).
    #[arg(long)]
    pub special: Option<String>,
    /// Deal stage (deal compartment).
    #[arg(long)]
    pub deal_stage: Option<String>,
    /// Deal value (deal compartment).
    #[arg(long)]
    pub deal_value: Option<String>,
    /// Emails: replaces the list (repeatable).
    #[arg(long)]
    pub email: Vec<String>,
    /// Phones: replaces the list (repeatable).
    #[arg(long)]
    pub phone: Vec<String>,
    /// Postal addresses: replaces the list (repeatable).
    #[arg(long)]
    pub address: Vec<String>,
    /// Tags: replaces the list (repeatable).
    #[arg(long)]
    pub tag: Vec<String>,
    /// Link to a company (found by exact name or created).
    #[arg(long)]
    pub company: Option<String>,
    /// Any catalogue field: FIELD=VALUE (repeatable).
    #[arg(long, value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// Empty a field (repeatable).
    #[arg(long, value_name = "FIELD")]
    pub clear: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum InteractionCmd {
    /// Record an interaction with a person; prints its id.
    Add {
        /// The person's id.
        contact: Id,
        /// call, meeting, email, letter or note.
        #[arg(long)]
        kind: String,
        /// One line.
        #[arg(long)]
        summary: String,
        /// Free text (notes compartment).
        #[arg(long)]
        text: Option<String>,
        /// When (YYYY-MM-DD or RFC 3339); default now.
        #[arg(long)]
        at: Option<String>,
        /// A record the law requires to keep.
        #[arg(long)]
        keep: Option<KeepClass>,
    },
}

/// A company's fields, as `company add` and `company edit` take them.
#[derive(Debug, Args)]
pub struct CompanyFields {
    /// Website.
    #[arg(long)]
    pub website: Option<String>,
    /// Phones: replaces the list (repeatable).
    #[arg(long)]
    pub phone: Vec<String>,
    /// Postal addresses: replaces the list (repeatable).
    #[arg(long)]
    pub address: Vec<String>,
    /// Free-text note (notes compartment).
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CompanyCmd {
    /// Make a company; prints its id.
    Add {
        /// The company's name.
        name: String,
        #[command(flatten)]
        fields: CompanyFields,
        /// It is this person's sole trading: their data (erased and
        /// exported with them).
        #[arg(long, value_name = "PERSON")]
        sole_trader: Option<Id>,
    },
    /// Change a company's fields.
    Edit {
        /// The company's id.
        id: Id,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: CompanyFields,
        /// Empty a field (repeatable).
        #[arg(long, value_name = "FIELD")]
        clear: Vec<String>,
        /// Mark it as this person's sole trading (it gets a new id, printed).
        #[arg(long, value_name = "PERSON")]
        sole_trader: Option<Id>,
    },
    /// List companies by name.
    List {
        /// Skip this many.
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Show at most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Show a company with its people and the latest interactions with them.
    Show {
        /// The company's id.
        id: Id,
    },
    /// Merge a company into another: its people and follow-ups move, the
    /// kept one's empty fields are filled, the other is deleted.
    Merge {
        /// The company that stays.
        keep: Id,
        /// The company merged into it (deleted).
        other: Id,
    },
    /// Delete a company: says first what happens to its people; deletes
    /// with --yes.
    Delete {
        /// The company's id.
        id: Id,
        /// Delete (without it, only say what would happen).
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum FollowUpCmd {
    /// Make a follow-up on a person or a company; prints its id.
    Add {
        /// The person's or company's id.
        contact: Id,
        #[command(flatten)]
        followup: FollowUpArgs,
    },
    /// List open follow-ups by day.
    List {
        /// Only those due today or overdue.
        #[arg(long)]
        due: bool,
        /// Only yours.
        #[arg(long)]
        mine: bool,
        /// Only those for this user.
        #[arg(long = "for", value_name = "USER", conflicts_with = "mine")]
        assignee: Option<String>,
        /// Done ones too.
        #[arg(long, conflicts_with = "due")]
        all: bool,
        /// Only those about this person or company.
        #[arg(long, value_name = "ID")]
        contact: Option<Id>,
    },
    /// Mark a follow-up done.
    Done {
        /// The follow-up's id.
        id: Id,
    },
    /// Open a done follow-up again.
    Reopen {
        /// The follow-up's id.
        id: Id,
    },
    /// Put a follow-up off to another day.
    Snooze {
        /// The follow-up's id.
        id: Id,
        /// The new day: YYYY-MM-DD, `today` or `tomorrow`.
        #[arg(long)]
        until: String,
        /// The time of that day (HH:MM); none keeps it without a time.
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add a user.
    Add {
        /// Sign-in name.
        name: String,
        /// The user's role.
        #[arg(long)]
        role: Role,
        /// Read the new user's passphrase from this file (else a prompt).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// List users and roles.
    List,
    /// Remove a user (rotates the vault's keys).
    Remove {
        /// Sign-in name.
        name: String,
    },
    /// Change a passphrase (your own by default).
    Passwd {
        /// Sign-in name (admins may reset others).
        name: Option<String>,
        /// Read the new passphrase from this file (else a prompt).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Change a user's role.
    Role {
        /// Sign-in name.
        name: String,
        /// The new role.
        role: Role,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemoCmd {
    /// Fill the vault with generated people, companies and interactions
    /// (the vault is then a demo: the sweep at unlock leaves it alone).
    Seed {
        /// How many people.
        #[arg(long, default_value_t = 1000)]
        contacts: usize,
        /// The same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// The order of a list of people: a column, then by name; empty values last.
#[derive(Args, Debug, Clone, Copy)]
pub struct OrderArgs {
    /// Sort by this column.
    #[arg(long, value_enum, default_value_t = ListSort::Name)]
    pub sort: ListSort,
    /// Sort descending (Z to A, latest first).
    #[arg(long)]
    pub desc: bool,
}

impl From<OrderArgs> for ListOrder {
    fn from(a: OrderArgs) -> Self {
        ListOrder {
            by: a.sort,
            descending: a.desc,
        }
    }
}

/// Whom a bulk action is for.
#[derive(Args, Debug)]
pub struct Selection {
    /// The people's (or, for follow-ups, companies') ids.
    #[arg(required_unless_present = "search", conflicts_with = "search")]
    pub ids: Vec<Id>,
    /// Everyone a search finds (as `contact search` lists them, at most 500).
    #[arg(long, value_name = "QUERY")]
    pub search: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum BulkCmd {
    /// Add and remove tags.
    Tag {
        #[command(flatten)]
        selection: Selection,
        /// Tag to add where missing (repeatable).
        #[arg(long)]
        add: Vec<String>,
        /// Tag to remove where present, in any case (repeatable).
        #[arg(long)]
        remove: Vec<String>,
    },
    /// The same follow-up on each.
    Followup {
        #[command(flatten)]
        selection: Selection,
        #[command(flatten)]
        followup: FollowUpArgs,
    },
    /// A data-subject request for each person.
    Request {
        #[command(flatten)]
        selection: Selection,
        /// What they asked for.
        #[arg(long)]
        kind: RequestKind,
        /// When it was received (YYYY-MM-DD).
        #[arg(long)]
        received: String,
        /// How the identities were checked.
        #[arg(long)]
        identity_check: Option<String>,
    },
}

/// A follow-up as typed: what, when, for whom.
#[derive(Args, Debug)]
pub struct FollowUpArgs {
    /// What to do.
    #[arg(long)]
    pub what: String,
    /// The day it is due: YYYY-MM-DD, `today` or `tomorrow`.
    #[arg(long)]
    pub due: String,
    /// The time of that day (HH:MM).
    #[arg(long)]
    pub at: Option<String>,
    /// The user it is for (default: you).
    #[arg(long = "for", value_name = "USER")]
    pub assignee: Option<String>,
}

impl From<&FollowUpArgs> for tresor_core::model::followups::FollowUpInput {
    fn from(a: &FollowUpArgs) -> Self {
        tresor_core::model::followups::FollowUpInput {
            what: a.what.clone(),
            due: a.due.clone(),
            time: a.at.clone(),
            assignee: a.assignee.clone(),
        }
    }
}

/// `tresor import FILE…`, or `import list` / `import undo BATCH`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub cmd: Option<ImportCmd>,
    /// The files (CSV, the encoding and the delimiter found; XLSX; or vCard).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// A mapping for columns Tresor does not know:
    /// `{"columns": {"Kunde": "name", "Nr": null}}`.
    #[arg(long, value_name = "FILE.json")]
    pub mapping: Option<PathBuf>,
    /// The encoding, when detection is wrong (UTF-8, windows-1252, ISO-8859-1, UTF-16LE).
    #[arg(long, value_name = "E")]
    pub encoding: Option<String>,
    /// The delimiter, when detection is wrong (`;`, `,`, `tab`, `|`).
    #[arg(long, value_name = "D")]
    pub delimiter: Option<String>,
    /// The purpose the people are kept for (one that needs no consent).
    #[arg(long, value_name = "P")]
    pub purpose: Option<String>,
    /// Where the data came from, when not the file's name ("Messe Köln 2026").
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// A row that matches a person already there: leave it out, merge it in, or add it anyway.
    #[arg(long, value_enum, default_value = "skip")]
    pub on_duplicate: tresor_core::model::import::OnDuplicate,
    /// Read and match, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// Every import: when, who, which files, how many people.
    List,
    /// Take an import back: the people it created are erased, what it
    /// merged is set back (refused when they were changed since).
    Undo {
        /// The batch id `import` printed.
        batch: uuid::Uuid,
    },
}
