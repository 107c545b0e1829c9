//! `tresor purpose|consent|settings|mailing|legal-basis|register`: thin
//! wrappers over the core's consent, mail and register operations.

use std::io::Read as _;
use std::path::Path;

use serde_json::json;
use tresor_core::model::categories::{Category, Lang};
use tresor_core::model::consent::{
    ConsentEntry, ConsentInput, LegalBasis, LegalBasisView, Purpose,
};
use tresor_core::model::mail::{SmtpSettings, TlsMode};
use tresor_core::render::ExportFormat;
use tresor_core::vault::write_atomic;

use crate::args::{
    ConsentCmd, LegalBasisCmd, MailingCmd, PurposeCmd, PurposeFields, RegisterCmd, SettingsCmd,
};
use crate::print::{Out, outln};
use crate::{Failure, Res, open, secrets};

fn basis(s: &str) -> Res<LegalBasis> {
    LegalBasis::parse(s).ok_or_else(|| {
        Failure::Usage(format!(
            "--basis '{s}': use a letter of Art. 6(1), a to f (e.g. a for consent, b for contract, f for legitimate interests)"
        ))
    })
}

fn yes_no(s: &str) -> Res<bool> {
    match s.trim() {
        "yes" | "true" | "ja" => Ok(true),
        "no" | "false" | "nein" => Ok(false),
        other => Err(Failure::Usage(format!("'{other}': use yes or no"))),
    }
}

fn categories(names: &[String]) -> Res<Vec<Category>> {
    names
        .iter()
        .map(|n| {
            Category::parse(n.trim()).ok_or_else(|| {
                let all: Vec<&str> = Category::personal().map(Category::as_str).collect();
                Failure::Usage(format!("unknown category '{n}': use {}", all.join(", ")))
            })
        })
        .collect()
}

fn apply_fields(p: &mut Purpose, f: &PurposeFields) -> Res<()> {
    if let Some(v) = &f.name_de {
        p.name_de.clone_from(v);
    }
    if let Some(v) = &f.name_en {
        p.name_en.clone_from(v);
    }
    if let Some(v) = &f.description {
        p.description.clone_from(v);
    }
    if let Some(v) = &f.description_en {
        p.description_en.clone_from(v);
    }
    if let Some(v) = &f.basis {
        p.basis = basis(v)?;
    }
    if !f.categories.is_empty() {
        p.categories = categories(&f.categories)?;
    }
    if !f.recipients.is_empty() {
        p.recipients.clone_from(&f.recipients);
    }
    if let Some(v) = &f.consent_required {
        p.consent_required = yes_no(v)?;
    }
    if let Some(m) = f.validity_months {
        p.validity_months = (m > 0).then_some(m);
    }
    Ok(())
}

fn print_purpose(out: &Out, p: &Purpose) {
    if out.json {
        outln!("{}", json!(p));
        return;
    }
    let cats: Vec<&str> = p.categories.iter().map(|c| c.as_str()).collect();
    outln!("{} — {} / {}", p.key, p.name_de, p.name_en);
    outln!("  basis:      {}", p.basis.label(Lang::En));
    outln!(
        "  consent:    {}",
        if p.consent_required {
            "required"
        } else {
            "not required"
        }
    );
    if let Some(m) = p.validity_months {
        outln!("  valid for:  {m} months");
    }
    outln!("  categories: {}", cats.join(", "));
    outln!("  recipients: {}", p.recipients.join(", "));
    outln!("  {}", p.description);
    if !p.description_en.is_empty() {
        outln!("  {}", p.description_en);
    }
}

fn entry_line(e: &ConsentEntry) -> String {
    let mut s = format!(
        "{}  {:<12} {:<6} {:<10} {:<14} by {:<10} source {}",
        e.at.format("%Y-%m-%d %H:%M"),
        e.purpose,
        e.channel.as_str(),
        format!("{:?}", e.state).to_lowercase(),
        format!("Art.6(1)({})", e.basis.letter()),
        e.by,
        e.source
    );
    if let Some(ev) = &e.evidence {
        s.push_str(&format!("\n    evidence: {}", ev.replace('\n', " / ")));
    }
    if let Some(f) = &e.evidence_file {
        s.push_str(&format!(
            "\n    file: {} ({} bytes, sha256 {})",
            f.name, f.size, f.sha256
        ));
    }
    if let Some(r) = &e.reason {
        s.push_str(&format!("\n    reason: {r}"));
    }
    s
}

fn print_view(out: &Out, v: &LegalBasisView) {
    if out.json {
        outln!("{}", json!(v));
        return;
    }
    outln!("{} ({})", v.display, v.person);
    for p in &v.purposes {
        outln!(
            "\n{} — {}; consent {}; {}",
            p.purpose.name_en,
            p.purpose.basis.label(Lang::En),
            if p.purpose.consent_required {
                "required"
            } else {
                "not required"
            },
            if p.lawful { "LAWFUL" } else { "NO BASIS" }
        );
        for c in &p.channels {
            let until = c
                .expires
                .map(|x| format!(", valid until {}", x.format("%Y-%m-%d")))
                .unwrap_or_default();
            outln!(
                "  {:<6} {}{} (since {}, {}, by {})",
                c.channel.as_str(),
                c.state.label(Lang::En),
                until,
                c.entry.at.format("%Y-%m-%d"),
                c.entry.source,
                c.entry.by
            );
        }
    }
    if v.unjustified.is_empty() {
        outln!("\nNecessity: every field in use is covered by a purpose.");
    } else {
        outln!("\nNecessity: these fields have no purpose that applies:");
        for f in &v.unjustified {
            outln!("  {} ({})", f.field, f.category.as_str());
        }
    }
    for d in &v.disclosures {
        outln!(
            "Disclosed: {} by {} on {} (a file of {}: {})",
            d.what(Lang::En),
            d.by,
            d.at.format("%Y-%m-%d"),
            d.count,
            d.file
        );
    }
}

pub(crate) fn parse_at(s: &str) -> Res<chrono::DateTime<chrono::Utc>> {
    tresor_core::model::contacts::parse_time(s)
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(12, 0, 0))
                .map(|n| n.and_utc())
        })
        .ok_or_else(|| Failure::Usage(format!("--at '{s}': use YYYY-MM-DD or an RFC 3339 time")))
}

/// `tresor purpose …`
pub fn purpose(cli: &crate::args::Cli, out: &Out, cmd: &PurposeCmd) -> Res<()> {
    match cmd {
        PurposeCmd::List => {
            let s = open(cli)?;
            let list = s.purposes()?;
            if out.json {
                outln!("{}", json!(list));
            } else {
                for p in &list {
                    outln!(
                        "{:<16} {:<28} Art.6(1)({}) {}",
                        p.key,
                        p.name_en,
                        p.basis.letter(),
                        if p.consent_required {
                            "consent required"
                        } else {
                            ""
                        }
                    );
                }
            }
        }
        PurposeCmd::Show { key } => {
            let s = open(cli)?;
            print_purpose(out, &s.purpose(key)?);
        }
        PurposeCmd::Add { key, fields } => {
            let name_en = fields.name_en.clone().or_else(|| fields.name_de.clone());
            let mut p = Purpose {
                key: key.trim().to_lowercase(),
                name_de: fields
                    .name_de
                    .clone()
                    .or_else(|| name_en.clone())
                    .unwrap_or_default(),
                name_en: name_en.unwrap_or_default(),
                description: String::new(),
                description_en: String::new(),
                basis: LegalBasis::LegitimateInterests,
                categories: Vec::new(),
                recipients: Vec::new(),
                consent_required: false,
                validity_months: None,
            };
            apply_fields(&mut p, fields)?;
            if fields.basis.is_none() {
                return Err(Failure::Usage(
                    "--basis is needed for a new purpose (a–f)".into(),
                ));
            }
            let mut s = open(cli)?;
            s.save_purpose(&p, true)?;
            out.done(&format!("Added purpose {}.", p.key));
        }
        PurposeCmd::Edit { key, fields } => {
            let mut s = open(cli)?;
            let mut p = s.purpose(key)?;
            apply_fields(&mut p, fields)?;
            s.save_purpose(&p, false)?;
            out.done(&format!("Saved purpose {}.", p.key));
        }
    }
    Ok(())
}

/// `tresor consent …`
pub fn consent(cli: &crate::args::Cli, out: &Out, cmd: &ConsentCmd) -> Res<()> {
    match cmd {
        ConsentCmd::Give {
            contact,
            purpose,
            channel,
            source,
            evidence,
            evidence_file,
            basis: b,
            at,
        } => {
            let file = evidence_file
                .as_deref()
                .map(|f| {
                    let bytes = std::fs::read(f).map_err(|e| {
                        Failure::Other(anyhow::anyhow!("cannot read {}: {e}", f.display()))
                    })?;
                    let name = f
                        .file_name()
                        .map_or_else(|| "evidence".into(), |n| n.to_string_lossy().into_owned());
                    Ok::<_, Failure>((name, bytes))
                })
                .transpose()?;
            let input = ConsentInput {
                purpose: purpose.clone(),
                channel: *channel,
                source: source.clone(),
                evidence: evidence.clone(),
                basis: b.as_deref().map(basis).transpose()?,
                at: at.as_deref().map(parse_at).transpose()?,
            };
            let mut s = open(cli)?;
            let e = s.give_consent(
                *contact,
                &input,
                file.as_ref().map(|(n, b)| (n.as_str(), b.as_slice())),
            )?;
            out.id(e.id);
        }
        ConsentCmd::Withdraw {
            contact,
            purpose,
            channel,
            reason,
        } => {
            let mut s = open(cli)?;
            let e = s.withdraw_consent(*contact, purpose, *channel, reason.as_deref())?;
            out.id(e.id);
        }
        ConsentCmd::Show { contact } => {
            let s = open(cli)?;
            print_view(out, &s.legal_basis(*contact)?);
        }
        ConsentCmd::History { contact } => {
            let s = open(cli)?;
            let h = s.consent_history(*contact)?;
            if out.json {
                outln!("{}", json!(h));
            } else if h.is_empty() {
                outln!("No consent recorded.");
            } else {
                for e in &h {
                    outln!("{}", entry_line(e));
                }
            }
        }
        ConsentCmd::Request {
            contact,
            purpose,
            lang: l,
        } => {
            let mut s = open(cli)?;
            let e = s.request_consent(*contact, purpose, *l)?;
            if out.json {
                outln!("{}", json!({ "id": e.id, "state": "pending" }));
            } else {
                outln!(
                    "Confirmation mail sent; consent for {} is pending until the code comes back.",
                    e.purpose
                );
            }
        }
        ConsentCmd::Confirm { token } => {
            let text = if token == "-" {
                let mut t = String::new();
                std::io::stdin()
                    .take(1_000_000)
                    .read_to_string(&mut t)
                    .map_err(|e| Failure::Other(anyhow::anyhow!("cannot read stdin: {e}")))?;
                t
            } else {
                token.clone()
            };
            let mut s = open(cli)?;
            let e = s.confirm_opt_in(&text)?;
            if out.json {
                outln!("{}", json!(e));
            } else {
                outln!(
                    "Confirmed: {} by {} for person {}.",
                    e.purpose,
                    e.channel.as_str(),
                    e.person
                );
            }
        }
        ConsentCmd::Reconsent { within } => {
            let s = open(cli)?;
            let items = s.reconsent_list(*within)?;
            if out.json {
                outln!("{}", json!(items));
            } else if items.is_empty() {
                outln!("Nobody needs to be asked again within {within} days.");
            } else {
                for i in &items {
                    outln!(
                        "{}  {:<30} {:<12} {:<6} {}",
                        i.person,
                        i.display,
                        i.purpose,
                        i.channel.as_str(),
                        if i.expired {
                            format!("expired {}", i.expires.format("%Y-%m-%d"))
                        } else {
                            format!("expires {}", i.expires.format("%Y-%m-%d"))
                        }
                    );
                }
            }
        }
        ConsentCmd::Sources { set } => {
            let mut s = open(cli)?;
            if !set.is_empty() {
                let list: Vec<String> = set
                    .iter()
                    .flat_map(|x| x.split(','))
                    .map(str::to_owned)
                    .collect();
                s.set_consent_sources(&list)?;
            }
            let list = s.consent_sources()?;
            if out.json {
                outln!("{}", json!(list));
            } else {
                outln!("{}", list.join("\n"));
            }
        }
        ConsentCmd::Evidence { entry, out: path } => {
            let s = open(cli)?;
            let (name, bytes) = s.evidence_file(*entry)?;
            write_atomic(path, &bytes)?;
            out.done(&format!("Wrote {name} to {}.", path.display()));
        }
    }
    Ok(())
}

/// `tresor settings …`
pub fn settings(cli: &crate::args::Cli, out: &Out, cmd: &SettingsCmd) -> Res<()> {
    let SettingsCmd::Smtp {
        host,
        port,
        tls,
        from,
        smtp_user,
        password_file,
    } = cmd;
    let mut s = open(cli)?;
    if host.is_none()
        && port.is_none()
        && tls.is_none()
        && from.is_none()
        && smtp_user.is_none()
        && password_file.is_none()
    {
        let current = s.smtp_settings()?;
        if out.json {
            outln!("{}", json!(current));
        } else {
            match current {
                Some(c) => outln!(
                    "{}:{} ({:?}), from {}, user {}, password {}",
                    c.host,
                    c.port,
                    c.tls,
                    c.from,
                    c.user.as_deref().unwrap_or("—"),
                    if c.has_password { "stored" } else { "none" }
                ),
                None => outln!("No mail server set."),
            }
        }
        return Ok(());
    }
    let current = s.smtp_settings()?;
    let tls = match tls {
        Some(t) => TlsMode::parse(t)
            .ok_or_else(|| Failure::Usage(format!("--tls '{t}': use none, starttls or tls")))?,
        None => current.as_ref().map_or(TlsMode::Starttls, |c| c.tls),
    };
    let settings = SmtpSettings {
        host: host
            .clone()
            .or_else(|| current.as_ref().map(|c| c.host.clone()))
            .ok_or_else(|| Failure::Usage("--host is needed".into()))?,
        port: port
            .or_else(|| current.as_ref().map(|c| c.port))
            .unwrap_or(match tls {
                TlsMode::None => 25,
                TlsMode::Starttls => 587,
                TlsMode::Tls => 465,
            }),
        tls,
        from: from
            .clone()
            .or_else(|| current.as_ref().map(|c| c.from.clone()))
            .ok_or_else(|| Failure::Usage("--from is needed".into()))?,
        user: smtp_user
            .clone()
            .or_else(|| current.as_ref().and_then(|c| c.user.clone())),
        has_password: false,
    };
    let password = password_file
        .as_deref()
        .map(secrets::read_file)
        .transpose()?;
    s.set_smtp(&settings, password.as_deref().map(|p| p.as_slice()))?;
    out.done("Mail server saved.");
    Ok(())
}

fn write_file(out: &Out, path: &Path, bytes: &[u8], what: &str) -> Res<()> {
    write_atomic(path, bytes)?;
    out.done(&format!("Wrote {what} to {}.", path.display()));
    Ok(())
}

/// `tresor mailing export`
pub fn mailing(cli: &crate::args::Cli, out: &Out, cmd: &MailingCmd) -> Res<()> {
    let MailingCmd::Export {
        purpose,
        channel,
        out: path,
    } = cmd;
    let mut s = open(cli)?;
    let export = s.mailing_export(purpose, *channel, path)?;
    if out.json {
        outln!(
            "{}",
            json!({ "count": export.rows.len(), "disclosure": export.disclosure.id, "file": path })
        );
    } else {
        let n = export.rows.len();
        outln!(
            "Wrote {n} {} to {}; the export is recorded as a disclosure.",
            if n == 1 { "person" } else { "people" },
            path.display()
        );
    }
    Ok(())
}

/// `tresor legal-basis export`
pub fn legal_basis(cli: &crate::args::Cli, out: &Out, cmd: &LegalBasisCmd) -> Res<()> {
    let LegalBasisCmd::Export {
        contact,
        out: path,
        lang: l,
    } = cmd;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let format = match ExportFormat::parse(&ext) {
        Some(f @ (ExportFormat::Xlsx | ExportFormat::Csv)) => f,
        _ => return Err(Failure::Usage("--out must end in .xlsx or .csv".into())),
    };
    let s = open(cli)?;
    let bytes = s.legal_basis_file(*contact, format, *l)?;
    write_file(out, path, &bytes, "the legal-basis view")
}

/// `tresor register …`
pub fn register(cli: &crate::args::Cli, out: &Out, cmd: &RegisterCmd) -> Res<()> {
    match cmd {
        RegisterCmd::Versions => {
            let s = open(cli)?;
            let v = s.register_versions()?;
            if out.json {
                outln!("{}", json!(v));
            } else {
                for r in &v {
                    outln!(
                        "{:>3}  {}  {}",
                        r.version,
                        r.created.format("%Y-%m-%d %H:%M"),
                        r.created_by
                    );
                }
            }
            Ok(())
        }
        RegisterCmd::Export {
            format,
            lang: l,
            version,
            out: path,
        } => {
            let format = match ExportFormat::parse(format) {
                Some(f @ (ExportFormat::Xlsx | ExportFormat::Html)) => f,
                _ => {
                    return Err(Failure::Usage(format!(
                        "--format '{format}': use xlsx or html"
                    )));
                }
            };
            let s = open(cli)?;
            let (version, bytes) = s.register_file(*version, format, *l)?;
            write_file(out, path, &bytes, &format!("register version {version}"))
        }
    }
}
