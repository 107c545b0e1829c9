//! Commands for retention rules, the preview, the sweep and its log, legal
//! holds, single-field erasure and rectification. Each calls one core
//! operation. The sweep also runs by itself: at unlock (see
//! [`crate::commands::unlock`]) and once a day while the app is open
//! ([`spawn_daily_sweep`]).

use std::time::Duration;

use tauri::{Manager, State};
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
#[tauri::command(async)]
pub fn retention_rules(state: State<'_, AppState>) -> Res<Vec<RetentionRule>> {
    with_session(&state, |s| s.retention_rules())
}

/// Changes a rule.
#[tauri::command(async)]
pub fn set_retention_rule(
    state: State<'_, AppState>,
    key: RuleKey,
    change: RuleChange,
) -> Res<RetentionRule> {
    with_session(&state, |s| s.set_retention_rule(key, &change))
}

/// What falls due in the next `days` days, and why.
#[tauri::command(async)]
pub fn retention_preview(state: State<'_, AppState>, days: u32, lang: Lang) -> Res<Vec<DueItem>> {
    with_session(&state, |s| s.retention_preview_days(days, lang))
}

/// Runs the sweep now.
#[tauri::command(async)]
pub fn run_retention(state: State<'_, AppState>) -> Res<SweepReport> {
    with_session(&state, |s| s.run_retention())
}

/// The deletion log, newest first.
#[tauri::command(async)]
pub fn deletion_log(state: State<'_, AppState>) -> Res<Vec<DeletionLogEntry>> {
    with_session(&state, |s| s.deletion_log())
}

/// Everyone under a legal hold.
#[tauri::command(async)]
pub fn legal_holds(state: State<'_, AppState>) -> Res<Vec<HeldPerson>> {
    with_session(&state, |s| s.legal_holds())
}

/// A person's legal hold, if any.
#[tauri::command(async)]
pub fn contact_hold(state: State<'_, AppState>, id: RecordId) -> Res<Option<Hold>> {
    with_session(&state, |s| s.hold_of(id))
}

/// Puts a person under a legal hold.
#[tauri::command(async)]
pub fn add_hold(state: State<'_, AppState>, id: RecordId, reason: String) -> Res<Hold> {
    with_session(&state, |s| s.add_hold(id, &reason))
}

/// Lifts a legal hold.
#[tauri::command(async)]
pub fn remove_hold(state: State<'_, AppState>, id: RecordId) -> Res<()> {
    with_session(&state, |s| s.remove_hold(id))
}

/// Erases single fields of a person for an erasure request.
#[tauri::command(async)]
pub fn erase_fields(
    state: State<'_, AppState>,
    id: RecordId,
    fields: Vec<String>,
    request: String,
) -> Res<FieldErasureReport> {
    with_session(&state, |s| s.erase_fields(id, &fields, &request))
}

/// Corrects fields with a recorded reason (Art. 16).
#[tauri::command(async)]
pub fn rectify_contact(
    state: State<'_, AppState>,
    id: RecordId,
    changes: Vec<FieldChange>,
    reason: String,
    request: Option<String>,
) -> Res<Rectification> {
    with_session(&state, |s| {
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
#[tauri::command(async)]
pub fn contact_rectifications(state: State<'_, AppState>, id: RecordId) -> Res<Vec<Rectification>> {
    with_session(&state, |s| s.rectifications(id))
}

/// Runs the sweep once a day while the app is open and a vault is
/// unlocked. Checks every hour, so a laptop that slept catches up soon.
pub fn spawn_daily_sweep(app: &tauri::AppHandle) {
    let app = app.clone();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
            let state = app.state::<AppState>();
            let result = with_session(&state, |s| s.daily_sweep());
            if let Err(IpcError { code, .. }) = result
                && code != IpcCode::Locked
            {
                eprintln!("tresor: the daily retention sweep failed ({code})");
            }
        }
    });
}
