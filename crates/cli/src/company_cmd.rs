//! `tresor company …`: companies, their people, merging and deleting.

use serde_json::json;
use tresor_core::model::companies::{CompanyDeletion, CompanyView};
use tresor_core::model::contacts::FieldInput;

use crate::args::{Cli, CompanyCmd, CompanyFields};
use crate::print::{Out, outln};
use crate::{Failure, Res, open};

fn inputs(name: Option<&String>, f: &CompanyFields, clear: &[String]) -> Vec<(String, FieldInput)> {
    let mut out = Vec::new();
    let mut text = |field: &str, v: Option<&String>| {
        if let Some(v) = v {
            out.push((field.to_owned(), FieldInput::Text(v.clone())));
        }
    };
    text("name", name);
    text("website", f.website.as_ref());
    text("note", f.note.as_ref());
    for (field, list) in [("phones", &f.phone), ("addresses", &f.address)] {
        if !list.is_empty() {
            out.push((field.to_owned(), FieldInput::List(list.clone())));
        }
    }
    for c in clear {
        out.push((c.clone(), FieldInput::Clear));
    }
    out
}

fn print_company(out: &Out, c: &CompanyView) {
    if out.json {
        outln!("{}", serde_json::to_string_pretty(c).unwrap_or_default());
        return;
    }
    out.contact(&c.contact);
    if let Some(p) = &c.sole_trader {
        outln!(
            "\n  Sole trader: {}  ({}): the company's data is theirs.",
            p.display,
            p.person
        );
    }
    outln!("\n  People ({})", c.people.len());
    for p in &c.people {
        outln!(
            "    {:<32} {:<24} since {}{}  ({})",
            p.display,
            p.role.as_deref().unwrap_or(""),
            p.since
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            if p.restricted { " [RESTRICTED]" } else { "" },
            p.person
        );
    }
    if !c.activity.is_empty() {
        outln!("\n  Latest interactions with its people");
        for a in &c.activity {
            outln!(
                "    {}  {:<8} {}: {}",
                a.interaction.at,
                a.interaction.kind,
                a.display,
                a.interaction.summary
            );
        }
    }
}

fn deletion_text(d: &CompanyDeletion) -> String {
    let mut s = format!(
        "Deleting {} removes it with its history on every laptop.",
        d.name
    );
    if d.people.is_empty() {
        s.push_str(" Nobody is linked to it.");
    } else {
        s.push_str(&format!(
            " {} linked {} stay{}, without the link: {}.",
            d.people.len(),
            if d.people.len() == 1 {
                "person"
            } else {
                "people"
            },
            if d.people.len() == 1 { "s" } else { "" },
            d.people.join(", ")
        ));
    }
    if d.followups > 0 {
        s.push_str(&format!(" Its {} follow-up(s) go with it.", d.followups));
    }
    if d.sole_trader {
        s.push_str(" It is a sole trader's company: its data is the person's and is erased.");
    }
    s
}

/// `tresor company …`
pub fn company(cli: &Cli, out: &Out, cmd: &CompanyCmd) -> Res<()> {
    match cmd {
        CompanyCmd::Add {
            name,
            fields,
            sole_trader,
        } => {
            let mut s = open(cli)?;
            let id = s.add_company(&inputs(Some(name), fields, &[]), *sole_trader)?;
            out.id(id);
        }
        CompanyCmd::Edit {
            id,
            name,
            fields,
            clear,
            sole_trader,
        } => {
            let changes = inputs(name.as_ref(), fields, clear);
            if changes.is_empty() && sole_trader.is_none() {
                return Err(Failure::Usage(
                    "name at least one field to change, e.g. --website".into(),
                ));
            }
            let mut s = open(cli)?;
            let mut id = *id;
            if !changes.is_empty() {
                s.edit(id, &changes)?;
            }
            if let Some(person) = sole_trader {
                id = s.make_sole_trader(id, *person)?;
                out.note("A sole trader's company: it has a new id.");
                out.id(id);
            } else {
                out.done("Saved.");
            }
        }
        CompanyCmd::List { offset, limit } => {
            let s = open(cli)?;
            out.rows(&s.list_companies(*offset, *limit)?);
        }
        CompanyCmd::Show { id } => {
            let s = open(cli)?;
            print_company(out, &s.company(*id)?);
        }
        CompanyCmd::Merge { keep, other } => {
            let mut s = open(cli)?;
            let m = s.merge_companies(*keep, *other)?;
            if out.json {
                outln!("{}", json!(m));
            } else {
                out.done(&format!(
                    "Merged: {} people and {} follow-ups moved{}; the other company is deleted.",
                    m.people,
                    m.followups,
                    if m.filled.is_empty() {
                        String::new()
                    } else {
                        format!(", filled: {}", m.filled.join(", "))
                    }
                ));
            }
        }
        CompanyCmd::Delete { id, yes } => {
            let mut s = open(cli)?;
            if !*yes {
                let d = s.company_deletion(*id)?;
                if out.json {
                    outln!("{}", json!(d));
                } else {
                    outln!("{}", deletion_text(&d));
                    outln!("Nothing is deleted yet: run it again with --yes.");
                }
                return Ok(());
            }
            let d = s.delete_company(*id)?;
            if out.json {
                outln!("{}", json!(d));
            } else {
                out.done(&format!("Deleted {}.", d.name));
            }
        }
    }
    Ok(())
}
