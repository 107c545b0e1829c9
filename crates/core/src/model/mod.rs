//! Pure types and rules: no store, no session, no I/O. Each rule here is
//! tested without a vault on disk; everything above calls it.

pub mod backups;
pub mod bulk;
pub mod categories;
pub mod companies;
pub mod consent;
pub mod contacts;
pub mod directory;
pub mod due;
pub mod export;
pub mod followups;
pub mod import;
pub mod mail;
pub mod package;
pub mod register;
pub mod requests;
pub mod retention;
pub mod rights;
pub mod roles;
