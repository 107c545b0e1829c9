//! Commands for follow-ups (Wiedervorlage). Each calls one core operation.

use tresor_core::model::contacts::RecordId;
use tresor_core::model::followups::{FollowUp, FollowUpFilter, FollowUpInput};

use crate::commands::{AppState, Res, with_session};

/// Follow-ups as the filter asks, by day.
pub fn list_followups(state: &AppState, filter: FollowUpFilter) -> Res<Vec<FollowUp>> {
    with_session(state, |s| s.followups(&filter))
}

/// How many open follow-ups are due today or overdue (the user's own, or
/// everyone's), for the navigation.
pub fn followups_due_count(state: &AppState, mine: bool) -> Res<u32> {
    with_session(state, |s| {
        s.followups_due_count(mine)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    })
}

/// Makes a follow-up.
pub fn add_followup(state: &AppState, contact: RecordId, followup: FollowUpInput) -> Res<RecordId> {
    with_session(state, |s| s.add_followup(contact, &followup))
}

/// Marks a follow-up done.
pub fn complete_followup(state: &AppState, id: RecordId) -> Res<FollowUp> {
    with_session(state, |s| s.complete_followup(id))
}

/// Opens a done follow-up again.
pub fn reopen_followup(state: &AppState, id: RecordId) -> Res<FollowUp> {
    with_session(state, |s| s.reopen_followup(id))
}

/// Puts a follow-up off to another day: `YYYY-MM-DD`, `today`,
/// `tomorrow` or `+N` days, counted by the core.
pub fn snooze_followup(
    state: &AppState,
    id: RecordId,
    until: String,
    time: Option<String>,
) -> Res<FollowUp> {
    with_session(state, |s| s.snooze_followup(id, &until, time.as_deref()))
}
