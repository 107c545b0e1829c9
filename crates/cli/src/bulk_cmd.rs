//! `tresor bulk …`: one action on many people, each checked as if done
//! alone; the report says what changed, what already was so, and who was
//! left out and why.

use serde_json::json;
use tresor_core::Session;
use tresor_core::model::bulk::{BulkAction, BulkReport};
use tresor_core::model::contacts::RecordId;

use crate::args::{BulkCmd, Cli, Selection};
use crate::print::{Out, outln};
use crate::{Failure, Res, open};

/// The ids a selection names: given, or everyone a search finds.
fn people(s: &Session, selection: &Selection) -> Res<Vec<RecordId>> {
    match &selection.search {
        Some(q) => {
            let rows = s.search(q, 500)?;
            if rows.is_empty() {
                return Err(Failure::Usage(format!("the search '{q}' finds no one")));
            }
            Ok(rows.into_iter().map(|r| r.id).collect())
        }
        None => Ok(selection.ids.clone()),
    }
}

fn print(out: &Out, verb: &str, r: &BulkReport) {
    if out.json {
        outln!("{}", json!(r));
        return;
    }
    outln!(
        "{verb}: {}; already so: {}; skipped: {}.",
        r.done.len(),
        r.unchanged.len(),
        r.skipped.len()
    );
    for (id, reference) in r.done.iter().zip(&r.requests) {
        outln!("  {reference}  {id}");
    }
    for k in &r.skipped {
        outln!("  skipped {}: {}", k.id, k.message);
    }
}

/// `tresor bulk …`
pub fn bulk(cli: &Cli, out: &Out, cmd: &BulkCmd) -> Res<()> {
    let mut s = open(cli)?;
    let (selection, action, verb) = match cmd {
        BulkCmd::Tag {
            selection,
            add,
            remove,
        } => (
            selection,
            BulkAction::Tag {
                add: add.clone(),
                remove: remove.clone(),
            },
            "Changed",
        ),
        BulkCmd::Followup {
            selection,
            followup,
        } => (
            selection,
            BulkAction::FollowUp {
                followup: followup.into(),
            },
            "Follow-ups made",
        ),
        BulkCmd::Request {
            selection,
            kind,
            received,
            identity_check,
        } => (
            selection,
            BulkAction::Request {
                kind: *kind,
                received: chrono::NaiveDate::parse_from_str(received.trim(), "%Y-%m-%d").map_err(
                    |_| Failure::Usage(format!("--received '{received}': use YYYY-MM-DD")),
                )?,
                identity_check: identity_check.clone(),
            },
            "Requests opened",
        ),
    };
    let ids = people(&s, selection)?;
    let report = s.bulk(&ids, &action)?;
    print(out, verb, &report);
    Ok(())
}
