//! `tresor-core`: every rule and all data of Tresor, with no GUI and no
//! transport. Front doors (the `tresor` command, the desktop shell) call
//! [`api::Session`] and nothing else; permissions, validation and encryption
//! all happen here.

pub mod api;
pub mod categories;
pub mod clock;
pub mod consent;
pub mod contacts;
pub mod crypto;
pub mod demo;
pub mod erasure;
pub mod error;
pub mod export;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod keyring;
pub mod mail;
pub mod ops;
pub mod package;
pub mod register;
pub mod requests;
pub mod retention;
pub mod rights;
pub mod roles;
pub mod store;
pub mod sweep;
pub mod sync;
pub mod vault;

pub use api::Session;
pub use error::{Error, Result};
