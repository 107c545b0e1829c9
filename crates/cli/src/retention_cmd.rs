//! `tresor retention …` and `tresor hold …`.

use serde_json::json;
use tresor_core::model::categories::Lang;
use tresor_core::model::retention::RuleChange;
use tresor_core::model::retention::{RetentionAction, RetentionEvent, SweepReport};

use crate::args::{Cli, HoldCmd, RetentionCmd};
use crate::print::{Out, outln};
use crate::{Failure, Res, open, open_sweeping};

fn print_sweep(out: &Out, r: &SweepReport) {
    if out.json {
        outln!("{}", json!(r));
        return;
    }
    if r.entries.is_empty() {
        outln!("Nothing was due.");
    }
    for e in &r.entries {
        let counts: Vec<String> = e.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
        outln!(
            "{}: {} {}",
            e.rule,
            e.action
                .as_str()
                .replace("delete", "deleted")
                .replace("anonymise", "anonymised"),
            counts.join(", ")
        );
    }
    if r.held > 0 {
        outln!("{} due items left alone because of a legal hold.", r.held);
    }
}

/// `tresor retention …`
pub fn retention(cli: &Cli, out: &Out, cmd: &RetentionCmd) -> Res<()> {
    match cmd {
        RetentionCmd::Rules => {
            let s = open(cli)?;
            let rules = s.retention_rules()?;
            if out.json {
                outln!("{}", json!(rules));
                return Ok(());
            }
            for r in rules {
                outln!(
                    "{:<17} {:<5} from {}{}  {}{}",
                    r.key.as_str(),
                    r.period,
                    r.from.as_str(),
                    if r.year_end { " (year end)" } else { "" },
                    r.action.as_str(),
                    r.law
                        .as_deref()
                        .map(|l| format!("  [{l}]"))
                        .unwrap_or_default()
                );
                outln!("  {}", r.reason(Lang::En));
                if let (Some(by), Some(at)) = (&r.changed_by, r.changed_at) {
                    outln!("  changed by {by} on {}", at.format("%Y-%m-%d"));
                }
            }
        }
        RetentionCmd::Set {
            category,
            period,
            from,
            action,
            law,
        } => {
            let key = *category;
            let from = from
                .as_deref()
                .map(|f| {
                    RetentionEvent::parse(f).ok_or_else(|| {
                        Failure::Usage(format!(
                            "--from '{f}': use last-contact, contract-end, consent-withdrawal, creation or relationship-end"
                        ))
                    })
                })
                .transpose()?;
            let action = action
                .as_deref()
                .map(|a| {
                    RetentionAction::parse(a).ok_or_else(|| {
                        Failure::Usage(format!("--action '{a}': use delete or anonymise"))
                    })
                })
                .transpose()?;
            if period.is_none() && from.is_none() && action.is_none() && law.is_none() {
                return Err(Failure::Usage(
                    "say what to change: --period, --from, --action or --law".into(),
                ));
            }
            let mut s = open(cli)?;
            let r = s.set_retention_rule(
                key,
                &RuleChange {
                    period: period.clone(),
                    from,
                    action,
                    law: law.clone(),
                },
            )?;
            out.done(&format!(
                "Rule {} now: {} from {}, {}; due dates computed again.",
                r.key.as_str(),
                r.period,
                r.from.as_str(),
                r.action.as_str()
            ));
        }
        RetentionCmd::Preview { as_of } => {
            let s = open(cli)?;
            let as_of = match as_of {
                Some(d) => chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                    .map_err(|_| Failure::Usage(format!("--as-of '{d}': use YYYY-MM-DD")))?,
                None => s.preview_until(30),
            };
            let items = s.retention_preview(as_of, Lang::En)?;
            if out.json {
                outln!("{}", json!(items));
                return Ok(());
            }
            if items.is_empty() {
                outln!("Nothing falls due up to {as_of}.");
            }
            for i in items {
                outln!(
                    "{}  {:<11} {:<17} {} {}{}",
                    i.due,
                    i.kind.as_str(),
                    i.rule,
                    i.record,
                    i.display,
                    if i.held { "  HELD" } else { "" }
                );
                outln!("  {}: {}", i.action.as_str(), i.reason);
            }
        }
        RetentionCmd::Run => {
            // The command is the sweep: its report says what it removed.
            let mut s = open_sweeping(cli, false)?;
            let r = s.run_retention()?;
            print_sweep(out, &r);
        }
        RetentionCmd::Log => {
            let s = open(cli)?;
            let log = s.deletion_log()?;
            if out.json {
                outln!("{}", json!(log));
                return Ok(());
            }
            if log.is_empty() {
                outln!("Nothing has been deleted by a retention rule yet.");
            }
            for e in log {
                let counts: Vec<String> =
                    e.counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
                outln!(
                    "{}  {:<17} {:<9} {}  (by {})",
                    e.at.format("%Y-%m-%d %H:%M"),
                    e.rule,
                    e.action.as_str(),
                    counts.join(", "),
                    e.by
                );
            }
        }
    }
    Ok(())
}

/// `tresor hold …`
pub fn hold(cli: &Cli, out: &Out, cmd: &HoldCmd) -> Res<()> {
    match cmd {
        HoldCmd::Add { contact, reason } => {
            let mut s = open(cli)?;
            s.add_hold(*contact, reason)?;
            out.done("Legal hold set: nothing of this person is deleted until it is lifted.");
        }
        HoldCmd::Remove { contact } => {
            let mut s = open(cli)?;
            s.remove_hold(*contact)?;
            out.done("Legal hold lifted.");
        }
        HoldCmd::List => {
            let s = open(cli)?;
            let holds = s.legal_holds()?;
            if out.json {
                outln!("{}", json!(holds));
                return Ok(());
            }
            if holds.is_empty() {
                outln!("No legal holds.");
            }
            for h in holds {
                outln!(
                    "{} {}  since {} by {}: {}",
                    h.person,
                    h.display,
                    h.hold.at.format("%Y-%m-%d"),
                    h.hold.by,
                    h.hold.reason
                );
            }
        }
    }
    Ok(())
}
