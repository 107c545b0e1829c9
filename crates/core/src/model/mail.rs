//! Mail-server settings as the core keeps and shows them (the password
//! never leaves the core).

use serde::{Deserialize, Serialize};

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TlsMode {
    /// Plain text (only for a server on this computer or in a test).
    None,
    /// Upgrade with STARTTLS (usually port 587).
    Starttls,
    /// TLS from the start (usually port 465).
    Tls,
}

impl TlsMode {
    /// Every mode, the usual one (STARTTLS) first: the order a form offers.
    pub const ALL: [TlsMode; 3] = [TlsMode::Starttls, TlsMode::Tls, TlsMode::None];

    /// Parses `none`, `starttls` or `tls`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "none" => Some(TlsMode::None),
            "starttls" => Some(TlsMode::Starttls),
            "tls" => Some(TlsMode::Tls),
            _ => None,
        }
    }
}

/// Mail-server settings as shown (the password never leaves the core).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SmtpSettings {
    /// Server name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Connection protection.
    pub tls: TlsMode,
    /// The business address mails come from and replies go to.
    pub from: String,
    /// Sign-in name, if the server wants one.
    pub user: Option<String>,
    /// Whether a password is stored.
    #[serde(default)]
    pub has_password: bool,
}
