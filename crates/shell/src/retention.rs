//! Commands for retention rules, the preview, the sweep and its log, legal
//! holds, single-field erasure and rectification. Each calls one core
//! operation. The sweep also runs by itself: at unlock (see
//! [`crate::commands::unlock`]) and once a day while the app is open
//! ([`daily_sweep`]).

use std::time::Duration;

use tresor_core::model::categories::Lang;
use tresor_core::model::contacts::{FieldChange, RecordId};
use tresor_core::model::retention::RuleChange;
use tresor_core::model::retention::{
    DeletionLogEntry, DueItem, HeldPerson, Hold, RetentionRule, RuleKey, SweepReport,
};
use tresor_core::model::rights::Rectification;
use tresor_core::session::erasure::FieldErasureReport;

use crate::commands::{AppState, Res, with_session};
use crate::dto::{IpcCode, IpcError};

/// The rules in force.
pub fn retention_rules(state: &AppState) -> Res<Vec<RetentionRule>> {
    with_session(state, |s| s.retention_rules())
}

/// Changes a rule.
pub fn set_retention_rule(
    state: &AppState,
    key: RuleKey,
    change: RuleChange,
) -> Res<RetentionRule> {
    with_session(state, |s| s.set_retention_rule(key, &change))
}

/// What falls due in the next `days` days, and why.
pub fn retention_preview(state: &AppState, days: u32, lang: Lang) -> Res<Vec<DueItem>> {
    with_session(state, |s| s.retention_preview_days(days, lang))
}

/// Runs the sweep now.
pub fn run_retention(state: &AppState) -> Res<SweepReport> {
    with_session(state, |s| s.run_retention())
}

/// The deletion log, newest first.
pub fn deletion_log(state: &AppState) -> Res<Vec<DeletionLogEntry>> {
    with_session(state, |s| s.deletion_log())
}

/// Everyone under a legal hold.
pub fn legal_holds(state: &AppState) -> Res<Vec<HeldPerson>> {
    with_session(state, |s| s.legal_holds())
}

/// A person's legal hold, if any.
pub fn contact_hold(state: &AppState, id: RecordId) -> Res<Option<Hold>> {
    with_session(state, |s| s.hold_of(id))
}

/// Puts a person under a legal hold.
pub fn add_hold(state: &AppState, id: RecordId, reason: String) -> Res<Hold> {
    with_session(state, |s| s.add_hold(id, &reason))
}

/// Lifts a legal hold.
pub fn remove_hold(state: &AppState, id: RecordId) -> Res<()> {
    with_session(state, |s| s.remove_hold(id))
}

/// Erases single fields of a person for an erasure request.
pub fn erase_fields(
    state: &AppState,
    id: RecordId,
    fields: Vec<String>,
    request: String,
    suppress: bool,
) -> Res<FieldErasureReport> {
    with_session(state, |s| s.erase_fields(id, &fields, &request, suppress))
}

/// Corrects fields with a recorded reason (Art. 16).
pub fn rectify_contact(
    state: &AppState,
    id: RecordId,
    changes: Vec<FieldChange>,
    reason: String,
    request: Option<String>,
) -> Res<Rectification> {
    with_session(state, |s| {
        let inputs: Vec<_> = changes
            .iter()
            .map(|c| c.to_input(tresor_core::model::categories::RecordKind::Person))
            .collect();
        s.rectify(
            id,
            &inputs,
            &reason,
            request.as_deref().filter(|r| !r.is_empty()),
        )
    })
}

/// A person's corrections, oldest first.
pub fn contact_rectifications(state: &AppState, id: RecordId) -> Res<Vec<Rectification>> {
    with_session(state, |s| s.rectifications(id))
}

/// One run of the daily sweep, as the app runs it every [`DAILY_CHECK`]
/// while it is open (the core sweeps only when a day has passed). A locked
/// vault is skipped; a failure is reported on stderr.
pub fn daily_sweep(state: &AppState) {
    let result = with_session(state, |s| s.daily_sweep());
    if let Err(IpcError { code, .. }) = result
        && code != IpcCode::Locked
    {
        eprintln!("tresor: the daily retention sweep failed ({code})");
    }
}

/// How often the app checks whether a day has passed since the last
/// sweep: every hour, so a laptop that slept catches up soon.
pub const DAILY_CHECK: Duration = Duration::from_secs(3600);
