//! Rights of the person beyond access: restriction (Art. 18) and
//! rectification (Art. 16), as records.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A restriction entry; the latest per person counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Restriction {
    /// Restricted (true) or lifted (false).
    pub active: bool,
    /// The request it answers, if any.
    pub request: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: String,
}

/// A rectification (Art. 16): which fields were corrected, why, for which
/// request. The corrected values themselves are in the change history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Rectification {
    /// The fields corrected.
    pub fields: Vec<String>,
    /// Why.
    pub reason: String,
    /// The rectification request, if there was one.
    pub request: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub by: String,
}
