//! Bulk actions on a selection of people: what to do to each, and the
//! report of what was done, left as it was, or refused (and why).

use serde::{Deserialize, Serialize};

use crate::ErrorCode;
use crate::error::{Error, Result};
use crate::model::contacts::RecordId;
use crate::model::followups::FollowUpInput;
use crate::model::requests::RequestKind;

/// At most this many people in one bulk action.
pub const MAX_SELECTION: usize = 5000;

/// What to do to each selected person.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum BulkAction {
    /// Add and remove tags (case-insensitively: "VIP" removes "vip").
    Tag {
        /// Tags to add where missing.
        add: Vec<String>,
        /// Tags to remove where present.
        remove: Vec<String>,
    },
    /// The same follow-up on each.
    FollowUp {
        /// What, when, for whom.
        followup: FollowUpInput,
    },
    /// A data-subject request for each, received the same day.
    Request {
        /// What was asked.
        kind: RequestKind,
        /// When it was received (`YYYY-MM-DD`).
        received: chrono::NaiveDate,
        /// How identity was checked.
        identity_check: Option<String>,
    },
}

/// One selected record the action left alone, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BulkSkip {
    /// The record.
    pub id: RecordId,
    /// Why, as a code the window translates.
    pub code: ErrorCode,
    /// Why, in words.
    pub message: String,
}

/// What a bulk action did.
#[derive(Debug, Clone, Serialize, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BulkReport {
    /// Changed (tagged, given a follow-up, a request opened).
    pub done: Vec<RecordId>,
    /// Already as asked (had the tag, lacked the removed one).
    pub unchanged: Vec<RecordId>,
    /// Refused, each with its reason; nothing of them changed.
    pub skipped: Vec<BulkSkip>,
    /// The references of the requests opened, in the order of `done`.
    pub requests: Vec<String>,
}

impl BulkReport {
    pub(crate) fn skip(&mut self, id: RecordId, e: &Error) {
        self.skipped.push(BulkSkip {
            id,
            code: e.code(),
            message: e.to_string(),
        });
    }
}

/// The selection, once: no duplicates, not empty, not too many.
pub fn selection(ids: &[RecordId]) -> Result<Vec<RecordId>> {
    let mut seen = std::collections::HashSet::new();
    let out: Vec<RecordId> = ids.iter().copied().filter(|id| seen.insert(*id)).collect();
    if out.is_empty() {
        return Err(Error::invalid("selection", "select at least one person"));
    }
    if out.len() > MAX_SELECTION {
        return Err(Error::invalid(
            "selection",
            format!("select at most {MAX_SELECTION} people at once"),
        ));
    }
    Ok(out)
}

/// `current` with `add` added where missing and `remove` taken out,
/// compared without case; `None` when nothing changes.
pub fn retag(current: &[String], add: &[String], remove: &[String]) -> Option<Vec<String>> {
    let same = |a: &str, b: &str| a.to_lowercase() == b.to_lowercase();
    let mut out: Vec<String> = current
        .iter()
        .filter(|t| !remove.iter().any(|r| same(t, r)))
        .cloned()
        .collect();
    for a in add {
        if !out.iter().any(|t| same(t, a)) {
            out.push(a.clone());
        }
    }
    (out != current).then_some(out)
}

/// The tags of a tag action, trimmed; refused when there are none or
/// one is both added and removed.
pub fn tag_lists(add: &[String], remove: &[String]) -> Result<(Vec<String>, Vec<String>)> {
    let clean = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let (add, remove) = (clean(add), clean(remove));
    if add.is_empty() && remove.is_empty() {
        return Err(Error::invalid("tags", "name a tag to add or to remove"));
    }
    if let Some(t) = add
        .iter()
        .find(|a| remove.iter().any(|r| r.to_lowercase() == a.to_lowercase()))
    {
        return Err(Error::invalid(
            "tags",
            format!("'{t}' is both added and removed"),
        ));
    }
    Ok((add, remove))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn retagging_adds_what_is_missing_and_removes_without_case() {
        assert_eq!(
            retag(&v(&["VIP", "Messe"]), &v(&["Newsletter"]), &v(&["vip"])),
            Some(v(&["Messe", "Newsletter"]))
        );
        assert_eq!(retag(&v(&["vip"]), &v(&["VIP"]), &[]), None);
        assert_eq!(retag(&[], &[], &v(&["x"])), None);
        assert_eq!(retag(&[], &v(&["a"]), &[]), Some(v(&["a"])));
    }

    #[test]
    fn a_tag_action_needs_a_tag_and_no_contradiction() {
        assert!(tag_lists(&v(&[" "]), &[]).is_err());
        assert!(tag_lists(&v(&["VIP"]), &v(&["vip"])).is_err());
        assert_eq!(
            tag_lists(&v(&[" VIP "]), &[]).expect("ok"),
            (v(&["VIP"]), vec![])
        );
    }

    #[test]
    fn a_selection_is_deduplicated_and_bounded() {
        let a = uuid::Uuid::now_v7();
        assert_eq!(selection(&[a, a]).expect("one"), vec![a]);
        assert!(selection(&[]).is_err());
        let many: Vec<_> = (0..=MAX_SELECTION).map(|_| uuid::Uuid::now_v7()).collect();
        assert!(selection(&many).is_err());
    }
}
