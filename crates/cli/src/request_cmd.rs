//! `tresor request …`: data-subject requests and their deadlines.

use serde_json::json;
use tresor_core::model::requests::{NewRequest, RequestRow, RequestStatus};

use crate::args::{Cli, RequestCmd};
use crate::print::{Out, outln};
use crate::{Failure, Res, open};

fn print_request(out: &Out, row: &RequestRow) {
    if out.json {
        outln!("{}", json!(row));
        return;
    }
    let r = &row.request;
    outln!("{}  {}", r.reference, r.kind.as_str());
    outln!(
        "  person:     {}",
        r.person
            .map_or_else(|| "not found".to_owned(), |p| p.to_string())
    );
    outln!("  received:   {}", r.received);
    outln!(
        "  deadline:   {}{}{}",
        r.deadline,
        if row.overdue { "  OVERDUE" } else { "" },
        r.extension_reason
            .as_deref()
            .map(|x| format!(" (extended: {x})"))
            .unwrap_or_default()
    );
    if let Some(i) = &r.identity_check {
        outln!("  identity:   {i}");
    }
    outln!(
        "  status:     {}",
        match r.status {
            RequestStatus::Open => "open".to_owned(),
            RequestStatus::Closed => format!(
                "closed {}",
                r.closed
                    .map(|c| c.format("%Y-%m-%d").to_string())
                    .unwrap_or_default()
            ),
        }
    );
    outln!("  handled by: {}", r.handled_by);
    if let Some(o) = &r.outcome {
        outln!("  outcome:    {o}");
    }
}

/// `tresor request …`
pub fn request(cli: &Cli, out: &Out, cmd: &RequestCmd) -> Res<()> {
    match cmd {
        RequestCmd::Open {
            kind,
            contact,
            received,
            identity_check,
        } => {
            let received = chrono::NaiveDate::parse_from_str(received.trim(), "%Y-%m-%d")
                .map_err(|_| Failure::Usage(format!("--received '{received}': use YYYY-MM-DD")))?;
            let mut s = open(cli)?;
            let r = s.open_request(&NewRequest {
                kind: *kind,
                person: *contact,
                received,
                identity_check: identity_check.clone(),
            })?;
            if out.json {
                outln!("{}", json!(r));
            } else {
                outln!("{}", r.reference);
                out.note(&format!("Answer due by {}.", r.deadline));
            }
        }
        RequestCmd::List { overdue } => {
            let s = open(cli)?;
            let list: Vec<RequestRow> = s
                .request_rows()?
                .into_iter()
                .filter(|r| !overdue || r.overdue)
                .collect();
            if out.json {
                outln!("{}", json!(list));
            } else if list.is_empty() {
                outln!("No requests.");
            } else {
                for row in &list {
                    let r = &row.request;
                    let state = if r.status == RequestStatus::Closed {
                        "closed"
                    } else if row.overdue {
                        "OVERDUE"
                    } else if row.due_soon {
                        "due this week"
                    } else {
                        "open"
                    };
                    outln!(
                        "{}  {:<13} received {}  due {}  {}",
                        r.reference,
                        r.kind.as_str(),
                        r.received,
                        r.deadline,
                        state
                    );
                }
            }
        }
        RequestCmd::Show { reference } => {
            let s = open(cli)?;
            print_request(out, &s.request_row(reference)?);
        }
        RequestCmd::Extend { reference, reason } => {
            let mut s = open(cli)?;
            let r = s.extend_request(reference, reason)?;
            out.done(&format!("{} is now due by {}.", r.reference, r.deadline));
        }
        RequestCmd::Close { reference, outcome } => {
            let mut s = open(cli)?;
            let r = s.close_request(reference, outcome.as_deref())?;
            out.done(&format!("{} closed.", r.reference));
        }
    }
    Ok(())
}
