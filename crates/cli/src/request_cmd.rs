//! `tresor request …`: data-subject requests and their deadlines.

use serde_json::json;
use tresor_core::model::requests::{DsRequest, NewRequest, RequestKind, RequestStatus};

use crate::args::{Cli, RequestCmd};
use crate::print::{Out, outln};
use crate::{Failure, Res, open};

fn print_request(out: &Out, r: &DsRequest, today: chrono::NaiveDate) {
    if out.json {
        outln!(
            "{}",
            json!({ "request": r, "overdue": r.overdue(today), "due_soon": r.due_soon(today) })
        );
        return;
    }
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
        if r.overdue(today) { "  OVERDUE" } else { "" },
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
    let today = chrono::Utc::now().date_naive();
    match cmd {
        RequestCmd::Open {
            kind,
            contact,
            received,
            identity_check,
        } => {
            let kind = RequestKind::parse(kind).ok_or_else(|| {
                Failure::Usage(format!(
                    "--kind '{kind}': use access, rectification, erasure, restriction, objection or portability"
                ))
            })?;
            let received = chrono::NaiveDate::parse_from_str(received.trim(), "%Y-%m-%d")
                .map_err(|_| Failure::Usage(format!("--received '{received}': use YYYY-MM-DD")))?;
            let mut s = open(cli)?;
            let r = s.open_request(&NewRequest {
                kind,
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
            let list: Vec<DsRequest> = s
                .requests()?
                .into_iter()
                .filter(|r| !overdue || r.overdue(today))
                .collect();
            if out.json {
                outln!("{}", json!(list));
            } else if list.is_empty() {
                outln!("No requests.");
            } else {
                for r in &list {
                    let state = if r.status == RequestStatus::Closed {
                        "closed"
                    } else if r.overdue(today) {
                        "OVERDUE"
                    } else if r.due_soon(today) {
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
            print_request(out, &s.request(reference)?, today);
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
