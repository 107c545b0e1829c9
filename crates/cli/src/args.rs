//! The command contract: names and flags here are what scripts and later
//! checks rely on; change them only compatibly.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use uuid_arg::Id;

/// Record ids on the command line.
pub mod uuid_arg {
    /// A record id.
    pub type Id = tresor_core::contacts::RecordId;
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
    },
    /// Show a person or company.
    Show {
        /// Record id.
        id: Id,
    },
    /// List people (or companies) by name.
    List {
        /// Skip this many.
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Show at most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// List companies instead of people.
        #[arg(long)]
        companies: bool,
    },
    /// Type-ahead search over names, companies, emails, phones and tags.
    Search {
        /// Words or beginnings of words.
        query: String,
        /// Show at most this many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Change fields.
    Edit {
        /// Record id.
        id: Id,
        #[command(flatten)]
        fields: EditFields,
    },
    /// Who changed what, when.
    History {
        /// Record id.
        id: Id,
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
        /// When (RFC 3339); default now.
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
        /// admin, dpo, sales, agent or auditor.
        #[arg(long)]
        role: String,
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
        /// admin, dpo, sales, agent or auditor.
        role: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DemoCmd {
    /// Fill the vault with generated people, companies and interactions.
    Seed {
        /// How many people.
        #[arg(long, default_value_t = 1000)]
        contacts: usize,
        /// The same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}
