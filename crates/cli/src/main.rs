//! `tresor`: the command-line front door to `tresor-core`, for admins and
//! scripts. It parses arguments, reads passphrases, calls
//! `tresor_core::session` and prints; it decides nothing about permissions or
//! data. Exit codes: 0 success, 1 refused or failed, 2 usage error.

mod args;
mod backup_cmd;
mod bulk_cmd;
mod company_cmd;
mod consent_cmd;
mod followup_cmd;
mod import_cmd;
mod print;
mod request_cmd;
mod retention_cmd;
mod secrets;
mod sync_cmd;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser as _;
use tresor_core::clock::{Clock, SystemClock};
use tresor_core::crypto::KdfParams;
use tresor_core::keyring::RecoveryKey;
use tresor_core::model::contacts::{FieldInput, InteractionInput, PersonInput};
use tresor_core::session::Session;
use tresor_core::vault::{self, VaultDir};

use args::{Cli, Command, ContactCmd, DemoCmd, InteractionCmd, UserCmd};
use print::{Out, errln, outln};

/// A failure: the core's error (with its code) or a plain message.
enum Failure {
    Core(tresor_core::Error),
    Usage(String),
    Other(anyhow::Error),
}

impl From<tresor_core::Error> for Failure {
    fn from(e: tresor_core::Error) -> Self {
        Failure::Core(e)
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Other(e)
    }
}

type Res<T> = std::result::Result<T, Failure>;

fn main() -> ExitCode {
    // A panic message could quote record text; print only where it happened.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        errln!(
            "tresor: internal error at {at}; nothing was changed after this point. Please report it."
        );
    }));
    let cli = Cli::parse();
    let out = Out { json: cli.json };
    match run(&cli, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Core(e)) => {
            out.error(e.code().as_str(), &e.to_string());
            ExitCode::from(1)
        }
        Err(Failure::Usage(msg)) => {
            out.error("usage", &msg);
            ExitCode::from(2)
        }
        Err(Failure::Other(e)) => {
            out.error("failed", &format!("{e:#}"));
            ExitCode::from(1)
        }
    }
}

pub(crate) fn vault_dir(cli: &Cli) -> Res<PathBuf> {
    if let Some(dir) = &cli.vault {
        return Ok(dir.clone());
    }
    dirs::data_dir()
        .map(|d| d.join("tresor"))
        .ok_or_else(|| Failure::Usage("cannot find the data directory; pass --vault DIR".into()))
}

pub(crate) fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

fn open(cli: &Cli) -> Res<Session> {
    open_sweeping(cli, !cli.no_sweep)
}

/// Unlocks, and runs the sweep at unlock when `sweep` is set.
fn open_sweeping(cli: &Cli, sweep: bool) -> Res<Session> {
    let dir = vault_dir(cli)?;
    let vault = VaultDir::new(&dir);
    let user = match &cli.user {
        Some(u) => u.clone(),
        None => vault.default_user()?,
    };
    let passphrase = secrets::passphrase(
        cli.passphrase_file.as_deref(),
        &format!("Passphrase for {user}: "),
    )?;
    let mut session = Session::unlock(&dir, &user, &passphrase, clock())?;
    if sweep {
        // As in the app: a failed sweep keeps nobody out; the next unlock
        // tries again.
        match session.sweep_at_unlock() {
            Ok(Some(report)) if report.total() > 0 => eprintln!(
                "Retention sweep at unlock: {} record(s) deleted or anonymised.",
                report.total()
            ),
            Ok(_) => {}
            Err(e) => eprintln!("tresor: the retention sweep at unlock failed: {e}"),
        }
        // The day's backup, after the sweep (so it holds nothing due);
        // a failure is shown and kept for `backup status`, never in the way.
        match session.backup_if_due() {
            Ok(Some(r)) => eprintln!(
                "Daily backup written: {} ({} bytes).",
                r.backup.file, r.backup.size
            ),
            Ok(None) => {}
            Err(e) => eprintln!("tresor: the daily backup failed: {e}"),
        }
    }
    Ok(session)
}

fn run(cli: &Cli, out: &Out) -> Res<()> {
    match &cli.command {
        Command::Init {
            admin,
            recovery_kit,
        } => init(cli, out, admin, recovery_kit.as_deref()),
        Command::Recover {
            admin,
            recovery_key_file,
            new_passphrase_file,
        } => {
            let dir = vault_dir(cli)?;
            let typed = secrets::recovery_key(recovery_key_file.as_deref())?;
            let key = RecoveryKey::parse(&typed)?;
            let admin = match admin {
                Some(a) => a.clone(),
                None => VaultDir::new(&dir).default_user()?,
            };
            let pass = secrets::new_passphrase(new_passphrase_file.as_deref(), &admin)?;
            let s = Session::recover(&dir, &key, &admin, &pass, clock())?;
            out.done(&format!("New passphrase set for {}.", s.user()));
            Ok(())
        }
        Command::Contact(cmd) => contact(cli, out, cmd),
        Command::Interaction(InteractionCmd::Add {
            contact,
            kind,
            summary,
            text,
            at,
            keep,
        }) => {
            let mut s = open(cli)?;
            let at = at.as_deref().map(consent_cmd::parse_at).transpose()?;
            let id = s.add_interaction(
                *contact,
                &InteractionInput {
                    kind: kind.clone(),
                    summary: summary.clone(),
                    text: text.clone(),
                    at,
                    keep: *keep,
                },
            )?;
            out.id(id);
            Ok(())
        }
        Command::User(cmd) => user(cli, out, cmd),
        Command::Demo(DemoCmd::Seed { contacts, seed }) => {
            let mut s = open(cli)?;
            let started = std::time::Instant::now();
            let report = tresor_core::demo::seed(&mut s, *contacts, *seed, &mut |done, total| {
                out.progress(done, total);
            })?;
            s.checkpoint()?;
            out.seeded(&report, started.elapsed());
            Ok(())
        }
        Command::Purpose(cmd) => consent_cmd::purpose(cli, out, cmd),
        Command::Consent(cmd) => consent_cmd::consent(cli, out, cmd),
        Command::Settings(cmd) => consent_cmd::settings(cli, out, cmd),
        Command::Mailing(cmd) => consent_cmd::mailing(cli, out, cmd),
        Command::LegalBasis(cmd) => consent_cmd::legal_basis(cli, out, cmd),
        Command::Register(cmd) => consent_cmd::register(cli, out, cmd),
        Command::FollowUp(cmd) => followup_cmd::followup(cli, out, cmd),
        Command::Company(cmd) => company_cmd::company(cli, out, cmd),
        Command::Request(cmd) => request_cmd::request(cli, out, cmd),
        Command::Bulk(cmd) => bulk_cmd::bulk(cli, out, cmd),
        Command::Import(args) => import_cmd::import(cli, out, args),
        Command::Duplicates(args) => import_cmd::duplicates(cli, out, args),
        Command::Export(cmd) => import_cmd::export(cli, out, cmd),
        Command::Retention(cmd) => retention_cmd::retention(cli, out, cmd),
        Command::Hold(cmd) => retention_cmd::hold(cli, out, cmd),
        Command::Sync(args) => sync_cmd::sync(cli, out, args),
        Command::Join { folder } => sync_cmd::join(cli, out, folder),
        Command::Device(cmd) => sync_cmd::device(cli, out, cmd),
        Command::Backup(args) => backup_cmd::backup(cli, out, args),
        Command::Restore {
            file,
            replace,
            recovery,
            recovery_files,
        } => backup_cmd::restore(cli, out, file, *replace, recovery.then_some(recovery_files)),
        Command::Dsar(args::DsarCmd::Export {
            contact,
            out: path,
            request,
            encrypt,
            package_passphrase_file,
            lang,
        }) => {
            let passphrase = package_passphrase_file
                .as_deref()
                .map(secrets::read_file)
                .transpose()?
                .map(|p| {
                    String::from_utf8_lossy(&p)
                        .trim_end_matches(['\r', '\n'])
                        .to_owned()
                });
            let generated = (*encrypt && passphrase.is_none())
                .then(tresor_core::session::package::generate_package_passphrase);
            let passphrase = passphrase.or_else(|| generated.clone());
            let mut s = open(cli)?;
            let pkg = s.access_package(*contact, *lang)?;
            let d = &pkg.data;
            out.note(&format!(
                "Package for {}: {} fields, {} companies, {} interactions, {} consent entries, {} changes, {} disclosures, {} requests.",
                d.display,
                d.fields.len(),
                d.companies.len(),
                d.interactions.len(),
                d.legal_basis.history.len(),
                d.change_history.len(),
                d.legal_basis.disclosures.len(),
                d.requests.len()
            ));
            let r = s.release_package(&pkg, path, passphrase.as_deref(), request.as_deref())?;
            if out.json {
                let mut v = serde_json::json!(r);
                if let Some(g) = &generated {
                    v["package_passphrase"] = serde_json::json!(g);
                }
                outln!("{v}");
            } else {
                outln!(
                    "Wrote {} ({} bytes{}), read back and checked. SHA-256 {}. The release is recorded.",
                    path.display(),
                    r.size,
                    if r.encrypted {
                        ", AES-256 encrypted"
                    } else {
                        ""
                    },
                    r.sha256
                );
                if let Some(g) = &generated {
                    outln!("\nPackage passphrase (shown only this once):\n\n    {g}\n");
                    outln!(
                        "Give it to the person on another channel than the package: by phone or in person, not in the same mail or with the same stick."
                    );
                }
            }
            Ok(())
        }
        Command::Erasure(args::ErasureCmd::Verify {
            texts,
            dirs,
            backups,
        }) => {
            let s = open(cli)?;
            let dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
            let backups: Vec<&Path> = backups.iter().map(PathBuf::as_path).collect();
            let report = s.verify_erasure_everywhere(texts, &dirs, &backups)?;
            if out.json {
                outln!(
                    "{}",
                    serde_json::json!({ "clean": report.clean(), "places": report.places })
                );
            } else {
                for p in &report.places {
                    let counts: Vec<String> = p
                        .counts
                        .iter()
                        .enumerate()
                        .map(|(i, c)| format!("text {}: {c}", i + 1))
                        .collect();
                    outln!("{}  {}", counts.join(", "), p.place);
                }
                outln!(
                    "{}",
                    if report.clean() {
                        "None of the texts remains."
                    } else {
                        "Some texts remain (counts above)."
                    }
                );
            }
            if report.clean() {
                Ok(())
            } else {
                Err(Failure::Other(anyhow::anyhow!("the texts were found")))
            }
        }
        Command::Doctor => {
            let s = open(cli)?;
            let checks = s.doctor()?;
            out.checks(&checks);
            if checks.iter().all(|c| c.ok) {
                Ok(())
            } else {
                Err(Failure::Other(anyhow::anyhow!("doctor found problems")))
            }
        }
    }
}

fn init(cli: &Cli, out: &Out, admin: &str, kit: Option<&std::path::Path>) -> Res<()> {
    let dir = vault_dir(cli)?;
    if VaultDir::new(&dir).exists() {
        return Err(tresor_core::Error::VaultExists { path: dir }.into());
    }
    let pass = match cli.passphrase_file.as_deref() {
        Some(f) => secrets::read_file(f)?,
        None => match secrets::from_env() {
            Some(p) => p,
            None => secrets::new_passphrase(None, admin)?,
        },
    };
    tresor_core::session::validate_new_passphrase(&pass)?;
    out.note("Calibrating key derivation for this computer …");
    let kdf = KdfParams::calibrate(std::time::Duration::from_millis(500))?;
    let (session, recovery) = Session::create(&dir, admin, &pass, kdf, clock())?;
    let kit_text = vault::recovery_kit_text(&dir, admin, &recovery);
    if let Some(path) = kit {
        secrets::write_private(path, kit_text.as_bytes())?;
    }
    out.created(&dir, session.user(), &kit_text, kdf, kit);
    Ok(())
}

fn person_changes(e: &args::EditFields) -> Res<Vec<(String, FieldInput)>> {
    let mut changes = Vec::new();
    let text = |name: &str, v: &Option<String>, changes: &mut Vec<(String, FieldInput)>| {
        if let Some(v) = v {
            changes.push((name.to_owned(), FieldInput::Text(v.clone())));
        }
    };
    let list = |name: &str, v: &[String], changes: &mut Vec<(String, FieldInput)>| {
        if !v.is_empty() {
            changes.push((name.to_owned(), FieldInput::List(v.to_vec())));
        }
    };
    text("name", &e.name, &mut changes);
    text("given_name", &e.given_name, &mut changes);
    text("family_name", &e.family_name, &mut changes);
    text("title", &e.title, &mut changes);
    text("salutation", &e.salutation, &mut changes);
    text("birthday", &e.birthday, &mut changes);
    text("language", &e.language, &mut changes);
    text("note", &e.note, &mut changes);
    text("special", &e.special, &mut changes);
    text("deal_stage", &e.deal_stage, &mut changes);
    text("deal_value", &e.deal_value, &mut changes);
    list("emails", &e.email, &mut changes);
    list("phones", &e.phone, &mut changes);
    list("addresses", &e.address, &mut changes);
    list("tags", &e.tag, &mut changes);
    for kv in &e.set {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| Failure::Usage(format!("--set '{kv}': use FIELD=VALUE")))?;
        changes.push((k.trim().to_owned(), FieldInput::Text(v.to_owned())));
    }
    for f in &e.clear {
        changes.push((f.clone(), FieldInput::Clear));
    }
    Ok(changes)
}

fn contact(cli: &Cli, out: &Out, cmd: &ContactCmd) -> Res<()> {
    match cmd {
        ContactCmd::Add {
            name,
            email,
            phone,
            address,
            company,
            role,
            note,
            tag,
            allow_suppressed,
            last_contact,
        } => {
            let mut s = open(cli)?;
            let mut p = PersonInput::default().with_name(name);
            if let Some(d) = last_contact {
                p = p.with("last_contact", FieldInput::Text(d.clone()));
            }
            if !email.is_empty() {
                p = p.with("emails", FieldInput::List(email.clone()));
            }
            if !phone.is_empty() {
                p = p.with("phones", FieldInput::List(phone.clone()));
            }
            if !tag.is_empty() {
                p = p.with("tags", FieldInput::List(tag.clone()));
            }
            if !address.is_empty() {
                p = p.with("addresses", FieldInput::List(address.clone()));
            }
            if let Some(n) = note {
                p = p.with("note", FieldInput::Text(n.clone()));
            }
            p.company.clone_from(company);
            p.company_role.clone_from(role);
            let id = s.add_person_allowing(&p, allow_suppressed.as_deref())?;
            out.id(id);
        }
        ContactCmd::Show { id } => {
            let s = open(cli)?;
            out.contact(&s.contact(*id)?);
            if let Some(r) = s.restriction(*id)? {
                out.note(&format!(
                    "RESTRICTED since {} ({}): read-only, excluded from processing.",
                    r.at.format("%Y-%m-%d"),
                    r.request.unwrap_or_default()
                ));
            }
        }
        ContactCmd::Restrict { id, request } => {
            let mut s = open(cli)?;
            s.restrict(*id, request)?;
            out.done("Restricted: the record is read-only and excluded from every processing but storage.");
        }
        ContactCmd::Unrestrict { id } => {
            let mut s = open(cli)?;
            s.unrestrict(*id)?;
            out.done("The restriction is lifted.");
        }
        ContactCmd::Object {
            id,
            purpose,
            request,
        } => {
            let mut s = open(cli)?;
            let suppressed = s.object(*id, purpose, request)?;
            out.done(&format!(
                "Objection recorded for {purpose}; it applies on every channel now{}.",
                if suppressed > 0 {
                    format!("; {suppressed} addresses are suppressed")
                } else {
                    String::new()
                }
            ));
        }
        ContactCmd::List {
            offset,
            limit,
            companies,
            order,
        } => {
            let s = open(cli)?;
            let rows = if *companies {
                s.list_companies(*offset, *limit)?
            } else {
                s.list_sorted((*order).into(), *offset, *limit)?
            };
            out.rows(&rows);
        }
        ContactCmd::Search {
            query,
            limit,
            order,
        } => {
            let s = open(cli)?;
            out.rows(&s.search_sorted(query, (*order).into(), *limit)?);
        }
        ContactCmd::Edit {
            id,
            fields,
            reason,
            request,
        } => {
            let changes = person_changes(fields)?;
            if changes.is_empty() && fields.company.is_none() {
                return Err(Failure::Usage(
                    "name at least one field to change, e.g. --email".into(),
                ));
            }
            let mut all = changes;
            if let Some(c) = &fields.company {
                all.push(("company".into(), FieldInput::Text(c.clone())));
            }
            let mut s = open(cli)?;
            match reason {
                Some(reason) => {
                    s.rectify(*id, &all, reason, request.as_deref())?;
                    out.done(
                        "Corrected; the reason is recorded and the old values stay in the history.",
                    );
                }
                None => {
                    s.edit(*id, &all)?;
                    out.done("Saved.");
                }
            }
        }
        ContactCmd::History { id } => {
            let s = open(cli)?;
            out.history(&s.history(*id)?);
        }
        ContactCmd::Erase {
            id,
            request,
            fields,
            suppress,
            files_in,
        } => {
            let mut s = open(cli)?;
            if !fields.is_empty() {
                let r = s.erase_fields(*id, fields, request, *suppress)?;
                if out.json {
                    outln!("{}", serde_json::json!(r));
                } else {
                    outln!(
                        "Erased {} of {} with {} old values; the database compacted.",
                        r.fields.join(", "),
                        r.person,
                        r.changes
                    );
                    if *suppress {
                        outln!("{} addresses put on the suppression list.", r.suppressed);
                    }
                }
                return Ok(());
            }
            let dirs: Vec<&Path> = files_in.iter().map(PathBuf::as_path).collect();
            let r = s.erase_person_checking(*id, request, *suppress, &dirs)?;
            if out.json {
                outln!("{}", serde_json::json!(r));
                return Ok(());
            }
            if r.kept.is_empty() {
                outln!(
                    "Erased {}: {} records and {} changes removed, the key destroyed, the database compacted. Kept: the id, the date and {}.",
                    r.person,
                    r.records,
                    r.changes,
                    r.request
                );
            } else {
                outln!(
                    "Erased {} as far as the law allows: {} records and {} changes removed, the database compacted.",
                    r.person,
                    r.records,
                    r.changes
                );
                outln!("Kept, restricted, because a law requires it (with name and address only):");
                for k in &r.kept {
                    outln!(
                        "  {} of {}: {}, until {}",
                        k.class.replace('_', " "),
                        k.at.format("%Y-%m-%d"),
                        k.law,
                        k.until
                    );
                }
                if let Some(d) = r.erase_after {
                    outln!("The rest is erased on {d} by the retention sweep.");
                }
            }
            if !r.files.is_empty() {
                outln!(
                    "These files held data of the person before the erasure and still do; delete them (or the person's part of them):"
                );
                for f in &r.files {
                    outln!("  {f}");
                }
            }
        }
    }
    Ok(())
}

fn user(cli: &Cli, out: &Out, cmd: &UserCmd) -> Res<()> {
    match cmd {
        UserCmd::Add {
            name,
            role,
            new_passphrase_file,
        } => {
            let mut s = open(cli)?;
            let pass = secrets::new_passphrase(new_passphrase_file.as_deref(), name)?;
            s.add_user(name, *role, &pass)?;
            out.done(&format!("Added {name} as {role}."));
        }
        UserCmd::List => {
            let s = open(cli)?;
            out.users(&s.users()?);
        }
        UserCmd::Remove { name } => {
            let mut s = open(cli)?;
            s.remove_user(name)?;
            out.done(&format!("Removed {name}; the vault's keys were rotated."));
        }
        UserCmd::Passwd {
            name,
            new_passphrase_file,
        } => {
            let mut s = open(cli)?;
            let target = name.clone().unwrap_or_else(|| s.user().to_owned());
            let pass = secrets::new_passphrase(new_passphrase_file.as_deref(), &target)?;
            s.change_passphrase(&target, &pass)?;
            out.done(&format!("Passphrase of {target} changed."));
        }
        UserCmd::Role { name, role } => {
            let mut s = open(cli)?;
            s.set_role(name, *role)?;
            out.done(&format!("{name} is now {role}."));
        }
    }
    Ok(())
}
