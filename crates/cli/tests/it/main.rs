//! The integration tests of the `tresor` command, one binary: the real
//! binary on real vaults.

mod backup;
mod bulk;
mod companies;
mod consent;
mod followups;
mod import;
mod requests;
mod retention;
mod story;
mod support;
mod sync;
