//! `tresor followup …`: follow-ups (Wiedervorlage).

use serde_json::json;
use tresor_core::model::followups::{FollowUp, FollowUpFilter, FollowUpState};

use crate::args::{Cli, FollowUpCmd};
use crate::print::{Out, outln};
use crate::{Res, open};

fn state_word(f: &FollowUp) -> &'static str {
    match f.state {
        FollowUpState::Upcoming => "open",
        FollowUpState::DueToday => "TODAY",
        FollowUpState::Overdue => "OVERDUE",
        FollowUpState::Done => "done",
    }
}

fn print_one(out: &Out, f: &FollowUp) {
    if out.json {
        outln!("{}", json!(f));
    } else {
        outln!(
            "{} {:<5}  {:<7}  {}{}: {}  (for {})  {}",
            f.due,
            f.time.as_deref().unwrap_or(""),
            state_word(f),
            f.display,
            if f.restricted { " [RESTRICTED]" } else { "" },
            f.what,
            f.assignee,
            f.id
        );
    }
}

/// `tresor followup …`
pub fn followup(cli: &Cli, out: &Out, cmd: &FollowUpCmd) -> Res<()> {
    match cmd {
        FollowUpCmd::Add { contact, followup } => {
            let mut s = open(cli)?;
            let id = s.add_followup(*contact, &followup.into())?;
            out.id(id);
        }
        FollowUpCmd::List {
            due,
            mine,
            assignee,
            all,
            contact,
        } => {
            let s = open(cli)?;
            let list = s.followups(&FollowUpFilter {
                due_only: *due,
                assignee: if *mine {
                    Some(s.user().to_owned())
                } else {
                    assignee.clone()
                },
                include_done: *all,
                subject: *contact,
            })?;
            if out.json {
                outln!("{}", json!(list));
            } else if list.is_empty() {
                outln!(
                    "{}",
                    if *due {
                        "Nothing due."
                    } else {
                        "No follow-ups."
                    }
                );
            } else {
                for f in &list {
                    print_one(out, f);
                }
            }
        }
        FollowUpCmd::Done { id } => {
            let mut s = open(cli)?;
            let f = s.complete_followup(*id)?;
            if out.json {
                print_one(out, &f);
            } else {
                out.done(&format!("Done: {} ({}).", f.what, f.display));
            }
        }
        FollowUpCmd::Reopen { id } => {
            let mut s = open(cli)?;
            let f = s.reopen_followup(*id)?;
            if out.json {
                print_one(out, &f);
            } else {
                out.done(&format!(
                    "Open again: {} ({}), due {}.",
                    f.what, f.display, f.due
                ));
            }
        }
        FollowUpCmd::Snooze { id, until, at } => {
            let mut s = open(cli)?;
            let f = s.snooze_followup(*id, until, at.as_deref())?;
            if out.json {
                print_one(out, &f);
            } else {
                out.done(&format!("{} ({}) is now due {}.", f.what, f.display, f.due));
            }
        }
    }
    Ok(())
}
