//! `tresor-core`: every rule and all data of Tresor, with no GUI and no
//! transport. Front doors (the `tresor` command, the desktop shell) call
//! [`Session`] and nothing else; permissions, validation and encryption all
//! happen here. The layers, from the ground up, import only downward:
//! `error`/`clock` → `model` → `crypto`/`ops`/`keyring` → `store` → `vault`
//! → `render` → `session` → `sync` → `demo`. See ARCHITECTURE.md.

pub mod clock;
pub mod crypto;
pub mod demo;
pub mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod keyring;
pub mod model;
pub mod ops;
pub mod render;
pub mod session;
pub mod store;
pub mod sync;
pub mod vault;

pub use error::{Error, ErrorCode, Result};
pub use session::Session;
